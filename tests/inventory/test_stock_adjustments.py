"""Adjustments by hand (``POST /api/v1/stock/adjustments`` and the form on ``/stock``):
a move with its reason, audited and sent to central; a retry books nothing twice; a bad
request names its field in Vietnamese and writes nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry
from inventory.models import StockMove
from pos.demo import DEMO_PASSWORD
from sync.models import OutboxEvent
from tests.conftest import csrf_token, login
from tests.inventory.test_catalog_api import assert_error
from tests.inventory.test_stock_list import NEM, Shop


@pytest.fixture
def shop(seeded):
    shop = Shop(seeded)
    shop.nem = shop.product(NEM)
    shop.set_on_hand(shop.nem, 20)
    return shop


def written(shop) -> tuple[int, int, int]:
    """Moves, audit entries and outbox events: what a failed request must not add to."""
    with shop.app.app_context():
        s = db.session
        counts = (s.scalar(select(func.count(StockMove.id))),
                  s.scalar(select(func.count(AuditEntry.id))),
                  s.scalar(select(func.count(OutboxEvent.id))))
        s.remove()
        return counts


def test_damage_is_booked_with_its_reason_audited_and_sent_to_central(shop):
    body = {"id": str(uuid.uuid4()), "product_id": shop.nem, "qty": -3, "reason": "damage",
            "note": "Rơi vỡ 3 hộp"}
    response = shop.send("POST", "/stock/adjustments", body)
    assert response.status_code == 201, response.get_json()
    move = response.get_json()
    assert (move["id"], move["qty"], move["kind"], move["reason"], move["note"]) == (
        body["id"], -3, "adjust", "damage", "Rơi vỡ 3 hộp")
    assert shop.row(shop.nem)["on_hand"] == 17
    with shop.app.app_context():
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "stock_adjust"))
        assert audit.actor.username == "quanly.coop-01" and audit.reason == "Rơi vỡ 3 hộp"
        event = db.session.scalar(select(OutboxEvent).where(
            OutboxEvent.type == "stock_adjusted"))
        assert event is not None
        db.session.remove()

    before = written(shop)
    again = shop.send("POST", "/stock/adjustments", body)
    assert again.status_code == 200 and again.get_json() == move
    assert written(shop) == before and shop.row(shop.nem)["on_hand"] == 17


def test_goods_found_add_stock_and_expired_goods_book_an_expiry(shop):
    found = shop.send("POST", "/stock/adjustments",
                      {"product_id": shop.nem, "qty": 4, "reason": "found"})
    expired = shop.send("POST", "/stock/adjustments",
                        {"product_id": shop.nem, "qty": -2, "reason": "expired"})
    assert (found.status_code, expired.status_code) == (201, 201)
    assert expired.get_json()["kind"] == "expire"
    assert shop.row(shop.nem)["on_hand"] == 22


@pytest.mark.parametrize(("change", "status", "code", "field"), [
    ({"qty": 1.5}, 422, "invalid", "qty"),
    ({"qty": 2.0}, 422, "invalid", "qty"),
    ({"qty": "3"}, 422, "invalid", "qty"),
    ({"qty": 0}, 422, "bad_quantity", "qty"),
    ({"qty": 5, "reason": "damage"}, 422, "bad_quantity", "qty"),
    ({"qty": -1_000_000}, 422, "invalid", "qty"),
    ({"qty": 10**30}, 422, "invalid", "qty"),
    ({"product_id": 999_999}, 422, "unknown_product", "product_id"),
    ({"product_id": 2**63}, 422, "invalid", "product_id"),
    ({"product_id": None}, 422, "invalid", "product_id"),
    ({"reason": "gift"}, 422, "bad_reason", "reason"),
    ({"reason": None}, 422, "invalid", "reason"),
    ({"note": "x" * 301}, 422, "invalid", "note"),
    ({"id": "not-a-uuid"}, 422, "invalid", "id"),
])
def test_a_bad_adjustment_names_its_field_and_writes_nothing(shop, change, status, code,
                                                             field):
    before = written(shop)
    body = {"product_id": shop.nem, "qty": -1, "reason": "loss", "note": ""} | change
    error = assert_error(shop.send("POST", "/stock/adjustments", body), status, code, field)
    assert error["message"]
    assert written(shop) == before and shop.row(shop.nem)["on_hand"] == 20


def test_adjustments_are_for_managers_and_json_only(shop):
    body = {"product_id": shop.nem, "qty": -1, "reason": "loss"}
    assert_error(shop.send("POST", "/stock/adjustments", body, who="cashier"), 403,
                 "forbidden")
    assert_error(shop.send("POST", "/stock/adjustments", [body]), 400, "malformed")
    reused = str(uuid.uuid4())
    assert shop.send("POST", "/stock/adjustments", body | {"id": reused}).status_code == 201
    assert_error(shop.send("POST", "/stock/adjustments", body | {"id": reused, "qty": -2}),
                 409, "id_reused", "id")
    assert shop.row(shop.nem)["on_hand"] == 19


def test_the_stock_page_form_books_an_adjustment_once(shop):
    login(shop.client, "quanly.coop-01", DEMO_PASSWORD)
    page = shop.client.get(f"/stock?adjust={shop.row(shop.nem)['code']}")
    html = page.get_data(as_text=True)
    assert 'id="adjust"' in html and shop.row(shop.nem)["code"] in html
    form = {"csrf_token": csrf_token(shop.client, "/stock"), "move_id": str(uuid.uuid4()),
            "product": shop.row(shop.nem)["code"].lower(), "qty": "-2", "reason": "sample",
            "note": "Mẫu thử cho khách"}
    done = shop.client.post("/stock/adjustments", data=form, follow_redirects=True)
    assert "Đã điều chỉnh" in done.get_data(as_text=True)
    again = shop.client.post("/stock/adjustments", data=form, follow_redirects=True)
    assert "đã được ghi trước đó" in again.get_data(as_text=True)
    assert shop.row(shop.nem)["on_hand"] == 18

    before = written(shop)
    for change, message in (({"qty": "1,5"}, "số nguyên khác 0"),
                            ({"qty": "3", "reason": "damage"}, "chỉ làm giảm tồn kho"),
                            ({"product": "KHONG-CO"}, "Không có sản phẩm"),
                            ({"reason": "gift"}, "Lý do điều chỉnh không hợp lệ")):
        refused = shop.client.post("/stock/adjustments", follow_redirects=True,
                                   data=form | {"move_id": str(uuid.uuid4())} | change)
        assert message in refused.get_data(as_text=True), change
    assert written(shop) == before and shop.row(shop.nem)["on_hand"] == 18
