"""The booth's transactional outbox: every business action leaves one event row,
written in the same transaction as the rows it describes (see docs/sync-research.md)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pos.extensions import db
from pos.models import Booth
from pos.types import UTCDateTime, new_uuid, utcnow

EVENT_TYPES = ("sale_completed", "sale_refunded", "sale_voided", "shift_opened",
               "shift_closed", "cash_moved")


class OutboxEvent(db.Model):
    """One event waiting for (or acknowledged by) central. ``seq`` is gap-free per booth
    and follows commit order, because it is taken as ``max + 1`` under the booth's write
    lock."""

    __tablename__ = "outbox_event"
    __table_args__ = (UniqueConstraint("booth_id", "seq", name="uq_outbox_event_booth_seq"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    # The shift the event belongs to, so a shift's manifest can name its seq range.
    shift_id: Mapped[str | None] = mapped_column(String(36), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON)
    hash: Mapped[str] = mapped_column(String(64))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


def canonical_hash(payload: dict) -> str:
    """SHA-256 of the payload's canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def next_event_seq(session: Session, booth: Booth) -> int:
    """The seq the booth's next event gets (valid while the booth's write lock is held)."""
    session.flush()
    return (session.scalar(select(func.max(OutboxEvent.seq)).where(
        OutboxEvent.booth_id == booth.id)) or 0) + 1


def append_event(session: Session, *, booth: Booth, type: str, payload: dict,
                 shift_id: str | None = None, occurred_at: datetime | None = None
                 ) -> OutboxEvent:
    """Add the next event of the booth's outbox; the caller must hold the booth's write
    lock (SQLite ``BEGIN IMMEDIATE``, PostgreSQL ``SELECT … FOR UPDATE`` on the booth)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = OutboxEvent(id=new_uuid(), booth_id=booth.id, seq=next_event_seq(session, booth),
                        type=type,
                        shift_id=shift_id, occurred_at=occurred_at or utcnow(),
                        payload=payload, hash=canonical_hash(payload))
    session.add(event)
    return event
