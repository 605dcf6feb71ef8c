"""The daily sales summary central keeps while ingesting equals the sale lines it holds."""

from __future__ import annotations

from sqlalchemy import text

from pos import counter
from pos.counter_models import Sale
from pos.extensions import db
from tests.sync.conftest import booth_row, open_shift, refund, sell, staff, stocked_products


def test_the_summary_follows_sales_refunds_and_voids(pair):
    open_shift(pair.booth)
    a, b, c = stocked_products(pair.booth)
    first = sell(pair.booth, [(a, 2), (b, 1)])
    voided = sell(pair.booth, [(c, 4)])
    client = pair.client()
    client.sync_once()  # the void arrives in a later batch than its sale
    refund(pair.booth, first["id"], [(a, 1)])
    with pair.booth.app_context():
        counter.void_sale(db.session, booth=booth_row(), actor=staff("manager"),
                          sale=db.session.get(Sale, voided["id"]), reason="Bấm nhầm")
        db.session.commit()
    sell(pair.booth, [(b, 2)], method="card")
    client.sync_once()

    with pair.central.app_context():
        summary = db.session.execute(text(
            "SELECT product_id, qty, amount FROM sales_daily WHERE qty <> 0 OR amount <> 0 "
            "ORDER BY product_id")).all()
        raw = db.session.execute(text(
            "SELECT l.product_id, sum(CASE WHEN s.kind = 'sale' THEN l.qty ELSE -l.qty END), "
            "sum(CASE WHEN s.kind = 'sale' THEN l.amount ELSE -l.amount END) "
            "FROM sale_line l JOIN sale s ON s.id = l.sale_id WHERE s.status = 'completed' "
            "GROUP BY l.product_id ORDER BY l.product_id")).all()
    assert [tuple(r) for r in summary] == [tuple(r) for r in raw]
    assert {row[0] for row in summary} == {a, b}
