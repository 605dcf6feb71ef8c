"""Finding 1: a lock wait that runs out answers 503 with Retry-After and writes nothing;
once a sale is committed, building its answer needs no write lock."""

from __future__ import annotations

import uuid

from sqlalchemy import event

from core.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token
from tests.pos.test_counter_support import hold_write_lock, writer_busy


def test_a_lock_wait_that_runs_out_answers_503_and_writes_nothing(quick_till):
    till = quick_till
    till.open_shift()
    before = till.snapshot()
    product = till.products[0]
    with writer_busy(till):
        response = till.post("/sales", {
            "id": str(uuid.uuid4()), "lines": [{"product_id": product["id"], "qty": 1}],
            "payments": [{"method": "cash", "amount": product["price"]}]})
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "busy" and "thử lại" in error["message"]
    assert till.snapshot() == before


def test_a_page_post_that_cannot_get_the_lock_answers_503_too(quick_till):
    till = quick_till
    client = till.client
    token = csrf_token(client)
    with writer_busy(till):
        response = client.post("/login", data={"username": "thungan.coop-01",
                                               "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 503
    assert "thử lại" in response.get_data(as_text=True)


def test_the_answer_after_the_commit_needs_no_write_lock(quick_till):
    """Another writer takes the lock the moment the sale commits; the till still gets
    its 201 and the sale (before the fix: 'database is locked' after the commit)."""
    till = quick_till
    till.open_shift()
    product = till.products[0]
    held = []

    def grab_lock(session):
        if not held and not session.in_nested_transaction():
            held.append(hold_write_lock(till))

    event.listen(db.session, "after_commit", grab_lock)
    sale_id = str(uuid.uuid4())
    try:
        response = till.post("/sales", {
            "id": sale_id, "lines": [{"product_id": product["id"], "qty": 1}],
            "payments": [{"method": "cash", "amount": product["price"]}]})
    finally:
        event.remove(db.session, "after_commit", grab_lock)
        for connection in held:
            connection.rollback()
            connection.close()
    assert held, "the sale never committed"
    assert response.status_code == 201, response.get_data(as_text=True)
    sale = response.get_json()
    assert sale["id"] == sale_id and sale["number"] == "COOP-01-000001"
    assert sale["lines"][0]["product_id"] == product["id"]
    assert till.get(f"/sales/{sale_id}").get_json() == sale
