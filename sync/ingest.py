"""Central's side of the push: every event stored once, its effects applied in the same
transaction, gaps and rewinds of each (booth, epoch) detected, business-rule failures
kept for review rather than dropped (docs/sync-research.md §2.2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, DomainError, Forbidden
from core.models import Booth
from core.types import utcnow
from sync.apply import MalformedEvent, apply_events
from sync.models import EVENT_TYPES, BoothHealth, IngestedEvent, SyncConflict, SyncEpoch
from sync.outbox import canonical_hash

MAX_BATCH_EVENTS = 500
MAX_SEQ = 2**62

UUIDText = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F-]{36}$")]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("thời điểm phải có múi giờ (ví dụ +07:00 hoặc Z)")
    return value.astimezone(UTC)


class EventIn(BaseModel):
    """One event as the booth's outbox holds it."""

    model_config = ConfigDict(extra="forbid")

    id: UUIDText
    seq: int = Field(ge=1, le=MAX_SEQ)
    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    occurred_at: datetime
    hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    payload: dict

    _aware = field_validator("occurred_at")(_aware)

    @field_validator("id")
    @classmethod
    def _canonical_id(cls, value: str) -> str:
        return str(uuid.UUID(value))


class AuditHeadIn(BaseModel):
    """The head of the booth's audit chain as the batch was read: its newest entry's seq
    and MAC (seq 0 and "" when it has none), and the MAC the booth holds now at the seq
    central last recorded (``checked_seq``; null ``checked_mac``: that entry is gone)."""

    model_config = ConfigDict(extra="ignore")

    seq: int = Field(ge=0, le=MAX_SEQ)
    mac: Annotated[str, StringConstraints(pattern=r"^([0-9a-f]{64})?$")]
    checked_seq: int | None = Field(default=None, ge=1, le=MAX_SEQ)
    checked_mac: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None

    @model_validator(mode="after")
    def _mac_with_entries(self) -> AuditHeadIn:
        if (self.seq == 0) != (self.mac == ""):
            raise ValueError("mac phải trống khi seq là 0 và là mã 64 ký tự hex khi seq > 0")
        return self


class PushIn(BaseModel):
    """A batch of events of one (booth, epoch), in seq order."""

    model_config = ConfigDict(extra="ignore")

    booth: str | None = None
    epoch: UUIDText
    epoch_no: int = Field(default=1, ge=1, le=1_000_000)
    # The booth's newest seq in this epoch: below central's high water means the booth
    # went back in time.
    last_seq: int | None = Field(default=None, ge=0, le=MAX_SEQ)
    pending: int | None = Field(default=None, ge=0)
    oldest_pending_at: datetime | None = None
    booth_time: datetime | None = None
    events: list[EventIn] = Field(max_length=MAX_BATCH_EVENTS)
    # Optional: booths older than the keyed audit chain do not send it.
    audit_head: AuditHeadIn | None = None

    @field_validator("epoch")
    @classmethod
    def _canonical_epoch(cls, value: str) -> str:
        return str(uuid.UUID(value))

    @field_validator("oldest_pending_at", "booth_time")
    @classmethod
    def _aware_or_none(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)


class Rewind(Conflict):
    """The booth is behind what central holds for its epoch: it must open a new one."""

    code = "rewind"

    def __init__(self, message: str, *, detail: dict):
        super().__init__(message)
        self.detail = detail

    def to_json(self) -> dict:
        return super().to_json() | {"rewind": self.detail}


class SeqGap(Conflict):
    code = "seq_gap"

    def __init__(self, message: str, *, expected_seq: int):
        super().__init__(message, field="events[0].seq")
        self.expected_seq = expected_seq

    def to_json(self) -> dict:
        return super().to_json() | {"expected_seq": self.expected_seq}


def _check_batch(booth: Booth, body: PushIn) -> None:
    """Refusals that need no database: another booth's name, a gap inside the batch, a
    hash that does not match its payload."""
    if body.booth is not None and body.booth != booth.code:
        raise Forbidden(_("Mã của quầy %(ours)s không được gửi dữ liệu của quầy %(theirs)s.",
                          ours=booth.code, theirs=body.booth), code="wrong_booth",
                        field="booth")
    for i, event in enumerate(body.events):
        named = event.payload.get("booth")
        if named is not None and named != booth.code:
            raise Forbidden(_("Mã của quầy %(ours)s không được gửi dữ liệu của quầy "
                              "%(theirs)s.", ours=booth.code, theirs=named),
                            code="wrong_booth", field=f"events[{i}].payload.booth")
        if i and event.seq != body.events[i - 1].seq + 1:
            raise DomainError(_("Các sự kiện phải liên tiếp theo seq: sau %(a)d là %(b)d.",
                                a=body.events[i - 1].seq, b=event.seq),
                              field=f"events[{i}].seq", code="seq_gap")
        if canonical_hash(event.payload) != event.hash:
            raise DomainError(_("Mã băm không khớp với nội dung sự kiện."),
                              field=f"events[{i}].hash", code="bad_hash")


def _locked_health(session: Session, booth: Booth) -> BoothHealth:
    """The booth's health row, locked: one batch per booth at a time, whatever number of
    central processes run."""
    health = session.scalar(select(BoothHealth).where(BoothHealth.booth_id == booth.id)
                            .with_for_update())
    if health is None:
        try:
            with session.begin_nested():
                session.add(BoothHealth(booth_id=booth.id))
        except IntegrityError:
            pass
        health = session.scalar(select(BoothHealth).where(BoothHealth.booth_id == booth.id)
                                .with_for_update())
    return health


def record_contact(session: Session, *, booth: Booth) -> None:
    """A pull is a sign of life too (the row is created safely when two calls race)."""
    _locked_health(session, booth).last_contact_at = utcnow()
    session.flush()


def _epoch(session: Session, booth: Booth, body: PushIn) -> SyncEpoch:
    epoch = session.get(SyncEpoch, (booth.id, body.epoch))
    if epoch is None:
        epoch = SyncEpoch(booth_id=booth.id, epoch=body.epoch, epoch_no=body.epoch_no,
                          high_water=0, started_at=utcnow())
        session.add(epoch)
        session.flush()
    return epoch


def _rewind(session: Session, booth: Booth, epoch: SyncEpoch, health: BoothHealth) -> Rewind:
    max_epoch_no = session.scalar(select(func.max(SyncEpoch.epoch_no)).where(
        SyncEpoch.booth_id == booth.id)) or epoch.epoch_no
    return Rewind(_("Quầy %(code)s có ít dữ liệu hơn trung tâm đang giữ (có thể vừa khôi "
                    "phục bản sao lưu cũ): cần mở kỳ đồng bộ mới.", code=booth.code),
                  detail={"epoch": epoch.epoch, "high_water": epoch.high_water,
                          "max_epoch_no": max(max_epoch_no, health.max_epoch_no),
                          "max_sale_seq": health.max_sale_seq})


def ingest_batch(session: Session, *, booth: Booth, body: PushIn) -> dict:
    """Store and apply a batch; answer what central now holds. Flushes, never commits;
    a refusal raises before anything is written."""
    _check_batch(booth, body)
    health = _locked_health(session, booth)
    epoch = _epoch(session, booth, body)
    if body.last_seq is not None and body.last_seq < epoch.high_water:
        raise _rewind(session, booth, epoch, health)
    if epoch.epoch_no < health.max_epoch_no:
        # The booth writes an epoch it already left (a copy older than its last restore).
        raise _rewind(session, booth, epoch, health)

    ids = [event.id for event in body.events]
    stored = dict(session.execute(select(IngestedEvent.id, IngestedEvent.hash)
                                  .where(IngestedEvent.id.in_(ids))).all()) if ids else {}
    results, fresh, conflicts = [], [], []
    next_seq = epoch.high_water + 1
    for event in body.events:
        if event.seq < next_seq:
            if event.id not in stored:
                # Central holds another event at this seq: the booth's history forked.
                raise _rewind(session, booth, epoch, health)
            status = "duplicate" if stored[event.id] == event.hash else "conflict"
            if status == "conflict":
                conflicts.append(event)
            results.append({"id": event.id, "seq": event.seq, "status": status})
            continue
        if event.seq > next_seq:
            raise SeqGap(_("Trung tâm chờ sự kiện số %(n)d của kỳ này; hãy gửi lại từ đó.",
                           n=next_seq), expected_seq=next_seq)
        next_seq += 1
        if event.id in stored:  # renumbered into a new epoch after a rewind
            status = "duplicate" if stored[event.id] == event.hash else "conflict"
            if status == "conflict":
                conflicts.append(event)
            results.append({"id": event.id, "seq": event.seq, "status": status})
            continue
        fresh.append(event)
        results.append({"id": event.id, "seq": event.seq, "status": "applied"})

    problems = _store_and_apply(session, booth, body.epoch, fresh)
    for result in results:
        if result["id"] in problems:
            result["status"] = "needs_review"
    for event in conflicts:
        session.add(SyncConflict(booth_id=booth.id, event_id=event.id, epoch=body.epoch,
                                 seq=event.seq, hash=event.hash, payload=event.payload))

    now = utcnow()
    epoch.high_water = next_seq - 1
    sale_seqs = [e.payload.get("seq") for e in fresh
                 if e.type in ("sale_completed", "sale_refunded")]
    health.max_sale_seq = max([health.max_sale_seq]
                              + [s for s in sale_seqs if isinstance(s, int)])
    health.max_epoch_no = max(health.max_epoch_no, body.epoch_no)
    health.epoch = body.epoch
    health.last_contact_at = health.last_push_at = now
    if body.booth_time is not None:
        health.clock_skew = round((now - body.booth_time).total_seconds())
    if body.pending is not None:
        health.events_behind = max(0, body.pending - len(body.events))
    health.oldest_pending_at = body.oldest_pending_at if health.events_behind else None
    _check_audit_head(health, body, now)
    session.flush()
    answer = {"epoch": body.epoch, "acked_through_seq": epoch.high_water, "results": results,
              "server_time": now.isoformat()}
    if body.audit_head is not None and health.audit_epoch == body.epoch:
        answer["audit_head"] = {"seq": health.audit_seq,
                                "flagged": bool(health.audit_alert)}
    return answer


def _check_audit_head(health: BoothHealth, body: PushIn, now: datetime) -> None:
    """Compare the booth's audit chain head with the one it reported before in the same
    epoch: a head that went back, or another MAC at the seq already reported, means the
    newest entries were deleted (and maybe written again). That is flagged for the
    office, never refused: the sales still count. The head central recorded stays as
    the evidence. A new epoch (a restore) starts from the head it reports."""
    head = body.audit_head
    if head is None:
        return
    if health.audit_epoch == body.epoch and health.audit_seq is not None:
        known_seq, known_mac = health.audit_seq, health.audit_mac
        problem = ""
        if head.seq < known_seq:
            problem = _("Nhật ký kiểm toán của quầy đã lùi từ mục số %(old)d về mục số "
                        "%(new)d: các mục mới nhất đã bị xóa ở quầy.",
                        old=known_seq, new=head.seq)
        elif (head.seq == known_seq and head.mac != known_mac) or (
                head.checked_seq == known_seq and head.checked_mac != known_mac):
            problem = _("Mục nhật ký kiểm toán số %(seq)d của quầy không còn như lần báo "
                        "trước (đã bị xóa hoặc viết lại): các mục mới nhất đã bị xóa ở "
                        "quầy.", seq=known_seq)
        if problem:
            if not health.audit_alert:
                health.audit_alert, health.audit_alert_at = problem, now
            return
    health.audit_epoch, health.audit_seq, health.audit_mac = body.epoch, head.seq, head.mac
    health.audit_reported_at = now


def _shift_of(payload: dict) -> str | None:
    shift_id = payload.get("shift_id")
    if shift_id is None and isinstance(payload.get("report"), dict):
        shift_id = payload["report"].get("shift_id")
    if shift_id is None and "opening_float" in payload:  # shift_opened is the shift itself
        shift_id = payload.get("id")
    return shift_id if isinstance(shift_id, str) else None


def _store_and_apply(session: Session, booth: Booth, epoch: str,
                     fresh: list[EventIn]) -> dict[str, str]:
    """Insert the new events and apply them in bulk; if the bulk insert trips over
    something the checks did not foresee, apply them one at a time so only the guilty
    event waits for review."""
    if not fresh:
        return {}
    now = utcnow()
    events = [{"id": e.id, "type": e.type, "hash": e.hash, "payload": e.payload}
              for e in fresh]
    try:
        with session.begin_nested():
            problems = apply_events(session, booth=booth, events=events)
    except (IntegrityError, MalformedEvent):
        problems = {}
        for event in events:
            try:
                with session.begin_nested():
                    problems.update(apply_events(session, booth=booth, events=[event]))
            except IntegrityError as err:
                problems[event["id"]] = (
                    "Vi phạm ràng buộc dữ liệu ở trung tâm: " + str(err.orig))[:500]
    session.execute(insert(IngestedEvent), [{
        "id": e.id, "booth_id": booth.id, "epoch": epoch, "seq": e.seq, "type": e.type,
        "hash": e.hash, "occurred_at": e.occurred_at, "received_at": now,
        "payload": e.payload, "status": "needs_review" if e.id in problems else "applied",
        "shift_id": _shift_of(e.payload), "problem": problems.get(e.id, "")} for e in fresh])
    return problems
