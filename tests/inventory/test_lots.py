"""Perishables: lots received with their expiry, sold first-expiry-first-out, written off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Booth, User
from core.services import create_token
from inventory.lots import business_today, remaining_by_lot
from inventory.models import Product, StockLevel, StockLot, StockMove, Transfer, TransferLine
from inventory.services import post_move
from pos.demo import DEMO_PASSWORD
from sync.models import OutboxEvent
from tests.conftest import csrf_token, login


@pytest.fixture
def api(seeded):
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "quanly.coop-01"))
        token = create_token(db.session, user=user)[1]
        db.session.commit()
    client = seeded.test_client()

    def call(method: str, url: str, json=None):
        return client.open(url, method=method, json=json,
                           headers={"Authorization": f"Bearer {token}"})

    return call


def _booth():
    return db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))


@pytest.fixture
def fresh(seeded):
    """Two products this booth has never stocked: the nem chua and another."""
    with seeded.app_context():
        stocked = select(StockLevel.product_id).where(StockLevel.booth_id == _booth().id)
        ids = list(db.session.scalars(select(Product.id).where(Product.id.not_in(stocked))
                                      .order_by(Product.id).limit(2)))
    return ids


def ship(app, lines: list[tuple[int, int]], n: int = 1) -> str:
    """A transfer central shipped, as the booth holds it after pulling the feed."""
    with app.app_context():
        transfer = Transfer(number=f"PC-COOP-01-{n:05d}", booth_id=_booth().id,
                            status="shipped", shipped_by="vanphong")
        transfer.lines = [TransferLine(position=i, product_id=pid, qty=qty)
                          for i, (pid, qty) in enumerate(lines)]
        db.session.add(transfer)
        db.session.commit()
        return transfer.id


def day(offset: int) -> str:
    return (business_today() + timedelta(days=offset)).isoformat()


def receive_lots(app, api, product_id: int, lots: list[tuple[str, int, int]]) -> None:
    """Receive each (lot code, expiry offset in days, qty) as its own transfer."""
    for n, (code, offset, qty) in enumerate(lots, start=1):
        transfer_id = ship(app, [(product_id, qty)], n=n)
        answer = api("POST", f"/api/v1/transfers/{transfer_id}/receive", {"lines": [
            {"product_id": product_id, "received": qty, "lot_code": code,
             "expires_on": day(offset)}]})
        assert answer.status_code == 200, answer.get_json()


def test_receiving_with_lot_and_expiry_books_the_lot_on_the_move(seeded, api, fresh):
    nem, other = fresh
    transfer_id = ship(seeded, [(nem, 20), (other, 5)])
    answer = api("POST", f"/api/v1/transfers/{transfer_id}/receive", {"lines": [
        {"product_id": nem, "received": 20, "lot_code": "NC-0112", "expires_on": day(5)},
        {"product_id": other, "received": 5}]})
    assert answer.status_code == 200
    with seeded.app_context():
        lot = db.session.scalar(select(StockLot))
        assert (lot.product_id, lot.lot_code, lot.expires_on.isoformat(), lot.qty) == (
            nem, "NC-0112", day(5), 20)
        moves = {m.product_id: m for m in db.session.scalars(select(StockMove).where(
            StockMove.kind == "transfer_in"))}
        assert moves[nem].lot_id == lot.id and moves[other].lot_id is None
        event = db.session.scalar(select(OutboxEvent).where(
            OutboxEvent.type == "transfer_received"))
        assert {"product_id": nem, "received": 20, "lot_code": "NC-0112",
                "expires_on": day(5)} in event.payload["lines"]


def test_a_bad_expiry_date_is_refused_and_nothing_is_received(seeded, api, fresh):
    nem = fresh[0]
    transfer_id = ship(seeded, [(nem, 20)])
    answer = api("POST", f"/api/v1/transfers/{transfer_id}/receive", {"lines": [
        {"product_id": nem, "received": 20, "lot_code": "NC", "expires_on": "31/12/2026"}]})
    assert answer.status_code == 422
    assert answer.get_json()["error"] == {
        "code": "bad_date", "field": "lines[0].expires_on",
        "message": "Hạn dùng phải là ngày dạng YYYY-MM-DD."}
    with seeded.app_context():
        assert db.session.get(Transfer, transfer_id).received_at is None
        assert db.session.scalar(select(func.count()).select_from(StockLot)) == 0


def test_what_is_left_of_each_lot_follows_first_expiry_first_out(seeded, api, fresh):
    nem = fresh[0]
    receive_lots(seeded, api, nem, [("A", 2, 10), ("B", 10, 10)])
    with seeded.app_context():
        booth, product = _booth(), db.session.get(Product, nem)
        lots = {lot.lot_code: lot.id for lot in db.session.scalars(select(StockLot))}
        assert remaining_by_lot(db.session, booth=booth) == {lots["A"]: 10, lots["B"]: 10}
        # The till sells 12 without asking for a lot: the soonest-expiring lot went first.
        post_move(db.session, booth=booth, product=product, qty=-12, kind="sale")
        assert remaining_by_lot(db.session, booth=booth) == {lots["A"]: 0, lots["B"]: 8}
        post_move(db.session, booth=booth, product=product, qty=-9, kind="sale")
        assert remaining_by_lot(db.session, booth=booth) == {lots["A"]: 0, lots["B"]: 0}


def test_the_expiring_list_says_what_to_write_off_and_what_to_sell_first(seeded, api, fresh):
    nem, other = fresh
    receive_lots(seeded, api, nem, [("CU", -1, 4), ("MOI", 2, 6), ("XA", 30, 6)])
    body = api("GET", "/api/v1/lots/expiring?days=3").get_json()
    assert [(lot["lot_code"], lot["remaining"], lot["action"]) for lot in body["lots"]] == [
        ("CU", 4, "write_off"), ("MOI", 6, "sell_first")]
    assert body["lots"][0]["expired"] and body["lots"][0]["days_left"] == -1
    assert [(f["product_id"], f["lot_code"]) for f in body["fefo"]] == [(nem, "MOI")]
    bad = api("GET", "/api/v1/lots/expiring?days=-2")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "days"


def test_an_expired_lot_is_written_off_once_and_a_fresh_one_never(seeded, api, fresh):
    nem = fresh[0]
    receive_lots(seeded, api, nem, [("CU", -1, 4), ("MOI", 3, 6)])
    with seeded.app_context():
        lots = {lot.lot_code: lot.id for lot in db.session.scalars(select(StockLot))}
    done = api("POST", f"/api/v1/lots/{lots['CU']}/write-off", {})
    assert done.status_code == 201
    move = done.get_json()["move"]
    assert (move["qty"], move["kind"], move["reason"], move["lot_id"]) == (
        -4, "expire", "expired", lots["CU"])
    with seeded.app_context():
        assert db.session.get(StockLevel, (_booth().id, nem)).on_hand == 6
        assert db.session.get(StockLot, lots["CU"]).written_off_at is not None
        assert db.session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.type == "stock_adjusted")) == 1
    for lot_id, status, code in ((lots["CU"], 409, "already_written_off"),
                                 (lots["MOI"], 409, "not_expired"),
                                 (999_999, 404, "unknown_lot")):
        refused = api("POST", f"/api/v1/lots/{lot_id}/write-off", {})
        assert refused.status_code == status
        assert refused.get_json()["error"]["code"] == code
    with seeded.app_context():
        assert db.session.get(StockLevel, (_booth().id, nem)).on_hand == 6
    listed = api("GET", "/api/v1/lots/expiring?days=3").get_json()["lots"]
    assert [lot["lot_code"] for lot in listed] == ["MOI"]


def test_the_manager_writes_off_from_the_expiring_page(seeded, api, fresh, client):
    nem = fresh[0]
    receive_lots(seeded, api, nem, [("CU", -2, 3)])
    login(client, "quanly.coop-01", DEMO_PASSWORD)
    page = client.get("/lots").get_data(as_text=True)
    with seeded.app_context():
        name = db.session.get(Product, nem).name
        lot_id = db.session.scalar(select(StockLot.id))
    assert name in page and "quá hạn 2 ngày" in page and "Hủy 3 (hết hạn)" in page
    done = client.post(f"/lots/{lot_id}/write-off",
                       data={"csrf_token": csrf_token(client, "/lots")}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Đã hủy 3" in text and "Không có lô nào còn hàng sắp hết hạn." in text
