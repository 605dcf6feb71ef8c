"""The central warehouse: consignment in, transfers out, in transit, differences."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core.extensions import db
from core.models import User
from core.services import create_token
from inventory.models import Product, RestockLine, RestockRequest
from tests.conftest import FAST_HASH, build_app


@pytest.fixture
def central(tmp_path):
    from pos.demo import seed_demo

    app = build_app(tmp_path, role="central")
    with app.app_context():
        seed_demo(db.session, hash_method=FAST_HASH)
        user = db.session.scalar(select(User).where(User.username == "vanphong"))
        app.config["TOKEN"] = create_token(db.session, user=user)[1]
        db.session.commit()
    return app


def api(app, method: str, url: str, **kwargs):
    return app.test_client().open(url, method=method, headers={
        "Authorization": f"Bearer {app.config['TOKEN']}"}, **kwargs)


def warehouse_stock(app, product_id: int) -> int:
    with app.app_context():
        return db.session.scalar(text(
            "SELECT coalesce(sum(m.qty), 0) FROM stock_move m JOIN booth b ON b.id = m.booth_id "
            "WHERE b.code = 'KHO-TT' AND m.product_id = :p"), {"p": product_id})


def a_named_producers_products(app) -> tuple[int, list[int]]:
    with app.app_context():
        product = db.session.scalar(select(Product).join(Product.producer).where(
            text("producer.name <> ''")).order_by(Product.id))
        return product.producer_id, [product.id]


def test_consignment_goods_enter_the_warehouse_and_leave_with_a_transfer(central):
    producer_id, (product_id,) = a_named_producers_products(central)
    response = api(central, "POST", "/api/v1/consignments", json={
        "producer_id": producer_id, "note": "Giao hàng tháng 12",
        "lines": [{"product_id": product_id, "qty": 40, "agreed_price": 60_000,
                   "lot_code": "L12", "expires_on": "2027-01-15"}]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["number"] == "NK-00001"
    assert warehouse_stock(central, product_id) == 40

    shipped = api(central, "POST", "/api/v1/transfers", json={
        "booth": "SAOMAI-02", "lines": [{"product_id": product_id, "qty": 15}]})
    assert shipped.status_code == 201
    assert warehouse_stock(central, product_id) == 25
    in_transit = api(central, "GET", "/api/v1/transfers?status=shipped").get_json()
    assert [t["number"] for t in in_transit["transfers"]] == ["PC-SAOMAI-02-00001"]
    page = api(central, "GET", "/warehouse").get_data(as_text=True)
    assert "Phiếu chuyển đang trên đường: 1" in page


def test_a_consignment_refuses_another_producers_goods_and_bad_quantities(central):
    producer_id, (product_id,) = a_named_producers_products(central)
    with central.app_context():
        stranger = db.session.scalar(select(Product.id).where(
            Product.producer_id != producer_id))
    for lines, field in (([{"product_id": stranger, "qty": 1, "agreed_price": 1}],
                          "lines[0].product_id"),
                         ([{"product_id": product_id, "qty": 0, "agreed_price": 1}],
                          "lines[0].qty"),
                         ([{"product_id": product_id, "qty": 1, "agreed_price": -5}],
                          "lines[0].agreed_price")):
        response = api(central, "POST", "/api/v1/consignments",
                       json={"producer_id": producer_id, "lines": lines})
        assert response.status_code == 422, lines
        assert response.get_json()["error"]["field"] == field
    unknown = api(central, "POST", "/api/v1/consignments", json={
        "producer_id": 999_999, "lines": [{"product_id": product_id, "qty": 1,
                                           "agreed_price": 1}]})
    assert unknown.status_code == 404
    assert warehouse_stock(central, product_id) == 0


def test_shipping_answers_a_restock_request_once(central):
    with central.app_context():
        booth_id = db.session.scalar(text("SELECT id FROM booth WHERE code = 'COOP-03'"))
        request = RestockRequest(booth_id=booth_id, number="YC-COOP-03-00001",
                                 requested_by="quanly.coop-03")
        request.lines = [RestockLine(position=0, product_id=1, qty=6)]
        db.session.add(request)
        db.session.commit()
        request_id = request.id
    client = central.test_client()
    from tests.conftest import csrf_token, login

    assert login(client, "vanphong", "ocop-demo-2026").status_code == 302
    form = {"booth": "COOP-03", "request_id": request_id,
            "csrf_token": csrf_token(client, "/warehouse")}
    first = client.post("/warehouse/ship", data=form)
    assert first.status_code == 303
    with central.app_context():
        assert db.session.get(RestockRequest, request_id).status == "shipped"
    again = client.post("/warehouse/ship", data=form | {"csrf_token": csrf_token(
        client, "/warehouse")})
    assert again.status_code == 303  # back to the form with the reason
    with central.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM transfer")) == 1
