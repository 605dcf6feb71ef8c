"""The catalogue at central as the office uses it: producers, products, barcodes, prices
and the whole-catalogue listing, through the JSON API, the pages and the command line,
and a price change that reaches a booth's till."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from central.catalog import VIETNAM, apply_due_price_changes, prices_group
from core.extensions import db
from core.models import User
from core.services import create_token
from core.types import utcnow
from inventory.barcodes import ean13_with_check
from inventory.models import PriceChange, Producer, Product
from pos.demo import DEMO_PASSWORD, seed_demo
from sync.feeds import catalog_page
from tests.conftest import FAST_HASH, build_app, login
from tests.sync import conftest as sync_fixtures
from tests.sync.conftest import open_shift, sell

# The central + booth pair of the sync tests (SQLite, and PostgreSQL when configured).
pair = sync_fixtures.pair
central_url = sync_fixtures.central_url

VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")
NEW_EAN = ean13_with_check("893999900001")


@pytest.fixture
def central(tmp_path):
    """Central with the demo catalogue (143 products) and the office's token."""
    app = build_app(tmp_path, role="central")
    with app.app_context():
        seed_demo(db.session, booth_code="COOP-01", hash_method=FAST_HASH)
        office = db.session.scalar(select(User).where(User.username == "vanphong"))
        app.config["TOKEN"] = create_token(db.session, user=office)[1]
        db.session.commit()
    return app


def call(app, method: str, url: str, **kwargs):
    return app.test_client().open(url, method=method, headers={
        "Authorization": f"Bearer {app.config['TOKEN']}"}, **kwargs)


def refused(response, status: int, code: str, field: str | None = None) -> str:
    """The contract's error: status, code, field and a Vietnamese message."""
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code, error
    assert VIETNAMESE.search(error["message"].lower()), error["message"]
    if field is not None:
        assert error.get("field") == field, error
    return error["message"]


def catalog_version(app) -> int:
    with app.app_context():
        return db.session.scalar(text("SELECT version FROM feed_head WHERE name = 'catalog'"))


def product_row(app, product_id: int) -> dict:
    with app.app_context():
        p = db.session.get(Product, product_id)
        return {"name": p.name, "name_folded": p.name_folded, "price": p.price,
                "active": p.active, "stars": p.stars, "version": p.catalog_version,
                "barcodes": [b.code for b in p.barcodes]}


def a_product(app, name: str = "Nước mắm Tác Huy") -> int:
    with app.app_context():
        return db.session.scalar(select(Product.id).where(Product.name == name))


def new_producer(app, **fields) -> dict:
    response = call(app, "POST", "/api/v1/producers", json={
        "name": "", "kind": "household", "district": "Bỉm Sơn"} | fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- producers and products ---------------------------------------------------------------


def test_a_nameless_producer_and_its_new_product_start_unpriced_and_off_sale(central):
    producer = new_producer(central, district="Sầm Sơn")
    assert producer["name"] == ""  # never a placeholder that would print on receipts
    refused(call(central, "POST", "/api/v1/producers", json={"name": "", "district": "Sầm Sơn"}),
            409, "duplicate_producer", "name")
    before = catalog_version(central)
    response = call(central, "POST", "/api/v1/products", json={
        "name": "  Mắm  tép Sầm Sơn ", "producer_id": producer["id"], "category": "food",
        "vat_rate": 8, "unit": "hũ 300 g", "stars": 3, "certified_year": 2025})
    assert response.status_code == 201, response.get_json()
    product = response.get_json()
    assert (product["name"], product["price"], product["active"]) == ("Mắm tép Sầm Sơn", 0,
                                                                      False)
    assert product["code"] == "OCOP-TH-0144"  # the next free code after the demo's 143
    assert product["producer"]["name"] == ""
    assert catalog_version(central) > before  # the booths will pull it
    found = call(central, "GET", "/api/v1/products?q=mam tep sam son").get_json()["products"]
    assert [p["id"] for p in found] == [product["id"]]


def test_every_field_of_a_product_can_be_edited_and_search_follows_the_name(central):
    product_id = a_product(central)
    other = new_producer(central, name="HTX Cói Nga Sơn", kind="cooperative",
                         commune="Nga Thanh", phone="0237 3 812 345")
    response = call(central, "PATCH", f"/api/v1/products/{product_id}", json={
        "code": "tac-huy-01", "name": "Chiếu cói Nga Sơn loại đẹp", "producer_id": other["id"],
        "category": "handicraft", "unit": "chiếc", "stars": 4, "certified_year": 2026,
        "vat_rate": 10, "active": False, "origin_url": "https://ocop.example/chieu"})
    assert response.status_code == 200, response.get_json()
    body = call(central, "GET", f"/api/v1/products/{product_id}").get_json()
    assert {k: body[k] for k in ("code", "name", "category", "unit", "stars",
                                 "certified_year", "vat_rate", "active", "origin_url")} == {
        "code": "TAC-HUY-01", "name": "Chiếu cói Nga Sơn loại đẹp", "category": "handicraft",
        "unit": "chiếc", "stars": 4, "certified_year": 2026, "vat_rate": 10,
        "active": False, "origin_url": "https://ocop.example/chieu"}
    assert body["producer"]["name"] == "HTX Cói Nga Sơn"
    assert product_row(central, product_id)["name_folded"] == "chieu coi nga son loai dep"
    found = call(central, "GET", "/api/v1/products?q=CHIEU COI loai dep").get_json()
    assert [p["id"] for p in found["products"]] == [product_id]
    # Stars may go back to "not stated".
    call(central, "PATCH", f"/api/v1/products/{product_id}", json={"stars": None})
    assert product_row(central, product_id)["stars"] is None


def test_a_producer_is_edited_field_by_field_and_its_name_may_be_emptied(central):
    producer = new_producer(central, name="Cơ sở Bánh gai Tứ Trụ", district="Nga Sơn")
    response = call(central, "PATCH", f"/api/v1/producers/{producer['id']}", json={
        "name": "Cơ sở Bánh gai Tứ Trụ Bà Hằng", "kind": "company", "commune": "Thọ Diên",
        "phone": "0912 345 678"})
    assert response.status_code == 200
    assert response.get_json() | {"catalog_version": 0} == {
        "id": producer["id"], "name": "Cơ sở Bánh gai Tứ Trụ Bà Hằng", "kind": "company",
        "commune": "Thọ Diên", "district": "Nga Sơn", "phone": "0912 345 678",
        "catalog_version": 0}
    with central.app_context():
        assert db.session.get(Producer, producer["id"]).name_folded == \
            "co so banh gai tu tru ba hang"
    assert call(central, "PATCH", f"/api/v1/producers/{producer['id']}",
                json={"name": ""}).get_json()["name"] == ""
    # Thọ Xuân already has its nameless producer (the demo's): one per district.
    named = new_producer(central, name="HTX Mía đường", district="Thọ Xuân")
    refused(call(central, "PATCH", f"/api/v1/producers/{named['id']}", json={"name": ""}),
            409, "duplicate_producer", "name")
    refused(call(central, "PATCH", f"/api/v1/producers/{producer['id']}",
                 json={"phone": "gọi tôi"}), 422, "invalid", "phone")
    refused(call(central, "PATCH", f"/api/v1/producers/{producer['id']}",
                 json={"kind": "mafia"}), 422, "invalid", "kind")
    refused(call(central, "GET", "/api/v1/producers/999999"), 404, "unknown_producer")


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"stars": 6}, 422, "invalid", "stars"),
    ({"stars": 2}, 422, "invalid", "stars"),
    ({"vat_rate": 7}, 422, "invalid", "vat_rate"),
    ({"vat_rate": None}, 422, "invalid", "vat_rate"),
    ({"certified_year": 1800}, 422, "invalid", "certified_year"),
    ({"unit": "  "}, 422, "invalid", "unit"),
    ({"name": ""}, 422, "invalid", "name"),
    ({"code": "mã sai"}, 422, "invalid", "code"),
    ({"code": "OCOP-TH-0002"}, 409, "duplicate_code", "code"),
    ({"category": "vũ khí"}, 422, "invalid", "category"),
    ({"origin_url": "ftp://x"}, 422, "invalid", "origin_url"),
    ({"active": "có lẽ"}, 422, "invalid", "active"),
    ({"producer_id": 999999}, 404, "unknown_producer", "producer_id"),
    ({"price": 1000}, 422, "use_price_change", "price"),
    ({"colour": "red"}, 422, "invalid", "colour"),
])
def test_a_bad_value_is_refused_with_its_field_and_writes_nothing(central, body, status,
                                                                  code, field):
    product_id = a_product(central)
    before, version = product_row(central, product_id), catalog_version(central)
    refused(call(central, "PATCH", f"/api/v1/products/{product_id}", json=body), status, code,
            field)
    assert product_row(central, product_id) == before
    assert catalog_version(central) == version


def test_malformed_json_is_400(central):
    refused(call(central, "POST", "/api/v1/products", data="{", content_type="application/json"),
            400, "malformed")


def test_a_product_without_a_price_cannot_go_on_sale_until_it_has_one(central):
    producer = new_producer(central)
    product = call(central, "POST", "/api/v1/products", json={
        "name": "Nem chua Nga Sơn", "producer_id": producer["id"], "category": "food",
        "vat_rate": 8}).get_json()
    refused(call(central, "PATCH", f"/api/v1/products/{product['id']}", json={"active": True}),
            422, "no_price", "active")
    call(central, "POST", f"/api/v1/products/{product['id']}/prices", json={"price": 45_000})
    response = call(central, "PATCH", f"/api/v1/products/{product['id']}", json={"active": True})
    assert response.get_json()["active"] is True


# --- barcodes -------------------------------------------------------------------------------


def test_barcodes_are_checked_unique_and_removable(central):
    product_id = a_product(central)
    other_id = a_product(central, "Nước mắm Lê Gia - Cốt đặc biệt 40N")
    version = product_row(central, product_id)["version"]
    added = call(central, "POST", f"/api/v1/products/{product_id}/barcodes",
                 json={"code": NEW_EAN})
    assert added.status_code == 201 and added.get_json()["kind"] == "ean13"
    assert product_row(central, product_id)["version"] > version
    message = refused(call(central, "POST", f"/api/v1/products/{other_id}/barcodes",
                           json={"code": NEW_EAN}), 409, "duplicate_barcode", "barcode")
    assert NEW_EAN in message and "Nước mắm Tác Huy" in message
    wrong = NEW_EAN[:12] + str((int(NEW_EAN[12]) + 1) % 10)
    refused(call(central, "POST", f"/api/v1/products/{other_id}/barcodes", json={"code": wrong}),
            422, "bad_check_digit", "barcode")
    refused(call(central, "POST", f"/api/v1/products/{other_id}/barcodes", json={"code": "12"}),
            422, "bad_barcode", "barcode")
    refused(call(central, "POST", f"/api/v1/products/{other_id}/barcodes", json={}), 422,
            "invalid", "code")
    upca = ean13_with_check("003600029145")[1:]
    assert call(central, "POST", f"/api/v1/products/{other_id}/barcodes",
                json={"code": upca}).get_json()["code"] == "0" + upca  # found either way
    issued = call(central, "POST", f"/api/v1/products/{other_id}/barcodes",
                  json={"generate": True}).get_json()
    assert issued["kind"] == "instore" and issued["code"].startswith("20")

    version = product_row(central, product_id)["version"]
    response = call(central, "DELETE", f"/api/v1/products/{product_id}/barcodes/{NEW_EAN}")
    assert response.status_code == 200 and NEW_EAN not in response.get_json()["barcodes"]
    assert product_row(central, product_id)["version"] > version  # booths drop it too
    refused(call(central, "DELETE", f"/api/v1/products/{product_id}/barcodes/{NEW_EAN}"),
            404, "unknown_barcode")


# --- prices ---------------------------------------------------------------------------------


def test_a_price_change_now_applies_at_once_and_is_in_the_history(central):
    product_id = a_product(central)
    old = product_row(central, product_id)["price"]
    response = call(central, "POST", f"/api/v1/products/{product_id}/prices",
                    json={"price": "135.000", "note": "Giá mới từ nhà sản xuất"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "applied"
    assert product_row(central, product_id)["price"] == 135_000
    history = call(central, "GET", f"/api/v1/products/{product_id}/prices").get_json()
    change = history["changes"][0]
    assert (history["price"], change["old_price"], change["price"], change["created_by"],
            change["note"]) == (135_000, old, 135_000, "vanphong", "Giá mới từ nhà sản xuất")
    assert change["applied_at"] and change["effective_from"] and change["created_at"]


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"price": 0}, "invalid", "price"),
    ({"price": -5000}, "invalid", "price"),
    ({"price": 12.5}, "invalid", "price"),
    ({"price": "mười nghìn"}, "invalid", "price"),
    ({}, "invalid", "price"),
    ({"price": 50_000, "effective_from": "2020-01-01"}, "invalid", "effective_from"),
    ({"price": 50_000, "effective_from": "hôm qua"}, "invalid", "effective_from"),
])
def test_a_bad_price_change_is_refused_and_writes_nothing(central, body, code, field):
    product_id = a_product(central)
    before = product_row(central, product_id)
    refused(call(central, "POST", f"/api/v1/products/{product_id}/prices", json=body), 422,
            code, field)
    assert product_row(central, product_id) == before
    assert call(central, "GET", f"/api/v1/products/{product_id}/prices").get_json()[
        "changes"] == []


def test_the_same_price_again_is_refused(central):
    product_id = a_product(central)
    price = product_row(central, product_id)["price"]
    refused(call(central, "POST", f"/api/v1/products/{product_id}/prices",
                 json={"price": price}), 422, "unchanged", "price")


def _due_now(app, change_id: int) -> None:
    """Time passes: the pending change's moment is now in the past."""
    with app.app_context():
        change = db.session.get(PriceChange, change_id)
        change.effective_from = utcnow() - timedelta(seconds=1)
        db.session.commit()


def test_a_future_price_waits_then_the_catalogue_feed_applies_it(central):
    product_id = a_product(central)
    old = product_row(central, product_id)["price"]
    tomorrow = (utcnow().astimezone(VIETNAM) + timedelta(days=1)).date().isoformat()
    response = call(central, "POST", f"/api/v1/products/{product_id}/prices",
                    json={"price": 99_000, "effective_from": tomorrow})
    assert response.get_json()["status"] == "pending"
    assert response.get_json()["effective_from"].startswith(
        (utcnow().astimezone(VIETNAM) + timedelta(days=1)).date().isoformat()[:8])
    assert product_row(central, product_id)["price"] == old
    history = call(central, "GET", f"/api/v1/products/{product_id}/prices").get_json()
    assert [(c["status"], c["old_price"]) for c in history["changes"]] == [("pending", None)]

    _due_now(central, response.get_json()["id"])
    version = catalog_version(central)
    with central.app_context():
        page = catalog_page(db.session, since=version, limit=100)
        db.session.commit()
    assert [(p["id"], p["price"]) for p in page["products"]] == [(product_id, 99_000)]
    history = call(central, "GET", f"/api/v1/products/{product_id}/prices").get_json()
    assert [(c["status"], c["old_price"], c["price"]) for c in history["changes"]] == [
        ("applied", old, 99_000)]


def test_ocop_prices_apply_applies_what_is_due_and_only_that(central):
    first, second = a_product(central), a_product(central, "Nước mắm Lê Gia - Cốt đặc biệt 40N")
    in_a_week = (utcnow().astimezone(VIETNAM) + timedelta(days=7)).date().isoformat()
    due = call(central, "POST", f"/api/v1/products/{first}/prices",
               json={"price": 77_000, "effective_from": in_a_week}).get_json()
    call(central, "POST", f"/api/v1/products/{second}/prices",
         json={"price": 88_000, "effective_from": in_a_week})
    _due_now(central, due["id"])
    from pos.cli import COMMANDS

    assert prices_group in COMMANDS  # ``ocop prices apply``
    result = central.test_cli_runner().invoke(prices_group, ["apply"])
    assert result.exit_code == 0, result.output
    assert "Đã áp dụng 1 thay đổi giá" in result.output
    assert product_row(central, first)["price"] == 77_000
    assert product_row(central, second)["price"] != 88_000
    with central.app_context():
        assert apply_due_price_changes(db.session) == []  # nothing twice


def test_a_price_changed_at_central_is_charged_at_the_booth_after_sync(pair):
    with pair.booth.app_context():
        product_id = db.session.scalar(text(
            "SELECT product_id FROM stock_level WHERE on_hand > 0 ORDER BY product_id"))
    with pair.central.app_context():
        office = db.session.scalar(select(User).where(User.username == "vanphong"))
        pair.central.config["TOKEN"] = create_token(db.session, user=office)[1]
        db.session.commit()
    client = pair.client()
    client.sync_once()
    response = call(pair.central, "POST", f"/api/v1/products/{product_id}/prices",
                    json={"price": 123_000, "note": "Tăng giá"})
    assert response.status_code == 201
    tomorrow = (utcnow().astimezone(VIETNAM) + timedelta(days=1)).date().isoformat()
    later = call(pair.central, "POST", f"/api/v1/products/{product_id}/prices",
                 json={"price": 128_000, "effective_from": tomorrow}).get_json()
    client.sync_once()
    with pair.booth.app_context():
        assert db.session.get(Product, product_id).price == 123_000  # not the future one
    open_shift(pair.booth)
    assert sell(pair.booth, [(product_id, 2)])["total"] == 246_000

    _due_now(pair.central, later["id"])
    client.sync_once()  # the booth's pull applies the due change at central
    with pair.booth.app_context():
        assert db.session.get(Product, product_id).price == 128_000
    assert sell(pair.booth, [(product_id, 1)])["total"] == 128_000


# --- the whole catalogue --------------------------------------------------------------------


def test_the_whole_catalogue_is_listed_page_by_page_inactive_included(central):
    product_id = a_product(central)
    call(central, "PATCH", f"/api/v1/products/{product_id}", json={"active": False})
    seen, after, pages = [], 0, 0
    while after is not None:
        body = call(central, "GET", f"/api/v1/products?after_id={after}&limit=50").get_json()
        seen += [p["id"] for p in body["products"]]
        after, pages = body["next_after_id"], pages + 1
    assert pages == 3 and len(seen) == 143 and seen == sorted(set(seen))
    assert product_id in seen
    assert len(call(central, "GET", "/api/v1/products?limit=500").get_json()["products"]) == 143
    assert call(central, "GET", "/api/v1/products?q=%25").get_json()["products"] == []
    off = call(central, "GET", "/api/v1/products?active=0").get_json()["products"]
    assert [p["id"] for p in off] == [product_id]
    refused(call(central, "GET", "/api/v1/products?limit=501"), 422, "invalid", "limit")
    refused(call(central, "GET", "/api/v1/products?after_id=x"), 400, "malformed", "after_id")


def test_the_booth_lists_its_whole_catalogue_with_a_cursor_and_still_searches(seeded):
    with seeded.app_context():
        cashier = db.session.scalar(select(User).where(User.username == "thungan.coop-01"))
        token = create_token(db.session, user=cashier)[1]
        db.session.commit()
    client = seeded.test_client()

    def get(url):
        return client.get(url, headers={"Authorization": f"Bearer {token}"})

    first = get("/api/v1/products?after_id=0&limit=100").get_json()
    assert len(first["products"]) == 100 and first["next_after_id"] == \
        first["products"][-1]["id"]
    assert all("on_hand" in p and "active" in p for p in first["products"])
    rest = get(f"/api/v1/products?after_id={first['next_after_id']}&limit=500").get_json()
    assert len(rest["products"]) == 43 and rest["next_after_id"] is None
    searched = get("/api/v1/products?q=nuoc mam&after_id=0").get_json()
    assert searched["products"] and "next_after_id" not in searched
    assert len(get("/api/v1/products?limit=50").get_json()["products"]) == 50
    refused(get("/api/v1/products?after_id=0&limit=501"), 422, "invalid", "limit")


# --- pages ----------------------------------------------------------------------------------


def office_client(app):
    client = app.test_client()
    login(client, "vanphong", DEMO_PASSWORD)
    return client


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1) \
        if 'type="hidden" value=' in html else re.search(
            r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_office_finds_edits_and_reprices_a_product_on_its_pages(central):
    client = office_client(central)
    listing = client.get("/catalog?q=nuoc mam tac huy").get_data(as_text=True)
    assert "Nước mắm Tác Huy" in listing and "Xuất Excel" in listing
    product_id = a_product(central)
    page = client.get(f"/catalog/products/{product_id}").get_data(as_text=True)
    assert "Lịch sử giá" in page and "Chưa có thay đổi giá nào." in page
    token = form_token(page)

    response = client.post(f"/catalog/products/{product_id}/prices", data={
        "csrf_token": token, "price": "140.000", "note": "Giá Tết"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "140.000 ₫" in html and "Giá Tết" in html and "Đã áp dụng" in html

    before = product_row(central, product_id)
    response = client.post(f"/catalog/products/{product_id}", data={
        "csrf_token": token, "code": "OCOP-TH-0100", "name": "Nước mắm Tác Huy",
        "producer_id": "1", "category": "food", "unit": "chai", "stars": "6",
        "vat_rate": "8", "active": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Hạng sao phải là 3, 4 hoặc 5" in html and 'value="chai"' in html  # kept
    assert product_row(central, product_id) == before

    response = client.post(f"/catalog/products/{product_id}/active", data={
        "csrf_token": token, "active": "0"}, follow_redirects=True)
    assert "Đã ngừng bán" in response.get_data(as_text=True)
    assert product_row(central, product_id)["active"] is False

    wrong = NEW_EAN[:12] + str((int(NEW_EAN[12]) + 1) % 10)
    response = client.post(f"/catalog/products/{product_id}/barcodes", data={
        "csrf_token": token, "code": wrong})
    assert response.status_code == 303 and response.location.endswith(
        f"/catalog/products/{product_id}")
    html = client.get(response.location).get_data(as_text=True)
    assert f"Mã vạch sai số kiểm tra: {wrong}" in html and wrong not in re.sub(
        r'role="alert">[^<]*', "", html)  # refused: shown as the reason, not as a barcode
    response = client.post(f"/catalog/products/{product_id}/barcodes", data={
        "csrf_token": token, "code": NEW_EAN}, follow_redirects=True)
    assert NEW_EAN in response.get_data(as_text=True)


def test_the_office_adds_a_nameless_producer_and_a_product_on_the_pages(central):
    client = office_client(central)
    page = client.get("/catalog/producers/new").get_data(as_text=True)
    token = form_token(page)
    response = client.post("/catalog/producers/new", data={
        "csrf_token": token, "name": "", "kind": "household", "commune": "",
        "district": "Như Thanh", "phone": ""}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "(chưa công bố tên)" in html
    with central.app_context():
        producer = db.session.scalar(select(Producer).where(Producer.district == "Như Thanh",
                                                            Producer.name == ""))
        assert producer is not None and producer.kind == "household"
    response = client.post("/catalog/products/new", data={
        "csrf_token": token, "name": "Măng khô Như Thanh", "producer_id": str(producer.id),
        "category": "food", "unit": "gói 500 g", "vat_rate": "5", "stars": "",
        "certified_year": "", "price": ""}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã thêm sản phẩm OCOP-TH-0144" in html and "Ngừng bán" in html
    producers = client.get("/catalog/producers?q=nhu thanh").get_data(as_text=True)
    assert "Như Thanh" in producers


def test_a_price_effective_tomorrow_shows_as_pending_on_the_page(central):
    client = office_client(central)
    product_id = a_product(central)
    token = form_token(client.get(f"/catalog/products/{product_id}").get_data(as_text=True))
    tomorrow = (utcnow().astimezone(VIETNAM) + timedelta(days=1)).date().isoformat()
    response = client.post(f"/catalog/products/{product_id}/prices", data={
        "csrf_token": token, "price": "99000", "effective_date": tomorrow},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"sẽ áp dụng từ {tomorrow}" in html and "Chờ đến ngày" in html
    before = product_row(central, product_id)
    response = client.post(f"/catalog/products/{product_id}/prices", data={
        "csrf_token": token, "price": "2020-01-01", "effective_date": "2020-01-01"},
        follow_redirects=True)
    assert "Giá phải là số đồng nguyên dương" in response.get_data(as_text=True)
    assert product_row(central, product_id) == before
