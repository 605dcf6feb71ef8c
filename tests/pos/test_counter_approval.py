"""A manager's password typed at the till is guarded like a sign-in."""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD
from tests.pos.test_counter_support import till  # noqa: F401  (fixture)


def _discounted_sale(till, password):  # noqa: F811
    product = till.products[0]
    return till.post("/sales", {
        "lines": [{"product_id": product["id"], "qty": 1, "discount": 1_000}],
        "payments": [{"method": "cash", "amount": product["price"] - 1_000}],
        "approved_by": {"username": "quanly.coop-01", "password": password}})


def test_sixth_manager_password_is_refused_even_when_right(till):  # noqa: F811
    till.open_shift()
    for _ in range(5):
        assert _discounted_sale(till, "doan-bua-1234").status_code == 403
    before = till.snapshot()
    locked = _discounted_sale(till, TEST_PASSWORD)
    assert locked.status_code == 429
    assert "quá nhiều lần" in locked.get_json()["error"]["message"]
    assert till.snapshot() == before


def test_a_right_password_after_a_few_mistakes_still_approves(till):  # noqa: F811
    till.open_shift()
    for _ in range(3):
        assert _discounted_sale(till, "doan-bua-1234").status_code == 403
    response = _discounted_sale(till, TEST_PASSWORD)
    assert response.status_code == 201
    assert response.get_json()["approved_by"] == "quanly.coop-01"
