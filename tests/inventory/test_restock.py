"""Restock requests: suggested from sell-through and reorder points, sent to central."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text

from core.extensions import db
from core.models import Booth, User
from core.services import create_token
from core.types import new_uuid
from inventory.models import Product, RestockRequest, StockLevel
from inventory.services import post_move
from pos.demo import DEMO_PASSWORD
from sync.models import IngestedEvent, OutboxEvent
from tests.conftest import csrf_token, login
from tests.sync.conftest import (
    Pair,
    make_booth,
    make_central,
    register,
    stocked_products,
    totals,
)


def _tokens(app) -> dict[str, str]:
    with app.app_context():
        tokens = {}
        for role, name in (("manager", "quanly.coop-01"), ("cashier", "thungan.coop-01")):
            user = db.session.scalar(select(User).where(User.username == name))
            tokens[role] = create_token(db.session, user=user)[1]
        db.session.commit()
    return tokens


@pytest.fixture
def api(seeded):
    tokens = _tokens(seeded)
    client = seeded.test_client()

    def call(method: str, url: str, json=None, as_: str = "manager"):
        return client.open(url, method=method, json=json,
                           headers={"Authorization": f"Bearer {tokens[as_]}"})

    return call


def _booth():
    return db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))


@pytest.fixture
def shelf(seeded):
    """Three products this booth never stocked, given a known history: one nearly gone,
    one selling fast (3 a day) with 20 left, one plenty and idle."""
    with seeded.app_context():
        booth = _booth()
        stocked = select(StockLevel.product_id).where(StockLevel.booth_id == booth.id)
        low, fast, idle = db.session.scalars(select(Product).where(
            Product.id.not_in(stocked)).order_by(Product.id).limit(3)).all()
        post_move(db.session, booth=booth, product=low, qty=2, kind="receive")
        post_move(db.session, booth=booth, product=fast, qty=110, kind="receive")
        post_move(db.session, booth=booth, product=fast, qty=-90, kind="sale")
        post_move(db.session, booth=booth, product=idle, qty=30, kind="receive")
        db.session.commit()
        return {"low": low.id, "fast": fast.id, "idle": idle.id}


def test_suggestions_cover_low_stock_and_fast_sellers_but_not_idle_plenty(seeded, api,
                                                                           shelf):
    found = {s["product_id"]: s for s in api(
        "GET", "/api/v1/restock-requests/suggestions").get_json()["suggestions"]}
    low, fast = found[shelf["low"]], found[shelf["fast"]]
    assert shelf["idle"] not in found
    # At or below the reorder point (5 by default): up to the point plus a margin of 3.
    assert (low["on_hand"], low["why"], low["suggested_qty"]) == (2, "reorder_point", 6)
    # 90 sold in 30 days, 20 left: under 7 days of cover, filled to 14 days (42).
    assert (fast["days_of_cover"], fast["why"], fast["suggested_qty"]) == (6.7, "cover", 22)
    with seeded.app_context():
        db.session.get(StockLevel, (_booth().id, shelf["idle"])).reorder_point = 30
        db.session.commit()
    found = {s["product_id"]: s for s in api(
        "GET", "/api/v1/restock-requests/suggestions").get_json()["suggestions"]}
    assert found[shelf["idle"]]["suggested_qty"] == 15  # its own reorder point, + margin
    # Once asked for, a product is no longer suggested again.
    api("POST", "/api/v1/restock-requests", {"lines": [{"product_id": shelf["low"], "qty": 6}]})
    found = {s["product_id"] for s in api(
        "GET", "/api/v1/restock-requests/suggestions").get_json()["suggestions"]}
    assert shelf["low"] not in found and shelf["fast"] in found


def test_a_request_is_numbered_sent_up_and_idempotent_on_its_id(seeded, api, shelf):
    body = {"id": str(uuid.uuid4()), "note": "Cuối tuần đông khách",
            "lines": [{"product_id": shelf["low"], "qty": 6},
                      {"product_id": shelf["fast"], "qty": 22}]}
    created = api("POST", "/api/v1/restock-requests", body)
    assert created.status_code == 201
    answer = created.get_json()
    assert (answer["number"], answer["status"]) == ("YC-COOP-01-00001", "requested")
    assert api("POST", "/api/v1/restock-requests", body).get_json()["number"] == \
        "YC-COOP-01-00001"
    reused = api("POST", "/api/v1/restock-requests", body | {"lines": body["lines"][:1]})
    assert reused.status_code == 409 and reused.get_json()["error"]["code"] == "id_reused"
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(RestockRequest)) == 1
        events = db.session.scalars(select(OutboxEvent).where(
            OutboxEvent.type == "restock_requested")).all()
        assert len(events) == 1
        assert events[0].payload["lines"] == [{"product_id": shelf["low"], "qty": 6},
                                              {"product_id": shelf["fast"], "qty": 22}]
    listed = api("GET", "/api/v1/restock-requests").get_json()["requests"]
    assert [r["number"] for r in listed] == ["YC-COOP-01-00001"]
    assert api("POST", "/api/v1/restock-requests", body, as_="cashier").status_code == 403


@pytest.mark.parametrize(("lines", "field", "code"), [
    ([], "lines", "invalid"),
    ([{"product_id": "low", "qty": 0}], "lines[0].qty", "bad_quantity"),
    ([{"product_id": "low", "qty": -4}], "lines[0].qty", "bad_quantity"),
    ([{"product_id": "low", "qty": 1.5}], "lines[0].qty", "bad_quantity"),
    ([{"product_id": "low", "qty": "3"}], "lines[0].qty", "bad_quantity"),
    ([{"product_id": 999_999, "qty": 3}], "lines[0].product_id", "unknown_product"),
    ([{"product_id": "low", "qty": 3}, {"product_id": "low", "qty": 1}],
     "lines[1].product_id", "duplicate_product"),
])
def test_a_bad_request_is_refused_in_vietnamese_and_writes_nothing(seeded, api, shelf, lines,
                                                                   field, code):
    lines = [{k: (shelf["low"] if v == "low" else v) for k, v in line.items()}
             for line in lines]
    refused = api("POST", "/api/v1/restock-requests", {"lines": lines})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"] and error["message"][0].isupper()
    with seeded.app_context():
        assert db.session.scalar(select(func.count()).select_from(RestockRequest)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.type == "restock_requested")) == 0


def test_the_manager_picks_from_the_suggestions_on_the_page(seeded, shelf, client):
    login(client, "quanly.coop-01", DEMO_PASSWORD)
    page = client.get("/restock").get_data(as_text=True)
    with seeded.app_context():
        names = {key: db.session.get(Product, pid).name for key, pid in shelf.items()}
    assert names["low"] in page and names["fast"] in page and names["idle"] not in page
    done = client.post("/restock", data={
        "csrf_token": csrf_token(client, "/restock"), "request_id": str(uuid.uuid4()),
        "pick": [str(shelf["fast"])], f"qty-{shelf['fast']}": "30",
        f"qty-{shelf['low']}": "6", "note": "Hàng bán chạy"}, follow_redirects=True)
    assert "Đã gửi yêu cầu YC-COOP-01-00001" in done.get_data(as_text=True)
    with seeded.app_context():
        request = db.session.scalar(select(RestockRequest))
        assert [(line.product_id, line.qty) for line in request.lines] == [(shelf["fast"], 30)]


# --- at central, through the sync -------------------------------------------------------------


@pytest.fixture
def pair(tmp_path):
    central = make_central(tmp_path)
    token = register(central)
    booth = make_booth(tmp_path, token=token)
    yield Pair(central=central, booth=booth, token=token)
    for app in (central, booth):
        with app.app_context():
            db.engine.dispose()


def test_a_stocktake_and_a_request_reach_central(pair):
    tokens = _tokens(pair.booth)
    client = pair.booth.test_client()

    def call(method, url, json=None):
        return client.open(url, method=method, json=json,
                           headers={"Authorization": f"Bearer {tokens['manager']}"})

    with pair.booth.app_context():
        a, b = ({"product_id": pid, "on_hand": db.session.get(
            StockLevel, (_booth().id, pid)).on_hand} for pid in stocked_products(pair.booth, 2))
    taken = call("POST", "/api/v1/stocktakes", {"reason": "Kiểm kê đột xuất", "counts": [
        {"product_id": a["product_id"], "counted": a["on_hand"] - 3},
        {"product_id": b["product_id"], "counted": b["on_hand"] + 2}]})
    assert taken.status_code == 201
    made = call("POST", "/api/v1/restock-requests", {"note": "Gấp", "lines": [
        {"product_id": a["product_id"], "qty": 10}]})
    assert made.status_code == 201
    request_id = made.get_json()["id"]

    pair.client().sync_once()

    assert totals(pair.central) == totals(pair.booth)
    with pair.central.app_context():
        assert db.session.scalar(select(func.count()).select_from(IngestedEvent).where(
            IngestedEvent.status == "needs_review")) == 0
        request = db.session.get(RestockRequest, request_id)
        assert (request.number, request.status, request.note, request.requested_by) == (
            "YC-COOP-01-00001", "requested", "Gấp", "quanly.coop-01")
        assert [(line.product_id, line.qty) for line in request.lines] == [
            (a["product_id"], 10)]
        count_moves = db.session.execute(text(
            "SELECT product_id, qty FROM stock_move WHERE kind = 'count' ORDER BY qty")).all()
        assert [tuple(r) for r in count_moves] == [(a["product_id"], -3), (b["product_id"], 2)]

        # The same request arriving again in another event is kept for review.
        from sync.apply import apply_events

        payload = db.session.scalar(select(IngestedEvent.payload).where(
            IngestedEvent.type == "restock_requested"))
        event_id = new_uuid()
        booth = db.session.get(Booth, request.booth_id)
        problems = apply_events(db.session, booth=booth, events=[
            {"id": event_id, "type": "restock_requested", "hash": "", "payload": payload}])
        assert "đã có ở trung tâm" in problems[event_id]
        db.session.rollback()
        office = db.session.scalar(select(User).where(User.username == "vanphong"))
        office_token = create_token(db.session, user=office)[1]
        db.session.commit()
    # The office ships against central's copy of the request.
    shipped = pair.central.test_client().post(
        "/api/v1/transfers", headers={"Authorization": f"Bearer {office_token}"},
        json={"booth": "COOP-01", "request_id": request_id,
              "lines": [{"product_id": a["product_id"], "qty": 10}]})
    assert shipped.status_code == 201, shipped.get_json()
    with pair.central.app_context():
        assert db.session.get(RestockRequest, request_id).status == "shipped"
