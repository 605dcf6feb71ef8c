"""A dozen copies of one sale arriving at once at a real server make exactly one sale."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from waitress import create_server
from waitress.wasyncore import close_all

from core.extensions import db
from inventory.models import StockMove
from pos.counter_models import Sale
from sync.models import OutboxEvent
from tests.conftest import build_app
from tests.pos.test_counter_support import make_till

COPIES = 12


@pytest.fixture
def served(tmp_path, database_url):
    app = build_app(tmp_path, database_url=database_url)
    till = make_till(app)
    server = create_server(app, host="127.0.0.1", port=0, threads=COPIES)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield till, server.effective_port
    # Closed from the server's own loop thread: closing its sockets from the test's
    # thread races with its select() (EBADF in the server thread).
    server.trigger.pull_trigger(lambda: close_all(server._map))
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _post(port: int, path: str, body: dict, token: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=json.dumps(body),
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_twelve_copies_of_one_sale_make_one_sale(served):
    till, port = served
    till.open_shift()
    product = till.products[0]
    stock = till.on_hand(product["id"])
    body = {"id": str(uuid.uuid4()), "lines": [{"product_id": product["id"], "qty": 2}],
            "payments": [{"method": "cash", "amount": 2 * product["price"]}]}
    barrier = threading.Barrier(COPIES)

    def send(_):
        barrier.wait()
        return _post(port, "/api/v1/sales", body, till.tokens["cashier"])

    with ThreadPoolExecutor(COPIES) as pool:
        results = list(pool.map(send, range(COPIES)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (COPIES - 1) + [201], results
    assert len({json.dumps(sale, sort_keys=True) for _, sale in results}) == 1
    assert till.on_hand(product["id"]) == stock - 2
    with till.app.app_context():
        session = db.session
        assert session.scalar(select(func.count()).select_from(Sale)) == 1
        assert session.scalar(select(func.count()).select_from(StockMove).where(
            StockMove.kind == "sale")) == 1
        assert session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.type == "sale_completed")) == 1
        session.remove()


def test_concurrent_different_sales_get_gap_free_numbers(served):
    till, port = served
    till.open_shift()
    product = till.products[0]
    barrier = threading.Barrier(COPIES)

    def send(_):
        body = {"id": str(uuid.uuid4()), "lines": [{"product_id": product["id"], "qty": 1}],
                "payments": [{"method": "cash", "amount": product["price"]}]}
        barrier.wait()
        return _post(port, "/api/v1/sales", body, till.tokens["cashier"])

    with ThreadPoolExecutor(COPIES) as pool:
        results = list(pool.map(send, range(COPIES)))
    assert [status for status, _ in results] == [201] * COPIES, results
    assert sorted(sale["number"] for _, sale in results) == [
        f"COOP-01-{n:06d}" for n in range(1, COPIES + 1)]
    with till.app.app_context():
        seqs = db.session.scalars(select(OutboxEvent.seq).order_by(OutboxEvent.seq)).all()
        assert seqs == list(range(1, COPIES + 2))
        db.session.remove()
