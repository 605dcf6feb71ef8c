"""Refunds and voids: managers only, never more than sold, stock back in, audited."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry
from inventory.models import StockMove
from tests.pos.test_counter_support import till  # noqa: F401


def _discounted_sale(till):  # noqa: F811
    """3 × product A with 10.000 đồng off the line, paid by transfer."""
    till.open_shift()
    a = till.products[0]
    total = 3 * a["price"] - 10_000
    return till.sell([{"product_id": a["id"], "qty": 3, "discount": 10_000}],
                     [{"method": "transfer", "amount": total}],
                     approved_by=till.tokens["manager"]), a


def test_partial_refunds_add_up_to_what_was_paid(till):  # noqa: F811
    sale, a = _discounted_sale(till)
    stock = till.on_hand(a["id"])
    first_id = str(uuid.uuid4())
    body = {"id": first_id, "lines": [{"product_id": a["id"], "qty": 1}],
            "reason": "Khách trả hàng"}
    first = till.post(f"/sales/{sale['id']}/refund", body, who="manager")
    assert first.status_code == 201, first.get_json()
    refund = first.get_json()
    assert refund["kind"] == "refund" and refund["refund_of"] == sale["id"]
    assert refund["number"] == "COOP-01-000002"
    assert refund["payments"] == [{"method": "transfer", "amount": refund["total"],
                                   "tendered": None, "reference": ""}]
    assert till.on_hand(a["id"]) == stock + 1
    # A retry is harmless.
    replay = till.post(f"/sales/{sale['id']}/refund", body, who="manager")
    assert replay.status_code == 200 and replay.get_json() == refund
    assert till.on_hand(a["id"]) == stock + 1

    rest = till.post(f"/sales/{sale['id']}/refund",
                     {"lines": [{"product_id": a["id"], "qty": 2}], "reason": "Trả nốt",
                      "method": "cash"}, who="manager").get_json()
    assert refund["total"] + rest["total"] == sale["total"]
    assert rest["payments"][0]["method"] == "cash"
    assert till.on_hand(a["id"]) == stock + 3
    with till.app.app_context():
        moves = db.session.scalars(select(StockMove).where(StockMove.kind == "refund")).all()
        assert sorted(m.qty for m in moves) == [1, 2]
        audit = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "sale_refund")).all()
        assert [(e.actor.username, e.reason) for e in audit] == [
            ("quanly.coop-01", "Khách trả hàng"), ("quanly.coop-01", "Trả nốt")]
        db.session.remove()


def test_refunding_more_than_sold_is_refused(till):  # noqa: F811
    sale, a = _discounted_sale(till)
    path = f"/sales/{sale['id']}/refund"
    assert till.post(path, {"lines": [{"product_id": a["id"], "qty": 2}], "reason": "x"},
                     who="manager").status_code == 201
    before = till.snapshot()
    for lines, code, field in (
            ([{"product_id": a["id"], "qty": 2}], "refund_exceeds_sold", "lines[0].qty"),
            ([{"product_id": a["id"], "qty": 1}, {"product_id": a["id"], "qty": 1}],
             "refund_exceeds_sold", "lines[0].qty"),
            ([{"product_id": till.products[1]["id"], "qty": 1}], "not_in_sale",
             "lines[0].product_id"),
            ([{"product_id": a["id"], "qty": 0}], "invalid", "lines[0].qty"),
            ([{"product_id": a["id"], "qty": "1"}], "invalid_type", "lines[0].qty")):
        response = till.post(path, {"lines": lines, "reason": "x"}, who="manager")
        assert response.status_code == 422, lines
        assert (response.get_json()["error"]["code"],
                response.get_json()["error"]["field"]) == (code, field)
    refused = till.post(path, {"lines": [{"product_id": a["id"], "qty": 1}], "reason": "x",
                               "method": "card"}, who="manager")
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "method"
    no_reason = till.post(path, {"lines": [{"product_id": a["id"], "qty": 1}]},
                          who="manager")
    assert no_reason.get_json()["error"]["field"] == "reason"
    assert till.post(path, {"lines": [{"product_id": a["id"], "qty": 1}], "reason": "x"}
                     ).status_code == 403  # a cashier may not refund
    assert till.post(f"/sales/{uuid.uuid4()}/refund", {"lines": [], "reason": "x"},
                     who="manager").status_code == 404
    assert till.snapshot() == before


def test_void_within_the_open_shift_puts_stock_back(till):  # noqa: F811
    till.open_shift()
    a = till.products[0]
    stock = till.on_hand(a["id"])
    sale = till.sell([{"product_id": a["id"], "qty": 2}])
    assert till.post(f"/sales/{sale['id']}/void", {"reason": "x"}).status_code == 403
    before = till.snapshot()
    assert till.post(f"/sales/{sale['id']}/void", {}, who="manager").status_code == 422
    assert till.snapshot() == before
    voided = till.post(f"/sales/{sale['id']}/void", {"reason": "Quét nhầm"}, who="manager")
    assert voided.status_code == 200
    body = voided.get_json()
    assert body["status"] == "voided"
    assert body["void"]["reason"] == "Quét nhầm" and body["void"]["by"] == "quanly.coop-01"
    assert till.on_hand(a["id"]) == stock
    before = till.snapshot()
    again = till.post(f"/sales/{sale['id']}/void", {"reason": "lần nữa"}, who="manager")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_voided"
    refund = till.post(f"/sales/{sale['id']}/refund",
                       {"lines": [{"product_id": a["id"], "qty": 1}], "reason": "x"},
                       who="manager")
    assert refund.status_code == 409 and refund.get_json()["error"]["code"] == "sale_voided"
    assert till.snapshot() == before


def test_void_outside_the_shift_is_refused(till):  # noqa: F811
    shift = till.open_shift(opening_float=0)
    sale = till.sell()
    closed = till.post(f"/shifts/{shift['id']}/close", {"counted_cash": sale["total"]})
    assert closed.status_code == 200, closed.get_json()
    before = till.snapshot()
    response = till.post(f"/sales/{sale['id']}/void", {"reason": "Muộn"}, who="manager")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "shift_closed"
    assert till.snapshot() == before


def test_a_refunded_sale_cannot_be_voided_and_a_refund_needs_an_open_shift(till):  # noqa: F811
    shift = till.open_shift(opening_float=0)
    a = till.products[0]
    sale = till.sell([{"product_id": a["id"], "qty": 2}])
    till.post(f"/sales/{sale['id']}/refund", {"lines": [{"product_id": a["id"], "qty": 1}],
                                              "reason": "x"}, who="manager")
    response = till.post(f"/sales/{sale['id']}/void", {"reason": "x"}, who="manager")
    assert response.get_json()["error"]["code"] == "has_refunds"
    till.post(f"/shifts/{shift['id']}/close", {"counted_cash": sale["total"] - a["price"]})
    before = till.snapshot()
    response = till.post(f"/sales/{sale['id']}/refund",
                         {"lines": [{"product_id": a["id"], "qty": 1}], "reason": "x"},
                         who="manager")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "no_open_shift"
    assert till.snapshot() == before
