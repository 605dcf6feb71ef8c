"""The booth ⇄ central sync tables (docs/sync-research.md).

Booth side: the transactional outbox (``OutboxEvent``) and the link's state
(``SyncState``: epoch, feed cursors, last push and pull). Central side: the booths'
credentials, every event ever received (unique on its id, forever), the high-water mark of
each (booth, epoch), each booth's health, the events quarantined as conflicts, and the
heads of the versioned feeds the booths pull.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import EventType
from core.extensions import db
from core.models import Booth, _in
from core.types import UTCDateTime, new_uuid, utcnow

EVENT_TYPES = tuple(member.value for member in EventType)
EVENT_STATUSES = ("applied", "needs_review")
FEEDS = ("catalog", "transfers")


class OutboxEvent(db.Model):
    """One event waiting for (or acknowledged by) central. ``seq`` is gap-free per
    (booth, epoch) and follows commit order, because it is taken as ``max + 1`` under the
    booth's write lock."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        UniqueConstraint("booth_id", "epoch", "seq", name="uq_outbox_event_booth_epoch_seq"),
        Index("ix_outbox_event_pending", "acked_at", "epoch", "seq"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    epoch: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    # The shift the event belongs to, so a shift's manifest can name its seq range.
    shift_id: Mapped[str | None] = mapped_column(String(36), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON)
    hash: Mapped[str] = mapped_column(String(64))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncState(db.Model):
    """The booth's side of the link, one row per booth: which epoch it writes, where its
    feed cursors stand, and what the last exchange with central did."""

    __tablename__ = "sync_state"

    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    epoch: Mapped[str] = mapped_column(String(36))
    # 1, 2, 3…: a new epoch after every restore or rewind, never reused.
    epoch_no: Mapped[int] = mapped_column(default=1)
    epoch_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    epoch_reason: Mapped[str] = mapped_column(String(40), default="new")
    # Receipt numbers continue above this, so a restored booth never reissues one.
    sale_seq_floor: Mapped[int] = mapped_column(default=0)
    catalog_version: Mapped[int] = mapped_column(BigInteger, default=0)
    transfers_version: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set after a restore or rewind: fetch this booth's own events that central holds
    # and the booth lost.
    needs_recovery: Mapped[bool] = mapped_column(default=False)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    central_time_skew: Mapped[int | None]  # seconds, central minus booth, last seen
    # The audit seq central last recorded for this booth: the next push tells it the MAC
    # held at that seq now, so entries deleted and written again past it show too.
    audit_seq_at_central: Mapped[int | None]

    booth: Mapped[Booth] = relationship()


class BoothCredential(db.Model):
    """A booth's sync token at central: only its SHA-256 is kept. During a rotation the
    old token stays valid until ``expires_at``, so two are valid for a while."""

    __tablename__ = "booth_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booth: Mapped[Booth] = relationship()


class IngestedEvent(db.Model):
    """Every event central ever received, once: the primary key is the booth's event id,
    so a retried batch cannot apply anything twice. ``position`` is central's receive
    order (a booth that lost its database reads its own history back in it)."""

    __tablename__ = "ingested_event"
    __table_args__ = (
        UniqueConstraint("booth_id", "epoch", "seq", name="uq_ingested_event_booth_epoch_seq"),
        CheckConstraint(_in("status", EVENT_STATUSES), name="status"),
        Index("ix_ingested_event_review", "status", "booth_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"))
    epoch: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    hash: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    # The shift the event belongs to: reconciliation counts a shift's events against the
    # manifest its closing carried.
    shift_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Why an event needs review (a broken business rule), in Vietnamese.
    problem: Mapped[str] = mapped_column(Text, default="")


class SyncConflict(db.Model):
    """An event that reused a known id with different content: quarantined, never
    applied, kept for the office to look at."""

    __tablename__ = "sync_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    epoch: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncEpoch(db.Model):
    """Central's view of one (booth, epoch): every seq up to ``high_water`` is held."""

    __tablename__ = "sync_epoch"

    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    epoch: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch_no: Mapped[int] = mapped_column(default=1)
    high_water: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rewound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BoothHealth(db.Model):
    """What central knows of a booth's link, refreshed by every authenticated call."""

    __tablename__ = "booth_health"

    booth_id: Mapped[int] = mapped_column(ForeignKey("booth.id"), primary_key=True)
    epoch: Mapped[str] = mapped_column(String(36), default="")
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seconds, central's clock minus the booth's, at the last contact.
    clock_skew: Mapped[int | None]
    # Events the booth said it still had waiting after the last batch.
    events_behind: Mapped[int] = mapped_column(default=0)
    oldest_pending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The greatest receipt seq central holds for the booth, so a restore never reuses one.
    max_sale_seq: Mapped[int] = mapped_column(default=0)
    max_epoch_no: Mapped[int] = mapped_column(default=0)
    # The head of the booth's audit chain as its pushes report it (seq and MAC) and the
    # epoch it was reported in: a head that goes back, or another MAC at a seq already
    # reported, means audit entries were deleted or rewritten at the booth.
    audit_epoch: Mapped[str] = mapped_column(String(36), default="")
    audit_seq: Mapped[int | None]
    audit_mac: Mapped[str] = mapped_column(String(64), default="")
    audit_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What was found, in Vietnamese ("" when nothing), kept for the office to review.
    audit_alert: Mapped[str] = mapped_column(Text, default="")
    audit_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booth: Mapped[Booth] = relationship()


class FeedHead(db.Model):
    """The newest version of a feed central publishes. Writers take the next version by
    updating this row, which locks it until they commit, so versions commit in order and
    a reader's cursor never skips a row that commits late."""

    __tablename__ = "feed_head"
    __table_args__ = (CheckConstraint(_in("name", FEEDS), name="name"),)

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
