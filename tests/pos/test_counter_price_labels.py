"""Finding 4: a price-embedded label never changes a price without a manager, unless the
product is sold by weight or at a variable price and the label is near its price."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry
from inventory.barcodes import make_price_code
from inventory.models import Barcode, Product
from tests.pos.test_counter_support import PRICE_ITEM, till  # noqa: F401

FIXED_ITEM = 18


def _label_for_fixed_price_product(till) -> dict:  # noqa: F811
    """Register a price label on products[0], which is sold at its catalogue price."""
    product = till.products[0]
    with till.app.app_context():
        row = db.session.get(Product, product["id"])
        assert not row.variable_price
        row.barcodes.append(Barcode(code=make_price_code(FIXED_ITEM, 0), kind="instore"))
        db.session.commit()
        db.session.remove()
    return product


def _sell_label(till, item: int, price: int, **extra):  # noqa: F811
    return till.post("/sales", {"lines": [{"barcode": make_price_code(item, price), "qty": 1}],
                                "payments": [{"method": "cash", "amount": max(price, 1)}]}
                     | extra)


@pytest.mark.parametrize("price", [5, 0])
def test_a_label_on_a_fixed_price_product_needs_a_manager(till, price):  # noqa: F811
    till.open_shift()
    _label_for_fixed_price_product(till)
    before = till.snapshot()
    response = _sell_label(till, FIXED_ITEM, price)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "needs_manager"
    assert till.snapshot() == before


@pytest.mark.parametrize("factor", [0, 0.0001, 0.5, 2])
def test_a_variable_price_label_far_from_the_catalogue_needs_a_manager(till,  # noqa: F811
                                                                        factor):
    till.open_shift()
    product = till.products[2]
    before = till.snapshot()
    response = _sell_label(till, PRICE_ITEM, int(product["price"] * factor))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "needs_manager"
    assert till.snapshot() == before


def test_an_approved_label_price_is_audited(till):  # noqa: F811
    till.open_shift()
    product = _label_for_fixed_price_product(till)
    response = _sell_label(till, FIXED_ITEM, 5, approved_by=till.tokens["manager"],
                           reason="Nhãn giảm giá cuối ngày")
    assert response.status_code == 201, response.get_json()
    sale = response.get_json()
    assert sale["total"] == 5 and sale["approved_by"] == "quanly.coop-01"
    with till.app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "sale_line_adjusted", AuditEntry.target_id == sale["id"]))
        assert entry.before["unit_price"] == product["price"]
        assert entry.after["unit_price"] == 5
        db.session.remove()


def test_a_variable_price_label_near_the_catalogue_sells_as_printed(till):  # noqa: F811
    till.open_shift()
    product = till.products[2]
    price = product["price"] * 9 // 10
    response = _sell_label(till, PRICE_ITEM, price)
    assert response.status_code == 201
    assert response.get_json()["total"] == price
    assert response.get_json()["approved_by"] is None
