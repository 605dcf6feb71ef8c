"""Selling: what one sale writes, idempotent retries, gap-free numbers, approvals."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry
from inventory.barcodes import make_price_code
from inventory.models import StockMove
from pos.counter_models import Sale
from sync.models import OutboxEvent
from sync.outbox import canonical_hash
from tests.conftest import TEST_PASSWORD, build_app
from tests.pos.test_counter_support import PRICE_ITEM, make_till, till  # noqa: F401


def test_a_cash_sale_writes_sale_lines_payment_stock_and_one_event(tmp_path, database_url):
    till = make_till(build_app(tmp_path, database_url=database_url))  # noqa: F811
    try:
        shift = till.open_shift()
        a, b = till.products[:2]
        before_a, before_b = till.on_hand(a["id"]), till.on_hand(b["id"])
        total = a["price"] * 2 + b["price"]
        sale_id = str(uuid.uuid4())
        response = till.post("/sales", {
            "id": sale_id, "note": "ignored",
            "lines": [{"product_id": a["id"], "qty": 2}, {"barcode": b["barcode"], "qty": 1}],
            "payments": [{"method": "cash", "amount": total + 50_000}]})
        assert response.status_code == 201, response.get_json()
        sale = response.get_json()
        assert sale["id"] == sale_id
        assert sale["number"] == "COOP-01-000001"
        assert sale["booth"] == "COOP-01" and sale["shift_id"] == shift["id"]
        assert sale["status"] == "completed" and sale["kind"] == "sale"
        assert sale["total"] == total and sale["change"] == 50_000
        assert sale["lines"] == [
            {"product_id": a["id"], "name": a["name"], "qty": 2, "unit_price": a["price"],
             "catalog_price": a["price"], "discount": 0, "amount": 2 * a["price"],
             "vat_rate": a["vat_rate"], "barcode": None},
            {"product_id": b["id"], "name": b["name"], "qty": 1, "unit_price": b["price"],
             "catalog_price": b["price"], "discount": 0, "amount": b["price"],
             "vat_rate": b["vat_rate"], "barcode": b["barcode"]}]
        assert sale["payments"] == [{"method": "cash", "amount": total,
                                     "tendered": total + 50_000, "reference": ""}]
        assert till.on_hand(a["id"]) == before_a - 2
        assert till.on_hand(b["id"]) == before_b - 1
        assert till.get(f"/sales/{sale_id}").get_json() == sale

        with till.app.app_context():
            moves = db.session.scalars(select(StockMove).where(
                StockMove.reference == "COOP-01-000001").order_by(StockMove.qty)).all()
            assert [(m.product_id, m.qty, m.kind) for m in moves] == [
                (a["id"], -2, "sale"), (b["id"], -1, "sale")]
            events = db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
            assert [(e.seq, e.type) for e in events] == [(1, "shift_opened"),
                                                         (2, "sale_completed")]
            assert events[1].payload == sale
            assert events[1].hash == canonical_hash(sale)
            db.session.remove()

        again = till.post("/sales", {
            "id": sale_id, "lines": [{"product_id": a["id"], "qty": 2},
                                     {"barcode": b["barcode"], "qty": 1}],
            "payments": [{"method": "cash", "amount": total + 50_000}]})
        assert again.status_code == 200 and again.get_json() == sale
        assert till.on_hand(a["id"]) == before_a - 2
        snapshot = till.snapshot()
        assert snapshot["sale"] == 1 and snapshot["outbox_event"] == 2
    finally:
        with till.app.app_context():
            db.engine.dispose()


def test_the_same_id_with_another_body_is_refused(till):  # noqa: F811
    till.open_shift()
    sale = till.sell()
    before = till.snapshot()
    product = till.products[1]
    response = till.post("/sales", {"id": sale["id"],
                                    "lines": [{"product_id": product["id"], "qty": 1}],
                                    "payments": [{"method": "card",
                                                  "amount": product["price"]}]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "id_reused"
    assert till.snapshot() == before


def test_numbers_are_gap_free_even_after_refused_sales(till):  # noqa: F811
    till.open_shift()
    numbers = []
    for i in range(5):
        numbers.append(till.sell()["number"])
        if i % 2 == 0:  # a refusal in between must not burn a number
            till.sell(payments=[{"method": "cash", "amount": 1}], expect=422)
    assert numbers == [f"COOP-01-{n:06d}" for n in range(1, 6)]


def test_split_payment_and_change_only_from_cash(till):  # noqa: F811
    till.open_shift()
    product = till.products[0]
    price = product["price"]
    lines = [{"product_id": product["id"], "qty": 3}]
    sale = till.sell(lines, [{"method": "transfer", "amount": price},
                             {"method": "cash", "amount": price, "tendered": 2 * price + 20_000},
                             {"method": "cash", "amount": price + 10_000}])
    assert sale["total"] == 3 * price
    assert sale["change"] == price + 20_000 + 10_000
    assert [(p["method"], p["amount"]) for p in sale["payments"]] == [
        ("transfer", price), ("cash", price), ("cash", price)]
    assert sum(p["amount"] for p in sale["payments"]) == sale["total"]


def test_price_embedded_label_sets_the_line_price(till):  # noqa: F811
    till.open_shift()
    product = till.products[2]
    label = product["price"] * 11 // 10  # within the tolerance of a variable-price product
    code = make_price_code(PRICE_ITEM, label)
    sale = till.sell([{"barcode": code, "qty": 1}],
                     [{"method": "cash", "amount": label}])
    line = sale["lines"][0]
    assert line["product_id"] == product["id"]
    assert line["unit_price"] == label and line["catalog_price"] == product["price"]
    assert sale["total"] == label and sale["approved_by"] is None


def test_a_discount_needs_a_manager(till):  # noqa: F811
    till.open_shift()
    product = till.products[0]
    before = till.snapshot()
    response = till.post("/sales", {"lines": [{"product_id": product["id"], "qty": 1,
                                               "discount": 5_000}],
                                    "payments": [{"method": "cash",
                                                  "amount": product["price"]}]})
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "needs_manager", "field": "approved_by",
        "message": "Đổi giá hoặc giảm giá cần quản lý duyệt."}
    assert till.snapshot() == before


@pytest.mark.parametrize("approval", ["token", "password"])
def test_an_approved_discount_and_price_override_are_audited(till, approval):  # noqa: F811
    till.open_shift()
    a, b = till.products[:2]
    approved_by = (till.tokens["manager"] if approval == "token"
                   else {"username": "quanly.coop-01", "password": TEST_PASSWORD})
    total = (a["price"] - 1_000) * 2 + b["price"] - 10_000
    sale = till.sell(
        [{"product_id": a["id"], "qty": 2, "unit_price": a["price"] - 1_000},
         {"product_id": b["id"], "qty": 1, "discount": 10_000}],
        [{"method": "card", "amount": total}], approved_by=approved_by,
        reason="Hàng móp hộp")
    assert sale["total"] == total and sale["approved_by"] == "quanly.coop-01"
    assert sale["lines"][0]["unit_price"] == a["price"] - 1_000
    assert sale["lines"][0]["catalog_price"] == a["price"]
    assert sale["lines"][1]["discount"] == 10_000
    with till.app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.target_id == sale["id"]).order_by(AuditEntry.seq)).all()
        assert [(e.action, e.actor.username, e.approver.username, e.reason)
                for e in entries] == [
            ("sale_line_adjusted", "thungan.coop-01", "quanly.coop-01", "Hàng móp hộp")] * 2
        assert entries[0].before == {"unit_price": a["price"], "discount": 0,
                                     "product_id": a["id"]}
        assert entries[0].after == {"unit_price": a["price"] - 1_000, "discount": 0,
                                    "line": 0}
        db.session.remove()


@pytest.mark.parametrize("approved_by, code", [
    ("ocop_not-a-token", "bad_approval"),
    ({"username": "quanly.coop-01", "password": "sai-mat-khau"}, "bad_approval"),
    ({"username": "thungan2.coop-01", "password": TEST_PASSWORD}, "bad_approval"),
    ("cashier2", "bad_approval"),
])
def test_a_wrong_or_non_manager_approval_is_refused(till, approved_by, code):  # noqa: F811
    till.open_shift()
    if approved_by == "cashier2":
        approved_by = till.tokens["cashier2"]
    product = till.products[0]
    before = till.snapshot()
    response = till.post("/sales", {
        "lines": [{"product_id": product["id"], "qty": 1, "discount": 1_000}],
        "payments": [{"method": "cash", "amount": product["price"]}],
        "approved_by": approved_by})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == code
    assert till.snapshot() == before


def test_a_manager_at_the_till_approves_their_own_whole_sale_discount(till):  # noqa: F811
    till.open_shift(who="manager")
    a, b = till.products[:2]
    subtotal = a["price"] + 2 * b["price"]
    discount = (subtotal * 10 + 50) // 100
    sale = till.sell([{"product_id": a["id"], "qty": 1}, {"product_id": b["id"], "qty": 2}],
                     [{"method": "cash", "amount": subtotal - discount}], who="manager",
                     discount_percent=10)
    assert sale["total"] == subtotal - discount
    assert sum(line["discount"] for line in sale["lines"]) == discount
    assert sum(line["amount"] for line in sale["lines"]) == sale["total"]
    assert sale["discount_total"] == discount and sale["approved_by"] == "quanly.coop-01"


def test_selling_needs_an_open_shift(till):  # noqa: F811
    before = till.snapshot()
    product = till.products[0]
    response = till.post("/sales", {"lines": [{"product_id": product["id"], "qty": 1}],
                                    "payments": [{"method": "cash",
                                                  "amount": product["price"]}]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "no_open_shift"
    assert till.snapshot() == before


def test_stock_never_blocks_a_sale(till):  # noqa: F811
    till.open_shift()
    product = till.products[0]
    on_hand = till.on_hand(product["id"])
    qty = on_hand + 5
    assert qty <= 999
    till.sell([{"product_id": product["id"], "qty": qty}])
    assert till.on_hand(product["id"]) == -5


def test_sales_are_only_seen_at_their_booth(till):  # noqa: F811
    till.open_shift()
    sale = till.sell()
    assert till.get(f"/sales/{sale['id']}", who="manager").status_code == 200
    assert till.get("/sales/not-a-uuid").status_code == 404
    assert till.get(f"/sales/{uuid.uuid4()}").get_json()["error"]["code"] == "sale_not_found"
    with till.app.app_context():
        assert db.session.get(Sale, sale["id"]).booth.code == "COOP-01"
        db.session.remove()
