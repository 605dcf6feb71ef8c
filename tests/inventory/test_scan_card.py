"""The till's scan: the product card comes from one indexed statement, the same card
the product's own page gives, whatever else the request does to sign the cashier in."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from core.extensions import db
from core.models import User
from core.services import create_token
from inventory.models import Barcode, Product


@pytest.fixture
def cashier(seeded):
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "thungan.coop-01"))
        token = create_token(db.session, user=user)[1]
        db.session.commit()
    client = seeded.test_client()

    def get(path: str):
        return client.get("/api/v1" + path, headers={"Authorization": f"Bearer {token}"})

    return get


def _statements(app, call) -> tuple[object, int]:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return result, len(seen)


def test_a_scan_reads_the_card_in_one_statement(seeded, cashier):
    with seeded.app_context():
        product = db.session.scalar(select(Product).join(Barcode).order_by(Product.id))
        code, product_id = product.barcodes[0].code, product.id
        db.session.remove()
    _me, signing_in = _statements(seeded, lambda: cashier("/me"))
    response, scanning = _statements(seeded, lambda: cashier(f"/products/by-barcode/{code}"))
    assert response.status_code == 200
    assert scanning - signing_in == 1

    card = response.get_json()
    card.pop("scanned")
    assert card == cashier(f"/products/{product_id}").get_json()


def test_a_product_with_several_barcodes_lists_them_in_order(seeded, cashier):
    with seeded.app_context():
        product = db.session.scalar(select(Product).order_by(Product.id))
        existing = [barcode.code for barcode in product.barcodes]
        db.session.add_all([Barcode(code="SP-0001", kind="code128", product_id=product.id),
                            Barcode(code="SP-0002", kind="code128", product_id=product.id)])
        db.session.commit()
        product_id = product.id
        db.session.remove()
    card = cashier("/products/by-barcode/SP-0002").get_json()
    assert card["id"] == product_id
    assert card["barcodes"] == existing + ["SP-0001", "SP-0002"]
