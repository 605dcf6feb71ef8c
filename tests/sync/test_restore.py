"""A booth restored from an older copy of its database (docs/sync-research.md §2.6, T8).

The backup is taken with SQLite's online backup API while the booth runs; the restore
writes it back over the booth's database file after the engine is disposed (the app is
stopped), as an operator restoring last night's copy would.

What the two cases prove:

* restore noticed locally (the instance folder kept ``sync-watermark.json``): the check
  ``ocop serve`` runs at start opens epoch 2 (reason ``restore``) before anything is sold,
  receipt numbers continue above every number ever issued, the booth reads back from
  central the events its copy lacked, and central ends with every event exactly once and
  the same figures as the booth;
* restore not noticed locally (the whole machine, watermark included, came back from the
  copy): central answers the first push ``rewind``, the booth opens a new epoch, and after
  draining no event is lost or stored twice, and no receipt number issued after the
  detection is reused;
* an unnoticed restore of a copy from an epoch the booth already left (after an earlier
  restore) is rewound too, although that old epoch's high water equals the copy's last
  seq.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from core.extensions import db
from sync.cli import check_restore
from sync.outbox import WATERMARK_FILE
from tests.sync.conftest import (
    central_event_count,
    close_shift,
    open_shift,
    pending,
    refund,
    sell,
    stocked_products,
    totals,
)

# --- backup and restore ----------------------------------------------------------------------


def database_file(app: Flask) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def backup(app: Flask, target: Path) -> Path:
    """A consistent copy of the running booth's database (SQLite's online backup API)."""
    source = sqlite3.connect(database_file(app))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target


def restore(app: Flask, copy: Path) -> None:
    """Stop using the database, then write the old copy back over it (again with the
    backup API, so the live file's write-ahead log cannot resurrect newer pages)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    old = sqlite3.connect(copy)
    live = sqlite3.connect(database_file(app))
    try:
        old.backup(live)
    finally:
        live.close()
        old.close()


# --- what each side holds ----------------------------------------------------------------------


def booth_event_ids(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(text("SELECT id FROM outbox_event")))


def central_events(app: Flask) -> list[tuple[str, str]]:
    """(id, status) of every event central holds, duplicates included if any."""
    with app.app_context():
        return [tuple(r) for r in db.session.execute(text(
            "SELECT id, status FROM ingested_event"))]


def sync_state(app: Flask) -> dict:
    with app.app_context():
        row = db.session.execute(text(
            "SELECT epoch, epoch_no, epoch_reason, sale_seq_floor, needs_recovery "
            "FROM sync_state")).mappings().one()
        return dict(row)


def sale_seqs(app: Flask) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(text("SELECT seq FROM sale")))


def assert_each_event_once(central: Flask, written: set[str]) -> None:
    """Central holds every event the booth ever wrote, each once, and nothing else."""
    held = [event_id for event_id, _status in central_events(central)]
    assert len(held) == len(set(held)), "an event is stored twice at central"
    assert set(held) == written, (
        f"lost: {sorted(written - set(held))}, unknown: {sorted(set(held) - written)}")
    assert central_event_count(central) == len(written)


def a_day_before_the_backup(pair) -> tuple[str, list[int], set[str], set[int]]:
    """Open a shift, sell and refund, sync; returns the shift, products, event ids and
    receipt seqs written so far."""
    shift = open_shift(pair.booth)
    products = stocked_products(pair.booth, 3)
    a, b, c = products
    first = sell(pair.booth, [(a, 2), (b, 1)])
    sell(pair.booth, [(c, 1)], method="transfer")
    refund(pair.booth, first["id"], [(a, 1)])
    return shift, products, booth_event_ids(pair.booth), sale_seqs(pair.booth)


def sync(pair) -> None:
    client = pair.client()
    try:
        client.sync_once()
    finally:
        client.close()


# --- the restore the booth notices itself ------------------------------------------------


def test_a_restored_booth_opens_a_new_epoch_and_recovers_what_it_lost(pair, tmp_path):
    shift, (a, b, c), written, issued = a_day_before_the_backup(pair)
    sync(pair)
    # One more sale not yet sent when the copy is taken: central gets it later, and the
    # restored booth sends it again in its new epoch (central must not count it twice).
    unsent = sell(pair.booth, [(b, 1)])
    written |= booth_event_ids(pair.booth)
    old_copy = backup(pair.booth, tmp_path / "old-backup.sqlite3")
    before_backup = totals(pair.booth)

    # After the backup: more sales, a refund, all sent to central.
    sync(pair)
    later = sell(pair.booth, [(a, 1), (c, 1)], method="card")
    refund(pair.booth, later["id"], [(c, 1)])
    sell(pair.booth, [(b, 2)])
    written |= booth_event_ids(pair.booth)
    issued |= sale_seqs(pair.booth)
    sync(pair)
    assert pending(pair.booth) == 0
    lost_at_booth = totals(pair.booth)
    assert totals(pair.central) == lost_at_booth
    watermark = (Path(pair.booth.instance_path) / WATERMARK_FILE).read_text()

    # The machine's disk is restored from the old copy; the instance folder keeps the
    # watermark, and the booth starts as ``ocop serve`` does.
    restore(pair.booth, old_copy)
    assert totals(pair.booth) == before_backup
    assert (Path(pair.booth.instance_path) / WATERMARK_FILE).read_text() == watermark
    epoch_before = sync_state(pair.booth)["epoch"]
    check_restore(pair.booth)

    state = sync_state(pair.booth)
    assert state["epoch_no"] == 2 and state["epoch_reason"] == "restore"
    assert state["epoch"] != epoch_before and state["needs_recovery"]
    assert state["sale_seq_floor"] >= max(issued)
    # Started twice (a second start-up) it does not open yet another epoch.
    check_restore(pair.booth)
    assert sync_state(pair.booth)["epoch_no"] == 2

    # The booth sells again before it syncs: its numbers continue above every one issued.
    after = sell(pair.booth, [(a, 1)])
    assert after["seq"] > max(issued) and after["seq"] not in issued
    written |= booth_event_ids(pair.booth)
    sync(pair)

    state = sync_state(pair.booth)
    assert pending(pair.booth) == 0 and not state["needs_recovery"]
    # The events of the lost hours are back at the booth, stored as already acknowledged.
    assert booth_event_ids(pair.booth) == written
    assert_each_event_once(pair.central, written)
    with pair.central.app_context():
        statuses = dict(db.session.execute(text(
            "SELECT status, count(*) FROM ingested_event GROUP BY status")).all())
        unsent_count = db.session.scalar(text(
            "SELECT count(*) FROM sale WHERE id = :id"), {"id": unsent["id"]})
    assert statuses == {"applied": len(written)}
    assert unsent_count == 1
    assert totals(pair.central) == totals(pair.booth)
    numbers = totals(pair.booth)["numbers"]
    assert len(numbers) == len(set(numbers))

    # The day goes on: the shift closes, and central and booth still agree.
    sell(pair.booth, [(c, 1)], method="transfer")
    close_shift(pair.booth, shift)
    written |= booth_event_ids(pair.booth)
    sync(pair)
    assert pending(pair.booth) == 0
    assert_each_event_once(pair.central, written)
    assert totals(pair.central) == totals(pair.booth)


# --- the restore nobody noticed until central said so ------------------------------------


@pytest.mark.parametrize("sold_before_first_sync", [0, 2])
def test_a_restore_noticed_only_by_central_is_rewound(pair, tmp_path, sold_before_first_sync):
    """The whole machine came back from the copy, watermark included, so the booth cannot
    tell at start-up; central answers its first push ``rewind`` and it opens a new epoch.

    What cannot be guaranteed here: sales rung up between the restore and the first sync
    that reaches central are numbered from the old copy, so their receipt numbers can
    repeat numbers central already holds (issued in the lost hours). Such events are not
    dropped: central stores them once, as ``needs_review``, for the office to sort out, and
    the booth in turn cannot replay the lost sale that used the same number (it stays at
    central only). Their figures therefore differ between the two sides by exactly those
    sales; with nothing sold before the first sync, the two sides agree. Guaranteed in
    every case: no event lost, none stored twice, and no number issued after the
    detection reused.
    """
    shift, (a, b, c), written, issued = a_day_before_the_backup(pair)
    sync(pair)
    old_copy = backup(pair.booth, tmp_path / "old-backup.sqlite3")
    for _ in range(3):
        sell(pair.booth, [(a, 1)], method="card")
    written |= booth_event_ids(pair.booth)
    issued |= sale_seqs(pair.booth)
    sync(pair)
    assert pending(pair.booth) == 0

    restore(pair.booth, old_copy)
    (Path(pair.booth.instance_path) / WATERMARK_FILE).unlink()
    check_restore(pair.booth)
    assert sync_state(pair.booth)["epoch_no"] == 1  # nothing to compare with: unnoticed

    reused = [sell(pair.booth, [(b, 1)]) for _ in range(sold_before_first_sync)]
    for sale in reused:  # numbered from the old copy: central holds these numbers
        assert sale["seq"] in issued
    written |= booth_event_ids(pair.booth)

    sync(pair)
    state = sync_state(pair.booth)
    assert state["epoch_no"] == 2 and state["epoch_reason"] == "rewind"
    assert state["sale_seq_floor"] >= max(issued)
    issued_at_detection = issued | sale_seqs(pair.booth)

    after = [sell(pair.booth, [(c, 1)], method="transfer"), sell(pair.booth, [(a, 1)])]
    close_shift(pair.booth, shift)
    written |= booth_event_ids(pair.booth)
    sync(pair)
    assert pending(pair.booth) == 0

    assert_each_event_once(pair.central, written)
    for sale in after:
        assert sale["seq"] > max(issued_at_detection)
    with pair.central.app_context():
        review = set(db.session.scalars(text(
            "SELECT id FROM ingested_event WHERE status = 'needs_review'")))
    if sold_before_first_sync:
        # Exactly the sales that reused a number wait for review; nothing was dropped.
        reused_ids = {sale["id"] for sale in reused}
        with pair.booth.app_context():
            reused_events = {event_id for event_id, event_type, payload in db.session.execute(
                text("SELECT id, type, payload FROM outbox_event"))
                if event_type == "sale_completed" and json.loads(payload)["id"] in reused_ids}
        assert len(reused_events) == len(reused)
        assert review == reused_events
    else:
        assert not review
        assert totals(pair.central) == totals(pair.booth)
    numbers = totals(pair.booth)["numbers"]
    assert len(numbers) == len(set(numbers))


def test_an_unnoticed_restore_into_an_epoch_already_left_is_rewound(pair, tmp_path):
    """The copy's epoch has no events after the copy at central (its high water equals the
    copy's last seq), but the booth has since moved to a newer epoch after another
    restore: central must still tell it to open a new epoch, or the booth would go on
    writing an epoch it already left and reissue the newer epoch's receipt numbers."""
    _shift, (a, b, c), written, issued = a_day_before_the_backup(pair)
    sync(pair)
    oldest = backup(pair.booth, tmp_path / "oldest.sqlite3")
    sell(pair.booth, [(a, 1)])
    sell(pair.booth, [(b, 1)], method="card")
    sync(pair)
    newer = backup(pair.booth, tmp_path / "newer.sqlite3")

    restore(pair.booth, oldest)  # noticed: epoch 2, and the two sales read back
    check_restore(pair.booth)
    sync(pair)
    assert sync_state(pair.booth)["epoch_no"] == 2
    sell(pair.booth, [(c, 1)], method="transfer")
    sell(pair.booth, [(a, 1)])
    sync(pair)
    written |= booth_event_ids(pair.booth)
    issued |= sale_seqs(pair.booth)

    restore(pair.booth, newer)  # epoch 1 again, its last seq equal to central's high water
    (Path(pair.booth.instance_path) / WATERMARK_FILE).unlink()
    check_restore(pair.booth)
    assert sync_state(pair.booth)["epoch_no"] == 1
    sync(pair)

    state = sync_state(pair.booth)
    assert state["epoch_no"] == 3 and state["epoch_reason"] == "rewind"
    after = sell(pair.booth, [(b, 1)])
    assert after["seq"] > max(issued)
    written |= booth_event_ids(pair.booth)
    sync(pair)
    assert pending(pair.booth) == 0
    assert booth_event_ids(pair.booth) == written
    assert_each_event_once(pair.central, written)
    with pair.central.app_context():
        assert db.session.scalar(text(
            "SELECT count(*) FROM ingested_event WHERE status <> 'applied'")) == 0
    assert totals(pair.central) == totals(pair.booth)
