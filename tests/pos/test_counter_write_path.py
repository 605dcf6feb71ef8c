"""A sale holds the booth's write lock only for its inserts: everything that can be
answered without writing is answered even while another till (or a backup, or a
stocktake) is writing, instead of waiting for the lock and answering 503."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import event

from core.extensions import db
from tests.pos.test_counter_support import make_till, writer_busy


@pytest.fixture
def till_with_shift(app):
    till = make_till(app)
    till.open_shift()
    return till


def _sale(product, sale_id=None, **line):
    return {"id": sale_id or str(uuid.uuid4()),
            "lines": [{"product_id": product["id"], "qty": 1} | line],
            "payments": [{"method": "cash", "amount": product["price"]}]}


def test_a_mistake_in_a_sale_is_named_while_the_booth_is_writing(quick_till):
    till = quick_till
    till.open_shift()
    before = till.snapshot()
    with writer_busy(till):
        unknown = till.post("/sales", _sale({"id": 999_999, "price": 1000}))
        short = till.post("/sales", _sale(till.products[0]) | {
            "payments": [{"method": "cash", "amount": 1}]})
    assert unknown.status_code == 422, unknown.get_json()
    assert unknown.get_json()["error"]["field"] == "lines[0].product_id"
    assert short.status_code == 422 and short.get_json()["error"]["code"] == "short_payment"
    assert till.snapshot() == before


def test_a_retried_sale_gets_its_receipt_while_the_booth_is_writing(quick_till):
    till = quick_till
    till.open_shift()
    body = _sale(till.products[0])
    first = till.post("/sales", body)
    assert first.status_code == 201
    with writer_busy(till):
        again = till.post("/sales", body)
    assert again.status_code == 200, again.get_json()
    assert again.get_json() == first.get_json()


def test_a_new_sale_still_waits_for_the_writer_and_says_to_retry(quick_till):
    till = quick_till
    till.open_shift()
    before = till.snapshot()
    body = _sale(till.products[0])
    with writer_busy(till):
        busy = till.post("/sales", body)
    assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
    assert till.snapshot() == before
    assert till.post("/sales", body).status_code == 201  # the same id, once free


class _Statements:
    """The SQL statements the till's app runs while active."""

    def __init__(self, till):
        with till.app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

    def _note(self, conn, cursor, statement, *rest):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._note)


def test_a_sale_reads_before_the_lock_and_costs_the_same_for_more_lines(till_with_shift):
    """Every statement before BEGIN IMMEDIATE only reads; the sale's statements do not
    grow with its lines, and a token's sign-in brings the booth along (no second look-up
    of the booth by its code on every request)."""
    till = till_with_shift
    counts = []
    for lines in ([{"product_id": till.products[0]["id"], "qty": 1}],
                  [{"product_id": p["id"], "qty": 2} for p in till.products]):
        with _Statements(till) as statements:
            till.sell(lines)
        begin = statements.seen.index("BEGIN IMMEDIATE")
        reads, writes = statements.seen[:begin], statements.seen[begin + 1:]
        assert all(s == "BEGIN" or s.lstrip().startswith("SELECT") for s in reads), reads
        assert not [s for s in statements.seen if re.search(r"FROM booth\s+WHERE", s)]
        assert sum(s.startswith("INSERT") for s in writes) == len(writes) - 1  # + heads
        counts.append(len(statements.seen))
    assert len(till.products) > 1 and counts[0] == counts[1]


def test_the_stock_page_of_a_token_does_not_look_the_booth_up_again(till_with_shift):
    till = till_with_shift
    with _Statements(till) as statements:
        assert till.get("/stock", who="manager").status_code == 200
    assert not [s for s in statements.seen if re.search(r"FROM booth\s+WHERE", s)]


def test_the_answer_and_the_event_built_from_the_writes_equal_the_sale_read_back(
        till_with_shift):
    """The sale's answer and its outbox payload are built from the values being written
    (nothing is read back); both must stay what ``sale_to_json`` reads from the rows."""
    from sqlalchemy import select

    from core.models import User
    from pos.counter.sales import sale_to_json
    from pos.counter_models import Sale
    from sync.models import OutboxEvent
    from tests.conftest import TEST_PASSWORD

    till = till_with_shift
    scanned, by_id = till.products[0], till.products[1]
    total = scanned["price"] + 2 * by_id["price"] - 1_000
    answer = till.post("/sales", {
        "id": str(uuid.uuid4()),
        "lines": [{"barcode": scanned["barcode"], "qty": 1},
                  {"product_id": by_id["id"], "qty": 2, "discount": 1_000}],
        "payments": [{"method": "transfer", "amount": 10_000, "reference": "FT123"},
                     {"method": "cash", "amount": total - 10_000 + 5_000}],
        "approved_by": {"username": "quanly.coop-01", "password": TEST_PASSWORD},
        "reason": "khách quen"})
    assert answer.status_code == 201, answer.get_json()
    sale = answer.get_json()
    assert sale["change"] == 5_000 and sale["approved_by"] == "quanly.coop-01"
    with till.app.app_context():
        db.session.expire_all()
        stored = sale_to_json(db.session.get(Sale, sale["id"]))
        event = db.session.scalar(select(OutboxEvent).order_by(OutboxEvent.seq.desc()))
        assert db.session.scalar(select(User.username).where(
            User.id == db.session.get(Sale, sale["id"]).approved_by_id)) == "quanly.coop-01"
    assert sale == stored
    assert event.type == "sale_completed" and event.payload == stored
