"""A shift central already holds is closed and the cashier's next one opened between two
syncs: both arrive in one batch, and central applies it whole (found by the end-to-end
test: the new shift was inserted before the old one was closed, tripping "one open shift
per cashier", and the close then failed alone since its shift was not preloaded)."""

from __future__ import annotations

from sqlalchemy import text

from core.extensions import db
from tests.sync.conftest import close_shift, open_shift, pending, sell, stocked_products, totals


def test_close_and_reopen_between_two_syncs_apply_in_one_batch(pair):
    product = stocked_products(pair.booth)[0]
    first = open_shift(pair.booth)
    sell(pair.booth, [(product, 1)])
    client = pair.client()
    client.sync_once()

    close_shift(pair.booth, first)
    open_shift(pair.booth)
    sell(pair.booth, [(product, 2)], method="card")
    client.sync_once()

    assert pending(pair.booth) == 0
    with pair.central.app_context():
        statuses = dict(db.session.execute(text(
            "SELECT status, count(*) FROM ingested_event GROUP BY status")).all())
    assert statuses == {"applied": 5}
    assert totals(pair.central) == totals(pair.booth)
