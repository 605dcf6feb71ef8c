"""Finding 6: bad input answers 4xx in the error format and writes nothing, never 5xx.

Lone surrogates, deep nesting, numbers beyond any row id, endless searches, oversized
bodies and odd form numbers, taken from the attack on the booth; free text is NFC.
"""

from __future__ import annotations

import unicodedata
import uuid

import pytest

from pos.demo import DEMO_PASSWORD
from tests.conftest import csrf_token, login
from tests.pos.test_counter_support import till  # noqa: F401  (fixture)

SURROGATE = '"\\ud800"'  # valid JSON text for a lone surrogate no database can store
DEEP = "[" * 100_000 + "]" * 100_000


def _requests(till, shift_id: str, sale_id: str) -> list[tuple[str, str]]:  # noqa: F811
    """Every JSON POST of the till, with a template body; ``@`` marks the hostile spot."""
    product = till.products[0]["id"]
    requests = [
        ("/shifts", '{"opening_float": 0, "note": @}'),
        (f"/shifts/{shift_id}/cash", '{"kind": "in", "amount": 1000, "reason": @}'),
        (f"/shifts/{shift_id}/close", '{"counted": {@: 1}, "note": "x"}'),
        (f"/shifts/{shift_id}/close", '{"counted_cash": 0, "note": @}'),
        ("/sales", '{"lines": [{"product_id": PID, "qty": 1}], "payments": [], "reason": @}'),
        ("/sales", '{"lines": [{"barcode": @, "qty": 1}]}'),
        (f"/sales/{sale_id}/refund", '{"lines": [{"product_id": PID, "qty": 1}], "reason": @}'),
        (f"/sales/{sale_id}/void", '{"reason": @}'),
        (f"/sales/{sale_id}/print", '{"reason": @}'),
    ]
    return [(path, body.replace("PID", str(product))) for path, body in requests]


@pytest.mark.parametrize("hostile", ["surrogate", "deep"])
def test_hostile_json_is_malformed_everywhere_and_writes_nothing(till, hostile):  # noqa: F811
    shift = till.open_shift()
    sale = till.sell()
    before = till.snapshot()
    for path, template in _requests(till, shift["id"], sale["id"]):
        raw = template.replace("@", SURROGATE) if hostile == "surrogate" else DEEP
        for who in ("manager",) if path.endswith(("refund", "void")) else ("cashier",
                                                                              "manager"):
            response = till.post(path, raw=raw.encode(), who=who)
            assert response.status_code == 400, (path, who, response.get_data(as_text=True))
            assert response.get_json()["error"]["code"] == "malformed", path
    assert till.snapshot() == before


def test_a_body_beyond_the_limit_is_413_and_never_parsed(till):  # noqa: F811
    till.open_shift()
    before = till.snapshot()
    body = b'{"lines": [], "reason": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = till.post("/sales", raw=body)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert till.snapshot() == before


@pytest.mark.parametrize("path", ["/products/9223372036854775808", "/products/0",
                                  "/products/" + "9" * 5000])
def test_product_ids_beyond_any_row_are_not_found(till, path):  # noqa: F811
    response = till.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] in ("unknown_product", "not_found")


def test_an_endless_search_is_refused_with_a_reason(till):  # noqa: F811
    response = till.get("/products?q=" + "a" * 100_000)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "q"
    page = till.client.get("/catalog?q=" + "ă" * 5_000,
                           headers={"Authorization": f"Bearer {till.tokens['cashier']}"})
    assert page.status_code == 422
    assert "quá dài" in page.get_data(as_text=True)


def test_vietqr_amounts_beyond_reason_are_refused(tmp_path):
    from tests.conftest import build_app
    from tests.pos.test_counter_support import make_till

    till = make_till(build_app(tmp_path, OCOP_VIETQR_BIN="970436",  # noqa: F811
                               OCOP_VIETQR_ACCOUNT="0011001234567"))
    for amount in ("9" * 5000, "²", "1" * 11):
        response = till.get(f"/vietqr?amount={amount}")
        assert response.status_code == 422, amount
        assert response.get_json()["error"]["field"] == "amount"


@pytest.mark.parametrize("skip, copies, status", [
    (" ", "1", 200), ("9" * 5000, "1", 422), ("0", "9" * 5000, 422), ("", "1", 200),
])
def test_label_form_numbers_never_crash(seeded, client, skip, copies, status):
    login(client, "quanly.coop-01", DEMO_PASSWORD)
    data = {"layout": "3x8", "skip": skip, "lines-0-product_id": "1",
            "lines-0-copies": copies, "csrf_token": csrf_token(client, "/labels")}
    response = client.post("/labels", data=data)
    assert response.status_code == status
    product_ids = {"lines-0-product_id": "9" * 5000, "lines-0-copies": "1"}
    response = client.post("/labels", data=data | product_ids)
    assert response.status_code == 422


def test_free_text_is_stored_nfc(till):  # noqa: F811
    shift = till.open_shift()
    decomposed = unicodedata.normalize("NFD", "Nộp thêm tiền lẻ")
    assert decomposed != "Nộp thêm tiền lẻ"
    moved = till.post(f"/shifts/{shift['id']}/cash",
                      {"kind": "in", "amount": 1000, "reason": decomposed})
    assert moved.status_code == 201
    assert moved.get_json()["reason"] == "Nộp thêm tiền lẻ"
    sale = till.sell(reason=unicodedata.normalize("NFD", "Khách quen"), id=str(uuid.uuid4()))
    assert till.get(f"/sales/{sale['id']}").get_json()["reason"] == "Khách quen"
