"""The catalogue API as the till uses it: search and barcode look-ups on the demo booth,
through HTTP with a Bearer token, with every refusal in the contract's error shape."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from stdnum import ean

from core.extensions import db
from core.models import Booth, User
from core.services import create_token
from inventory.barcodes import ean13_with_check, make_price_code
from inventory.models import Barcode, Product, StockLevel

VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")
UPC_A = ean13_with_check("003600029145")[1:]  # 12 digits, as a UPC-A scanner sends them
EAN_8 = "9638507" + ean.calc_check_digit("9638507")
CODE_128 = "SP-0001"
PRICE_ITEM = 17


@pytest.fixture
def api(seeded):
    """GET helper for the cashier's Bearer token on the seeded demo booth COOP-01."""
    with seeded.app_context():
        cashier = db.session.scalar(select(User).where(User.username == "thungan.coop-01"))
        token = create_token(db.session, user=cashier)[1]
        db.session.commit()
    client = seeded.test_client()

    def get(path: str):
        return client.get("/api/v1" + path, headers={"Authorization": f"Bearer {token}"})

    return get


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [product["id"] for product in response.get_json()["products"]]


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The contract's error body: only ``error``, with a code and a Vietnamese message."""
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and VIETNAMESE.search(error["message"].lower())
    if field is not None:
        assert error["field"] == field
    return error


def demo_product(app, name: str) -> dict:
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.name == name))
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        level = db.session.get(StockLevel, (booth.id, product.id))
        return {"id": product.id, "code": product.code, "price": product.price,
                "barcodes": [b.code for b in product.barcodes],
                "producer": product.producer.name,
                "on_hand": level.on_hand if level else 0}


def add_barcode(app, product_id: int, code: str, kind: str) -> None:
    with app.app_context():
        db.session.add(Barcode(product_id=product_id, code=code, kind=kind))
        db.session.commit()


# Search


def test_search_ignores_accents_and_case(api):
    results = {q: ids(api(f"/products?q={q}&limit=50"))
               for q in ("nuoc mam", "NUOC MAM", "nước mắm", "NƯỚC MẮM", "  Nước   Mắm ")}
    first = results["nuoc mam"]
    assert first, "the demo sells fish sauce"
    assert all(found == first for found in results.values()), results


def test_d_finds_names_written_with_dj(seeded, api):
    found = api("/products?q=dong trung").get_json()["products"]
    names = [product["name"] for product in found]
    assert "Đông trùng hạ thảo Lạch Trường" in names
    assert "Rượu đông trùng hạ thảo Lạch Trường" in names
    assert ids(api("/products?q=đông trùng")) == [p["id"] for p in found]


def test_search_by_producer_name(seeded, api):
    product = demo_product(seeded, "Đông trùng hạ thảo tươi Đăng Khoa")
    found = api("/products?q=dang khoa").get_json()["products"]
    assert product["id"] in [p["id"] for p in found]
    assert all("Đăng Khoa" in p["producer"]["name"] or "Đăng Khoa" in p["name"] for p in found)


def test_search_by_ocop_code_and_by_barcode_puts_the_exact_match_first(seeded, api):
    product = demo_product(seeded, "Nước mắm Lê Gia - Cốt đặc biệt 40N")
    assert ids(api(f"/products?q={product['code']}"))[0] == product["id"]
    assert ids(api(f"/products?q={product['code'].lower()}"))[0] == product["id"]
    assert ids(api(f"/products?q={product['barcodes'][0]}"))[0] == product["id"]


def test_a_search_without_a_match_is_empty_not_an_error(api):
    assert ids(api("/products?q=khong co san pham nay")) == []


def test_limit_bounds(api):
    assert len(ids(api("/products?limit=1"))) == 1
    assert len(ids(api("/products?limit=50"))) == 50
    assert_error(api("/products?limit=0"), 422, "invalid", field="limit")
    assert_error(api("/products?limit=51"), 422, "invalid", field="limit")
    assert_error(api("/products?limit=x"), 400, "malformed", field="limit")


# One product


def test_a_product_by_id_and_an_unknown_one(seeded, api):
    product = demo_product(seeded, "Nước mắm Lê Gia - Cốt đặc biệt 40N")
    body = api(f"/products/{product['id']}").get_json()
    assert (body["price"], body["on_hand"]) == (product["price"], product["on_hand"])
    assert_error(api("/products/999999"), 404, "unknown_product")


# Barcodes


def test_an_ean13_of_the_demo_answers_price_and_stock(seeded, api):
    product = demo_product(seeded, "Nước mắm Lê Gia - Cốt đặc biệt 40N")
    code = product["barcodes"][0]
    assert code.startswith("893") and len(code) == 13
    response = api(f"/products/by-barcode/{code}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == product["id"]
    assert body["price"] == product["price"] and body["on_hand"] == product["on_hand"]
    assert body["on_hand"] > 0
    assert body["scanned"] == {"kind": "ean13", "code": code, "embedded_price": None}


def test_a_wrong_check_digit_is_refused_not_looked_up(seeded, api):
    code = demo_product(seeded, "Nước mắm Lê Gia - Cốt đặc biệt 40N")["barcodes"][0]
    wrong = code[:12] + str((int(code[12]) + 1) % 10)
    assert_error(api(f"/products/by-barcode/{wrong}"), 422, "bad_check_digit",
                 field="barcode")


def test_a_valid_but_unknown_ean_is_404(api):
    assert_error(api(f"/products/by-barcode/{ean13_with_check('893999999999')}"), 404,
                 "unknown_barcode", field="barcode")


@pytest.mark.parametrize("garbage", ["12345", "89360480800131", "mã-hàng", "X" * 49])
def test_garbage_is_a_bad_barcode(api, garbage):
    assert_error(api(f"/products/by-barcode/{garbage}"), 422, "bad_barcode", field="barcode")


def test_a_upc_a_is_found_by_its_12_digit_scan(seeded, api):
    product = demo_product(seeded, "Nước mắm Tác Huy")
    add_barcode(seeded, product["id"], "0" + UPC_A, "upca")
    body = api(f"/products/by-barcode/{UPC_A}").get_json()
    assert body["id"] == product["id"]
    assert body["scanned"]["kind"] == "upca"
    assert api(f"/products/by-barcode/0{UPC_A}").get_json()["id"] == product["id"]


def test_an_ean8_is_found(seeded, api):
    product = demo_product(seeded, "Nước mắm Tác Huy")
    add_barcode(seeded, product["id"], EAN_8, "ean8")
    body = api(f"/products/by-barcode/{EAN_8}").get_json()
    assert body["id"] == product["id"] and body["scanned"]["kind"] == "ean8"


def test_an_internal_code128_is_found_whatever_the_case(seeded, api):
    product = demo_product(seeded, "Đông trùng hạ thảo Lạch Trường")
    add_barcode(seeded, product["id"], CODE_128, "code128")
    for scanned in (CODE_128, CODE_128.lower()):
        body = api(f"/products/by-barcode/{scanned}").get_json()
        assert body["id"] == product["id"]
        assert body["scanned"] == {"kind": "code128", "code": CODE_128,
                                   "embedded_price": None}


def test_a_price_embedded_label_answers_its_product_and_price(seeded, api):
    product = demo_product(seeded, "Nước mắm bà Hoan - cá cơm cốt đặc biệt")
    add_barcode(seeded, product["id"], make_price_code(PRICE_ITEM, 0), "instore")
    code = make_price_code(PRICE_ITEM, 125_000)
    body = api(f"/products/by-barcode/{code}").get_json()
    assert body["id"] == product["id"]
    assert body["price"] == product["price"]  # the catalogue price; the label's is separate
    assert body["scanned"] == {"kind": "instore_price", "code": code,
                               "embedded_price": 125_000}


def test_without_a_token_the_catalogue_is_401_in_the_contract_shape(seeded):
    response = seeded.test_client().get("/api/v1/products?q=nuoc mam")
    assert_error(response, 401, "unauthorized")
    response = seeded.test_client().get("/api/v1/products",
                                        headers={"Authorization": "Bearer not-a-token"})
    assert_error(response, 401, "bad_token")
