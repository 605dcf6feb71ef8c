"""Sales made at a booth reach central once, whatever is retried."""

from __future__ import annotations

from sqlalchemy import text

from core.extensions import db
from tests.sync.conftest import (
    close_shift,
    open_shift,
    pending,
    refund,
    sell,
    stocked_products,
    totals,
)


def test_a_day_at_the_booth_arrives_whole_at_central(pair):
    shift = open_shift(pair.booth)
    a, b, c = stocked_products(pair.booth)
    first = sell(pair.booth, [(a, 2), (b, 1)])
    sell(pair.booth, [(c, 1)], method="transfer")
    refund(pair.booth, first["id"], [(a, 1)])
    close_shift(pair.booth, shift)

    client = pair.client()
    report = client.sync_once()

    assert report.pushed == 5 and pending(pair.booth) == 0
    assert totals(pair.central) == totals(pair.booth)
    with pair.central.app_context():
        statuses = db.session.execute(text(
            "SELECT status, count(*) FROM ingested_event GROUP BY status")).all()
    assert dict(statuses) == {"applied": 5}


def test_pushing_again_changes_nothing(pair):
    open_shift(pair.booth)
    sell(pair.booth, [(stocked_products(pair.booth)[0], 1)])
    client = pair.client()
    client.sync_once()
    before = totals(pair.central)
    # The booth forgets the acknowledgement (a response lost on the way back) and resends.
    with pair.booth.app_context():
        db.session.execute(text("UPDATE outbox_event SET acked_at = NULL"))
        db.session.commit()
    client.sync_once()
    assert totals(pair.central) == before == totals(pair.booth)
    assert pending(pair.booth) == 0


def test_acknowledged_events_are_pruned_after_the_retention_window(pair):
    open_shift(pair.booth)
    product = stocked_products(pair.booth)[0]
    for _ in range(3):
        sell(pair.booth, [(product, 1)])
    pair.booth.config["OCOP_SYNC_RETENTION_DAYS"] = 0
    pair.client().sync_once()
    with pair.booth.app_context():
        left = db.session.execute(text("SELECT seq FROM outbox_event")).scalars().all()
    assert left == [4]  # only the newest stays, so the next event is seq 5
    sell(pair.booth, [(product, 1)])
    with pair.booth.app_context():
        assert db.session.scalar(text("SELECT max(seq) FROM outbox_event")) == 5
    pair.client().sync_once()
    assert totals(pair.central) == totals(pair.booth)


def test_a_stock_adjustment_reaches_central_with_its_reason(pair):
    from inventory.adjustments import adjust_stock
    from inventory.models import Product
    from tests.sync.conftest import booth_row, staff

    product_id = stocked_products(pair.booth)[0]
    with pair.booth.app_context():
        move, created = adjust_stock(db.session, booth=booth_row(),
                                     product=db.session.get(Product, product_id), qty=-2,
                                     reason="damage", by=staff("manager"), note="Vỡ chai")
        db.session.commit()
        move_id = move.id
    pair.client().sync_once()
    assert totals(pair.central) == totals(pair.booth)
    with pair.central.app_context():
        row = db.session.execute(text(
            "SELECT qty, kind, reason FROM stock_move WHERE id = :i"), {"i": move_id}).one()
    assert tuple(row) == (-2, "adjust", "damage")
