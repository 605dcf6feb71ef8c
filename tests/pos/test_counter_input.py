"""Every bad sale request is refused with the contract's error and writes nothing."""

from __future__ import annotations

import pytest

from inventory.barcodes import ean13_with_check
from tests.pos.test_counter_support import till  # noqa: F401

WRONG_CHECK = "8936000000005"  # a GS1 code whose last digit is wrong
UNKNOWN_EAN = ean13_with_check("893999999999")


def _line(product, **fields):
    return {"product_id": product["id"], "qty": 1} | fields


@pytest.mark.parametrize("name, make_body, status, code, field", [
    ("unknown barcode", lambda p: {"lines": [{"barcode": UNKNOWN_EAN, "qty": 1}]},
     422, "unknown_barcode", "lines[0].barcode"),
    ("wrong check digit", lambda p: {"lines": [{"barcode": WRONG_CHECK, "qty": 1}]},
     422, "bad_check_digit", "lines[0].barcode"),
    ("garbage barcode", lambda p: {"lines": [{"barcode": "12345", "qty": 1}]},
     422, "bad_barcode", "lines[0].barcode"),
    ("qty 0", lambda p: {"lines": [_line(p, qty=0)]}, 422, "invalid", "lines[0].qty"),
    ("qty negative", lambda p: {"lines": [_line(p, qty=-2)]}, 422, "invalid", "lines[0].qty"),
    ("qty 1.5", lambda p: {"lines": [_line(p, qty=1.5)]}, 422, "invalid_type", "lines[0].qty"),
    ("qty string", lambda p: {"lines": [_line(p, qty="2")]}, 422, "invalid_type",
     "lines[0].qty"),
    ("qty true", lambda p: {"lines": [_line(p, qty=True)]}, 422, "invalid_type",
     "lines[0].qty"),
    ("qty 100000", lambda p: {"lines": [_line(p, qty=100_000)]}, 422, "invalid",
     "lines[0].qty"),
    ("qty 1000", lambda p: {"lines": [_line(p, qty=1000)]}, 422, "invalid", "lines[0].qty"),
    ("qty missing", lambda p: {"lines": [{"product_id": p["id"]}]}, 422, "required",
     "lines[0].qty"),
    ("unknown product", lambda p: {"lines": [{"product_id": 999_999, "qty": 1}]},
     422, "unknown_product", "lines[0].product_id"),
    ("product id huge", lambda p: {"lines": [{"product_id": 10**20, "qty": 1}]},
     422, "unknown_product", "lines[0].product_id"),
    ("amount huge", lambda p: {"payments": [{"method": "cash", "amount": 10**20}]},
     422, "invalid", "payments[0].amount"),
    ("price huge", lambda p: {"lines": [_line(p, qty=999, unit_price=10**7)],
                              "approved_by": "MANAGER"}, 422, "too_large", "lines"),
    ("product id string", lambda p: {"lines": [{"product_id": str(p["id"]), "qty": 1}]},
     422, "invalid_type", "lines[0].product_id"),
    ("no lines", lambda p: {"lines": []}, 422, "invalid", "lines"),
    ("lines not a list", lambda p: {"lines": {"a": 1}}, 422, "invalid_type", "lines"),
    ("line not an object", lambda p: {"lines": [5]}, 422, "invalid_type", "lines[0]"),
    ("short payment", lambda p: {"payments": [{"method": "cash", "amount": p["price"] - 1}]},
     422, "short_payment", "payments"),
    ("no payment", lambda p: {"payments": []}, 422, "short_payment", "payments"),
    ("card over the total", lambda p: {"payments": [{"method": "card",
                                                     "amount": p["price"] + 1000}]},
     422, "overpaid", "payments"),
    ("unknown method", lambda p: {"payments": [{"method": "bitcoin", "amount": p["price"]}]},
     422, "unknown_method", "payments[0].method"),
    ("amount as string", lambda p: {"payments": [{"method": "cash",
                                                  "amount": str(p["price"])}]},
     422, "invalid_type", "payments[0].amount"),
    ("amount float", lambda p: {"payments": [{"method": "cash", "amount": p["price"] + 0.5}]},
     422, "invalid_type", "payments[0].amount"),
    ("amount zero", lambda p: {"lines": [_line(p)], "payments": [
        {"method": "cash", "amount": p["price"]}, {"method": "card", "amount": 0}]},
     422, "invalid", "payments[1].amount"),
    ("tendered below amount", lambda p: {"payments": [
        {"method": "cash", "amount": p["price"], "tendered": p["price"] - 1}]},
     422, "invalid", "payments[0].tendered"),
    ("tendered on a card", lambda p: {"payments": [
        {"method": "card", "amount": p["price"], "tendered": p["price"]}]},
     422, "invalid", "payments[0].tendered"),
    ("discount bigger than the line", lambda p: {"lines": [_line(p, discount=p["price"] + 1)],
                                                 "approved_by": "MANAGER"},
     422, "discount_too_large", "lines[0].discount"),
    ("negative price", lambda p: {"lines": [_line(p, unit_price=-1)],
                                  "approved_by": "MANAGER"},
     422, "invalid", "lines[0].unit_price"),
    ("percent over 100", lambda p: {"discount_percent": 101, "approved_by": "MANAGER"},
     422, "invalid", "discount_percent"),
    ("price override without a manager",
     lambda p: {"lines": [_line(p, unit_price=p["price"] - 1000)]},
     409, "needs_manager", "approved_by"),
    ("whole-sale discount without a manager", lambda p: {"discount": 1000},
     409, "needs_manager", "approved_by"),
    ("percent discount without a manager", lambda p: {"lines": [_line(p, discount_percent=5)]},
     409, "needs_manager", "approved_by"),
    ("both kinds of discount", lambda p: {"discount": 1000, "discount_percent": 5,
                                          "approved_by": "MANAGER"},
     422, "invalid", "discount"),
    ("id not a uuid", lambda p: {"id": "sale-1"}, 422, "invalid", "id"),
    ("approved_by a number", lambda p: {"approved_by": 7}, 422, "invalid_type",
     "approved_by"),
])
def test_a_bad_sale_is_refused_and_writes_nothing(till, name, make_body, status, code,  # noqa: F811
                                                   field):
    till.open_shift()
    product = till.products[0]
    body = {"lines": [_line(product)],
            "payments": [{"method": "cash", "amount": product["price"]}]}
    body |= make_body(product)
    if body.get("approved_by") == "MANAGER":
        body["approved_by"] = till.tokens["manager"]
    before = till.snapshot()
    response = till.post("/sales", body)
    assert response.status_code == status, (name, response.get_json())
    error = response.get_json()["error"]
    assert (error["code"], error.get("field")) == (code, field), name
    assert error["message"]
    assert till.snapshot() == before


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\"text\"", b"null", b""])
def test_malformed_json_is_400_and_writes_nothing(till, raw):  # noqa: F811
    till.open_shift()
    before = till.snapshot()
    for path in ("/sales", "/shifts"):
        response = till.post(path, raw=raw)
        assert response.status_code == 400, path
        assert response.get_json()["error"]["code"] == "malformed"
    assert till.snapshot() == before


def test_messages_are_vietnamese(till):  # noqa: F811
    till.open_shift()
    response = till.post("/sales", {"lines": [{"product_id": 999_999, "qty": 1}],
                                    "payments": []})
    assert response.get_json()["error"]["message"] == "Không có sản phẩm mã số 999999."
