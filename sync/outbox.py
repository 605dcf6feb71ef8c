"""The booth's transactional outbox and its epochs.

Every business action appends its event in the same transaction as the rows it
describes; ``seq`` is gap-free per (booth, epoch). A booth whose database goes back in
time (a restored backup) must never reuse a seq or a receipt number, so it starts a new
epoch: detected locally from the watermark file kept beside the database, or at the
latest by central at the next sync (``rewind``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from core.models import Booth
from core.types import new_uuid, utcnow
from sync.models import EVENT_TYPES, OutboxEvent, SyncState

WATERMARK_FILE = "sync-watermark.json"


def canonical_json(payload: dict) -> str:
    """The one serialisation that hashes agree on: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_hash(payload: dict) -> str:
    """SHA-256 of the payload's canonical JSON."""
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def sync_state(session: Session, booth: Booth) -> SyncState:
    """The booth's link state, created with a first epoch on first use."""
    state = session.get(SyncState, booth.id)
    if state is None:
        state = SyncState(booth_id=booth.id, epoch=new_uuid(), epoch_no=1,
                          epoch_started_at=utcnow(), epoch_reason="new")
        session.add(state)
        session.flush()
    return state


def last_seq(session: Session, booth: Booth, epoch: str) -> int:
    return session.scalar(select(func.max(OutboxEvent.seq)).where(
        OutboxEvent.booth_id == booth.id, OutboxEvent.epoch == epoch)) or 0


def next_event_seq(session: Session, booth: Booth) -> int:
    """The seq the booth's next event gets (valid while the booth's write lock is held)."""
    session.flush()
    return last_seq(session, booth, sync_state(session, booth).epoch) + 1


def append_event(session: Session, *, booth: Booth, type: str, payload: dict,
                 shift_id: str | None = None, occurred_at: datetime | None = None
                 ) -> OutboxEvent:
    """Add the next event of the booth's outbox; the caller must hold the booth's write
    lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``SELECT … FOR UPDATE`` on the booth)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    state = sync_state(session, booth)
    event = OutboxEvent(id=new_uuid(), booth_id=booth.id, epoch=state.epoch,
                        seq=next_event_seq(session, booth), type=type, shift_id=shift_id,
                        occurred_at=occurred_at or utcnow(), payload=payload,
                        hash=canonical_hash(payload))
    session.add(event)
    # After the commit the watermark file learns how far this booth has written.
    _note_mark(session, booth)
    return event


# --- epochs -------------------------------------------------------------------------------


def start_new_epoch(session: Session, *, booth: Booth, reason: str, epoch_no_floor: int = 0,
                    sale_seq_floor: int = 0) -> SyncState:
    """Stop writing the current epoch and open a new one. Events not yet acknowledged
    move into it, renumbered 1…n in their order (their ids and hashes stay, so central
    recognises the ones it already holds); receipt numbers continue above every one the
    booth or central has seen; the booth then fetches what central holds and it lost."""
    from pos.counter_models import Sale

    state = sync_state(session, booth)
    old_epoch = state.epoch
    state.epoch = new_uuid()
    state.epoch_no = max(state.epoch_no, epoch_no_floor) + 1
    state.epoch_started_at = utcnow()
    state.epoch_reason = reason
    local_sales = session.scalar(select(func.max(Sale.seq)).where(
        Sale.booth_id == booth.id)) or 0
    state.sale_seq_floor = max(state.sale_seq_floor, sale_seq_floor, local_sales)
    state.needs_recovery = True
    pending = session.scalars(select(OutboxEvent).where(
        OutboxEvent.booth_id == booth.id, OutboxEvent.epoch == old_epoch,
        OutboxEvent.acked_at.is_(None)).order_by(OutboxEvent.seq)).all()
    # Two steps, so the unique (booth, epoch, seq) never sees a half-moved row.
    for n, event in enumerate(pending, start=1):
        event.epoch, event.seq = state.epoch, -n
    session.flush()
    for event in pending:
        event.seq = -event.seq
    session.flush()
    _note_mark(session, booth)
    return state


def read_watermark(instance_path: str | os.PathLike) -> dict | None:
    path = Path(instance_path) / WATERMARK_FILE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _note_mark(session: Session, booth: Booth) -> None:
    """Remember that this transaction moves the booth's watermark; what the mark says is
    read from the database just before the commit, so a savepoint rolled back inside the
    transaction (a sale that lost a race) never moves it."""
    session.info["watermark_booth"] = booth.id
    session.info.pop("watermark_known", None)


def note_written_mark(session: Session, booth_id: int, mark: dict) -> None:
    """The mark as a writer knows it: under the booth's lock, once its inserts
    succeeded, it wrote the newest event and receipt, so the commit need not read them
    back. Any later event of the transaction (``_note_mark``) falls back to reading."""
    session.info["watermark_booth"] = booth_id
    session.info["watermark_known"] = mark


def _current_mark(session: Session, booth_id: int) -> dict | None:
    from pos.counter_models import Sale

    state = session.get(SyncState, booth_id)
    booth = session.get(Booth, booth_id)
    if state is None or booth is None:
        return None
    return {"booth": booth.code, "epoch": state.epoch, "epoch_no": state.epoch_no,
            "seq": last_seq(session, booth, state.epoch),
            "sale_seq": max(state.sale_seq_floor, session.scalar(
                select(func.max(Sale.seq)).where(Sale.booth_id == booth_id)) or 0)}


def write_watermark(mark: dict, instance_path: str | os.PathLike) -> None:
    """Record outside the database how far the booth has written (epoch, seq, receipt),
    so a database restored from an older copy is recognised before it sells again. The
    mark never moves back: a database behind it is what a restore looks like."""
    with _mark_lock:  # tills commit in parallel threads: the newer mark must win
        old = read_watermark(instance_path) or {}
        if old.get("booth") == mark["booth"]:
            if (old.get("epoch_no", 0), old.get("seq", 0)) > (mark["epoch_no"], mark["seq"]):
                mark = mark | {"epoch": old["epoch"], "epoch_no": old["epoch_no"],
                               "seq": old["seq"]}
            mark["sale_seq"] = max(old.get("sale_seq", 0), mark.get("sale_seq", 0))
        _store_mark(Path(instance_path) / WATERMARK_FILE, json.dumps(mark).encode())


# The mark is rewritten after every commit. Creating or truncating a file costs
# milliseconds on some file systems, so the file is created once (write and rename) and
# then overwritten in place: one small write of a fixed-size record at its start, never
# shorter than before (JSON allows the padding). Like the rename before it, the write is
# not synced: the mark trails a power cut by at most the last commits.
_MARK_SIZE = 512
_mark_lock = threading.Lock()
_mark_file: list = [None, None]  # [path, open descriptor]


def _store_mark(path: Path, data: bytes) -> None:
    record = data.ljust(_MARK_SIZE)
    fd = _mark_file[1] if _mark_file[0] == path else None
    try:
        if fd is not None and len(record) == _MARK_SIZE \
                and os.fstat(fd).st_ino == os.stat(path).st_ino:
            os.pwrite(fd, record, 0)
            return
    except OSError:
        pass  # the file was removed: create it again
    if fd is not None:
        os.close(fd)
        _mark_file[:] = [None, None]
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(record)
    os.replace(tmp, path)
    if len(record) == _MARK_SIZE:
        if _mark_file[1] is not None:
            os.close(_mark_file[1])
        _mark_file[:] = [path, os.open(path, os.O_WRONLY)]


@sa_event.listens_for(Session, "before_commit")
def _read_watermark_before_commit(session: Session) -> None:
    # SQLAlchemy fires the commit events for a SAVEPOINT's release too: only the real
    # commit may move the mark, or a crash before it would leave the mark ahead.
    if session.in_nested_transaction():
        return
    booth_id = session.info.pop("watermark_booth", None)
    known = session.info.pop("watermark_known", None)
    if booth_id is not None and session.in_transaction():
        session.flush()
        mark = known or _current_mark(session, booth_id)
        if mark is not None:
            session.info["watermark"] = mark


@sa_event.listens_for(Session, "after_commit")
def _write_watermark_after_commit(session: Session) -> None:
    mark = session.info.pop("watermark", None)
    if mark and has_app_context() and current_app.config.get("OCOP_ROLE") == "booth":
        try:
            write_watermark(mark, current_app.instance_path)
        except OSError:
            current_app.logger.exception("cannot write the sync watermark")
        from sync.client import wake_sync_worker

        wake_sync_worker(current_app)


@sa_event.listens_for(Session, "after_rollback")
def _forget_watermark(session: Session) -> None:
    session.info.pop("watermark", None)
    session.info.pop("watermark_booth", None)
    session.info.pop("watermark_known", None)


def detect_restore(session: Session, *, booth: Booth, instance_path: str | os.PathLike
                   ) -> SyncState | None:
    """Compare the database with the watermark: a database that is behind what this
    instance already wrote was restored from a copy, and starts a new epoch (returned);
    else None. The caller commits."""
    mark = read_watermark(instance_path)
    state = session.get(SyncState, booth.id)
    if not mark or mark.get("booth") != booth.code or state is None:
        return None
    behind = (mark.get("epoch_no", 0) > state.epoch_no) or (
        mark.get("epoch") == state.epoch
        and mark.get("seq", 0) > last_seq(session, booth, state.epoch))
    if not behind:
        return None
    return start_new_epoch(session, booth=booth, reason="restore",
                           epoch_no_floor=int(mark.get("epoch_no", 0)),
                           sale_seq_floor=int(mark.get("sale_seq", 0)))


# --- what is waiting ----------------------------------------------------------------------


def pending_summary(session: Session, booth: Booth) -> tuple[int, datetime | None]:
    """How many events wait for central's acknowledgement, and when the oldest happened."""
    count, oldest = session.execute(select(func.count(), func.min(OutboxEvent.occurred_at))
                                    .where(OutboxEvent.booth_id == booth.id,
                                           OutboxEvent.acked_at.is_(None))).one()
    if oldest is not None and oldest.tzinfo is None:  # an aggregate skips the column type
        oldest = oldest.replace(tzinfo=UTC)
    return count, oldest


def pending_batch(session: Session, booth: Booth, *, limit: int,
                  max_bytes: int) -> list[OutboxEvent]:
    """The oldest unacknowledged events of the current epoch, in seq order, up to
    ``limit`` events or about ``max_bytes`` of payload."""
    state = sync_state(session, booth)
    events = session.scalars(select(OutboxEvent).where(
        OutboxEvent.booth_id == booth.id, OutboxEvent.epoch == state.epoch,
        OutboxEvent.acked_at.is_(None)).order_by(OutboxEvent.seq).limit(limit)).all()
    batch, size = [], 0
    for event in events:
        size += len(canonical_json(event.payload)) + 200
        if batch and size > max_bytes:
            break
        batch.append(event)
    return batch


def mark_acked(session: Session, *, booth: Booth, epoch: str, through_seq: int) -> int:
    """Mark acknowledged every event of ``epoch`` up to ``through_seq``; returns how many."""
    result = session.execute(update(OutboxEvent).where(
        OutboxEvent.booth_id == booth.id, OutboxEvent.epoch == epoch,
        OutboxEvent.seq <= through_seq, OutboxEvent.acked_at.is_(None))
        .values(acked_at=utcnow()))
    return result.rowcount or 0


def unmark_from(session: Session, *, booth: Booth, epoch: str, from_seq: int) -> int:
    """Central says it lacks events from ``from_seq`` on (it was restored itself): send
    them again."""
    result = session.execute(update(OutboxEvent).where(
        OutboxEvent.booth_id == booth.id, OutboxEvent.epoch == epoch,
        OutboxEvent.seq >= from_seq, OutboxEvent.acked_at.is_not(None))
        .values(acked_at=None))
    return result.rowcount or 0


def prune_acked(session: Session, *, booth: Booth, older_than: timedelta) -> int:
    """Forget acknowledged events after the retention window: central has them, so the
    booth's database stops growing by its outbox. The newest event of each epoch stays,
    so seqs continue where they were."""
    state = sync_state(session, booth)
    newest = last_seq(session, booth, state.epoch)
    result = session.execute(delete(OutboxEvent).where(
        OutboxEvent.booth_id == booth.id, OutboxEvent.acked_at.is_not(None),
        OutboxEvent.acked_at < utcnow() - older_than,
        ~((OutboxEvent.epoch == state.epoch) & (OutboxEvent.seq == newest))))
    return result.rowcount or 0
