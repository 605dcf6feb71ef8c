"""Backups taken while the booth sells, and restores that never reissue a number."""

from __future__ import annotations

import sqlite3

from sqlalchemy import text

from core.extensions import db
from sync.backup import backup_database, database_path, restore_command
from tests.sync.conftest import open_shift, sell, stocked_products, totals


def sale_numbers(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT number FROM sale ORDER BY seq")]


def test_a_backup_holds_every_committed_sale_even_those_still_in_the_wal(pair):
    open_shift(pair.booth)
    product = stocked_products(pair.booth)[0]
    numbers = [sell(pair.booth, [(product, 1)])["number"] for _ in range(5)]
    live = database_path(pair.booth)
    assert live.with_name(live.name + "-wal").stat().st_size > 0  # not checkpointed yet
    copy = backup_database(pair.booth)
    assert sale_numbers(copy) == numbers


def test_restoring_a_backup_opens_a_new_epoch_and_never_reissues_a_number(pair, tmp_path):
    open_shift(pair.booth)
    product = stocked_products(pair.booth)[0]
    for _ in range(3):
        sell(pair.booth, [(product, 1)])
    pair.client().sync_once()
    backup = backup_database(pair.booth, tmp_path / "old.sqlite3")
    later = [sell(pair.booth, [(product, 1)])["number"] for _ in range(2)]
    pair.client().sync_once()

    result = pair.booth.test_cli_runner().invoke(restore_command, [str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Kỳ đồng bộ mới số 2" in result.output
    after = sell(pair.booth, [(product, 1)])["number"]
    assert after not in later and after.endswith("000006")
    pair.client().sync_once()  # reads back the two sales the backup did not have
    assert totals(pair.central) == totals(pair.booth)
    with pair.booth.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM sale")) == 6


def test_restore_refuses_a_file_that_is_not_a_booth_database(pair, tmp_path):
    bogus = tmp_path / "not-a-db.sqlite3"
    bogus.write_bytes(b"hello")
    result = pair.booth.test_cli_runner().invoke(restore_command, [str(bogus), "--yes"])
    assert result.exit_code != 0 and "Lỗi" in result.output


def test_the_watermark_moves_only_when_the_sale_commits(pair):
    """A sale is inserted inside a savepoint; the savepoint's release is no commit, so a
    crash before the real commit must not leave the mark ahead of the database (a booth
    would then take its next start for a restore and skip receipt numbers)."""
    from pos import counter
    from sync.outbox import read_watermark
    from tests.sync.conftest import booth_row, staff

    open_shift(pair.booth)
    product = stocked_products(pair.booth)[0]
    sell(pair.booth, [(product, 1)])
    before = read_watermark(pair.booth.instance_path)
    with pair.booth.app_context():
        from inventory.models import Product

        price = db.session.get(Product, product).price
        counter.complete_sale(db.session, booth=booth_row(), cashier=staff(), sale_id=None,
                              lines=[counter.LineInput(qty=1, product_id=product)],
                              payments=[counter.PaymentInput(method="cash", amount=price)])
        assert read_watermark(pair.booth.instance_path) == before  # released, not committed
        db.session.rollback()  # the crash: the sale never commits
    assert read_watermark(pair.booth.instance_path) == before
