"""What booths pull: the catalogue (prices) and the transfers central ships them."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core.errors import Conflict, DomainError
from core.extensions import db
from core.models import User
from inventory.models import Product, Transfer
from inventory.transfers import receive_transfer, ship_transfer
from sync.client import SyncError, check_central_url
from sync.feeds import catalog_page
from tests.sync.conftest import BOOTH, booth_row, sell, staff, stocked_products, totals


def set_price(central, product_id: int, price: int) -> None:
    with central.app_context():
        db.session.get(Product, product_id).price = price
        db.session.commit()


def booth_price(booth, product_id: int) -> int:
    with booth.app_context():
        return db.session.get(Product, product_id).price


def test_a_price_published_at_central_reaches_the_till(pair):
    product_id = stocked_products(pair.booth)[0]
    client = pair.client()
    client.sync_once()
    set_price(pair.central, product_id, 123_000)
    assert booth_price(pair.booth, product_id) != 123_000
    client.sync_once()
    assert booth_price(pair.booth, product_id) == 123_000
    from tests.sync.conftest import open_shift

    open_shift(pair.booth)
    sale = sell(pair.booth, [(product_id, 1)])
    assert sale["total"] == 123_000


def test_every_catalogue_change_gets_a_new_version_and_pages_never_split_one(pair):
    with pair.central.app_context():
        head = db.session.scalar(text("SELECT version FROM feed_head WHERE name='catalog'"))
        products = db.session.scalars(select(Product).order_by(Product.id).limit(3)).all()
        for product in products:
            product.price += 1_000
        db.session.commit()  # one release: three products, one version
        assert {p.catalog_version for p in products} == {head + 1}
        seen, since = [], 0
        while True:
            page = catalog_page(db.session, since=since, limit=50)
            seen += [p["id"] for p in page["products"]]
            since = page["next_version"]
            if not page["has_more"]:
                break
        assert since == head + 1
        assert sorted(seen) == sorted(set(seen)) and len(seen) >= 143
        newest = catalog_page(db.session, since=head, limit=1)
        assert [p["id"] for p in newest["products"]] == [p.id for p in products]


def test_a_transfer_received_short_and_over_shows_both_differences_at_central(pair):
    a, b, c = stocked_products(pair.booth)
    with pair.central.app_context():
        office = db.session.scalar(select(User).where(User.username == "vanphong"))
        transfer = ship_transfer(db.session, booth=booth_row(), by=office,
                                 lines=[(a, 10), (b, 5), (c, 2)], note="Bổ sung hàng")
        db.session.commit()
        transfer_id = transfer.id
    client = pair.client()
    client.sync_once()
    with pair.booth.app_context():
        transfer = db.session.get(Transfer, transfer_id)
        assert transfer.status == "shipped" and len(transfer.lines) == 3
        with pytest.raises(DomainError) as missing:
            receive_transfer(db.session, booth=booth_row(), transfer=transfer,
                             received=[(a, 10)], by=staff("manager"))
        assert missing.value.code == "line_not_counted"
        db.session.rollback()
        transfer = db.session.get(Transfer, transfer_id)
        receive_transfer(db.session, booth=booth_row(), transfer=transfer,
                         received=[(a, 8), (b, 6), (c, 2)], by=staff("manager"))
        db.session.commit()
        with pytest.raises(Conflict):
            receive_transfer(db.session, booth=booth_row(),
                             transfer=db.session.get(Transfer, transfer_id),
                             received=[(a, 8), (b, 6), (c, 2)], by=staff("manager"))
        db.session.rollback()
    client.sync_once()
    office = pair.central.test_client()
    token = _office_token(pair.central)
    report = office.get(f"/api/v1/transfers/{transfer_id}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert report["status"] == "discrepancy" and report["booth"] == BOOTH
    assert {d["product_id"]: d["difference"] for d in report["differences"]} == {a: -2, b: 1}
    assert totals(pair.central) == totals(pair.booth)


def test_receiving_refuses_bad_counts_and_strangers(pair):
    a, b = stocked_products(pair.booth, 2)
    with pair.central.app_context():
        office = db.session.scalar(select(User).where(User.username == "vanphong"))
        transfer_id = ship_transfer(db.session, booth=booth_row(), by=office,
                                    lines=[(a, 3)]).id
        db.session.commit()
    pair.client().sync_once()
    api = pair.booth.test_client()
    token = _booth_manager_token(pair.booth)
    url = f"/api/v1/transfers/{transfer_id}/receive"
    for lines, field in (([{"product_id": a, "received": -1}], "lines[0].received"),
                         ([{"product_id": a, "received": 1.5}], "lines.0.received"),
                         ([{"product_id": b, "received": 1}], "lines[0].product_id")):
        response = api.post(url, json={"lines": lines},
                            headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 422, lines
        assert response.get_json()["error"]["field"].replace("[", ".").replace("]", "") \
            == field.replace("[", ".").replace("]", "")
    ok = api.post(url, json={"lines": [{"product_id": a, "received": 3}]},
                  headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "received"
    again = api.post(url, json={"lines": [{"product_id": a, "received": 3}]},
                     headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_received"


def test_shipping_refuses_bad_lines(pair):
    token = _office_token(pair.central)
    api = pair.central.test_client()
    for body, field in (({"booth": BOOTH, "lines": []}, "lines"),
                        ({"booth": BOOTH, "lines": [{"product_id": 1, "qty": 0}]},
                         "lines[0].qty"),
                        ({"booth": BOOTH, "lines": [{"product_id": 99999, "qty": 1}]},
                         "lines[0].product_id"),
                        ({"booth": "NOWHERE", "lines": [{"product_id": 1, "qty": 1}]},
                         "booth")):
        response = api.post("/api/v1/transfers", json=body,
                            headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (404, 422), body
        assert response.get_json()["error"]["field"] == field
    with pair.central.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM transfer")) == 0


def test_the_booth_refuses_a_plain_http_central_that_is_not_this_machine():
    assert check_central_url("http://127.0.0.1:5001/") == "http://127.0.0.1:5001"
    assert check_central_url("https://trungtam.example.vn")
    with pytest.raises(SyncError, match="HTTPS"):
        check_central_url("http://10.0.0.5:5001")
    assert check_central_url("http://10.0.0.5:5001", allow_http=True)
    with pytest.raises(SyncError):
        check_central_url("ftp://trungtam")


def test_the_sync_status_shows_what_waits(pair):
    from tests.sync.conftest import open_shift

    open_shift(pair.booth)
    sell(pair.booth, [(stocked_products(pair.booth)[0], 1)])
    api = pair.booth.test_client()
    token = _booth_manager_token(pair.booth)
    status = api.get("/api/v1/sync/status", headers={"Authorization": f"Bearer {token}"}
                     ).get_json()
    assert status["pending"] == 2 and status["oldest_pending_at"] and status["last_push_at"] is None
    pair.client().sync_once()
    status = api.get("/api/v1/sync/status", headers={"Authorization": f"Bearer {token}"}
                     ).get_json()
    assert status["pending"] == 0 and status["last_push_at"] and status["last_error"] is None
    page = api.get("/sync", headers={"Authorization": f"Bearer {token}"})
    assert "Sự kiện chờ gửi" in page.get_data(as_text=True)


def _office_token(app) -> str:
    return _token(app, "vanphong")


def _booth_manager_token(app) -> str:
    return _token(app, "quanly.coop-01")


def _token(app, username: str) -> str:
    from core.services import create_token

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        plain = create_token(db.session, user=user)[1]
        db.session.commit()
        return plain
