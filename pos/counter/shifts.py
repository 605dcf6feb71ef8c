"""Shifts: opening with a float, cash in and out of the drawer, the blind count and the
Z-report at the close."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.enums import CashKind, EventType, ShiftStatus
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.models import Booth, User
from core.services import record_audit
from pos.counter.approvals import resolve_approver
from pos.counter.common import (
    BUSINESS_TZ,
    DEFAULT_CASH_DIFF_THRESHOLD,
    MAX_AMOUNT,
    Approval,
    NeedsManager,
    check_staff,
    is_manager_of,
    lock_booth,
    now,
    require,
)
from pos.counter.reports import shift_report
from pos.counter_models import DENOMINATIONS, CashMovement, Shift
from sync.models import OutboxEvent
from sync.outbox import append_event, next_event_seq, sync_state


def open_shift(session: Session, *, booth: Booth, cashier: User, opening_float: int) -> Shift:
    """Open the cashier's shift at this booth with the cash in the drawer; one at a time."""
    check_staff(booth, cashier)
    if not isinstance(opening_float, int) or isinstance(opening_float, bool) \
            or not 0 <= opening_float <= MAX_AMOUNT:
        raise DomainError(_("Tiền đầu ca phải là số nguyên đồng không âm."),
                          field="opening_float")
    lock_booth(session, booth)
    if current_shift(session, booth=booth, cashier=cashier, any_booth=True) is not None:
        raise Conflict(_("Bạn đang có một ca chưa đóng."), code="shift_already_open")
    at = now()
    shift = Shift(booth_id=booth.id, cashier=cashier, opened_at=at, status=ShiftStatus.OPEN,
                  business_day=at.astimezone(BUSINESS_TZ).date(),
                  opening_float=opening_float)
    session.add(shift)
    session.flush()
    append_event(session, booth=booth, type=EventType.SHIFT_OPENED, shift_id=shift.id,
                 payload=shift_to_json(shift), occurred_at=at)
    session.flush()
    return shift


def current_shift(session: Session, *, booth: Booth, cashier: User,
                  any_booth: bool = False) -> Shift | None:
    """The cashier's open shift (at this booth, or anywhere with ``any_booth``)."""
    query = select(Shift).where(Shift.cashier_id == cashier.id, Shift.status == ShiftStatus.OPEN)
    if not any_booth:
        query = query.where(Shift.booth_id == booth.id)
    return session.scalar(query)


def get_shift(session: Session, *, booth: Booth, shift_id: str) -> Shift:
    """A shift of this booth, or 404 ``shift_not_found``."""
    shift = session.get(Shift, shift_id)
    if shift is None or shift.booth_id != booth.id:
        raise NotFound(_("Không tìm thấy ca làm việc %(id)s.", id=shift_id),
                       code="shift_not_found")
    return shift


def get_visible_shift(session: Session, *, booth: Booth, viewer: User,
                      shift_id: str) -> Shift:
    """A shift of this booth the viewer may see, else 404: a cashier sees only their own,
    and another's answers as if it did not exist (its report, its Z-report, its print)."""
    shift = get_shift(session, booth=booth, shift_id=shift_id)
    if not is_manager_of(viewer, booth) and shift.cashier_id != viewer.id:
        raise NotFound(_("Không tìm thấy ca làm việc %(id)s.", id=shift_id[:40]),
                       code="shift_not_found")
    return shift


def _check_shift_actor(booth: Booth, shift: Shift, actor: User) -> None:
    check_staff(booth, actor)
    if actor.id != shift.cashier_id and not is_manager_of(actor, booth):
        raise Forbidden(_("Chỉ thu ngân của ca hoặc quản lý mới được làm việc này."))


def _check_open(shift: Shift) -> None:
    if shift.status != ShiftStatus.OPEN:
        raise Conflict(_("Ca làm việc đã đóng."), code="shift_closed")


def move_cash(session: Session, *, booth: Booth, shift: Shift, actor: User, kind: str,
              amount: int, reason: str) -> CashMovement:
    """Put cash into the drawer or take it out (kind ``in``/``out``), with a reason."""
    _check_shift_actor(booth, shift, actor)
    if kind not in (CashKind.IN, CashKind.OUT):
        raise DomainError(_("Loại phải là in (nộp vào) hoặc out (rút ra)."), field="kind")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise DomainError(_("Số tiền phải là số nguyên dương."), field="amount")
    reason = require(reason, "reason", _("Cần ghi lý do."))
    lock_booth(session, booth)
    session.refresh(shift)
    _check_open(shift)
    movement = CashMovement(shift_id=shift.id, kind=kind, amount=amount, reason=reason[:300],
                            by_id=actor.id)
    session.add(movement)
    session.flush()
    record_audit(session, action=f"cash_{kind}", actor=actor, booth=booth,
                 target_type="shift", target_id=shift.id, after={"amount": amount},
                 reason=reason[:500])
    append_event(session, booth=booth, type=EventType.CASH_MOVED, shift_id=shift.id,
                 payload={"id": movement.id, "shift_id": shift.id, "kind": kind,
                          "amount": amount, "reason": movement.reason,
                          "by": actor.username, "at": movement.at.isoformat()})
    session.flush()
    return movement


def close_shift(session: Session, *, booth: Booth, shift: Shift, actor: User,
                counted_cash: int | None = None, denominations: dict[int, int] | None = None,
                note: str = "", approval: Approval | None = None,
                threshold: int = DEFAULT_CASH_DIFF_THRESHOLD) -> dict:
    """Close a shift on a blind count; returns the Z-report.

    A difference above ``threshold`` (either way) needs a manager's sign-off and a note,
    else 409 ``needs_manager``.
    """
    _check_shift_actor(booth, shift, actor)
    if (counted_cash is None) == (denominations is None):
        raise DomainError(_("Gửi số tiền đếm được theo mệnh giá (counted) hoặc tổng "
                            "(counted_cash)."), field="counted")
    if denominations is not None:
        for value, count in denominations.items():
            if value not in DENOMINATIONS:
                raise DomainError(_("Mệnh giá không hợp lệ: %(v)s.", v=value),
                                  field=f"counted.{value}")
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100_000:
                raise DomainError(_("Số tờ phải là số nguyên không âm."),
                                  field=f"counted.{value}")
        counted_cash = sum(value * count for value, count in denominations.items())
    if not isinstance(counted_cash, int) or isinstance(counted_cash, bool) \
            or not 0 <= counted_cash <= MAX_AMOUNT:
        raise DomainError(_("Tiền đếm được phải là số nguyên đồng không âm."),
                          field="counted_cash")
    lock_booth(session, booth)
    session.refresh(shift)
    _check_open(shift)
    report = shift_report(session, shift=shift)
    difference = counted_cash - report["expected_cash"]
    note = (note or "").strip()
    approver = None
    if abs(difference) > threshold:
        approver = resolve_approver(session, booth=booth, actor=actor, approval=approval)
        if approver is None:
            # The count stays blind: no amount in the message, and every refused count is
            # audited, so recounting until the difference fits shows up.
            raise NeedsManager(
                _("Tiền đếm được lệch quá mức cho phép: cần quản lý duyệt và ghi chú."),
                field="approved_by",
                after_rollback=lambda s: record_audit(
                    s, action="shift_count_refused", actor=actor, booth=booth,
                    target_type="shift", target_id=shift.id,
                    after={"counted_cash": counted_cash, "difference": difference}))
        note = require(note, "note", _("Chênh lệch lớn: cần ghi chú giải thích."))
    at = now()
    shift.status = ShiftStatus.CLOSED
    shift.closed_at = at
    shift.counted_cash = counted_cash
    shift.counted_denominations = (
        {str(v): c for v, c in sorted(denominations.items(), reverse=True)}
        if denominations is not None else None)
    shift.expected_cash = report["expected_cash"]
    shift.difference = difference
    shift.closed_by_id = actor.id
    shift.approved_by_id = approver.id if approver else None
    shift.note = note[:500]
    session.flush()
    report = report | {"status": "closed", "closed_at": at.isoformat(),
                       "counted_cash": counted_cash, "difference": difference,
                       "counted_denominations": shift.counted_denominations,
                       "approved_by": approver.username if approver else None,
                       "note": shift.note}
    record_audit(session, action="shift_close", actor=actor, booth=booth, approver=approver,
                 target_type="shift", target_id=shift.id,
                 before={"expected_cash": report["expected_cash"]},
                 after={"counted_cash": counted_cash, "difference": difference},
                 reason=shift.note)
    counts = _event_counts(session, shift)
    counts[EventType.SHIFT_CLOSED] = counts.get(EventType.SHIFT_CLOSED, 0) + 1
    epoch = sync_state(session, booth).epoch
    first_seq = session.scalar(select(func.min(OutboxEvent.seq)).where(
        OutboxEvent.shift_id == shift.id, OutboxEvent.epoch == epoch))
    last_seq = next_event_seq(session, booth)
    append_event(session, booth=booth, type=EventType.SHIFT_CLOSED, shift_id=shift.id,
                 payload={"report": report, "closed_by": actor.username,
                          "manifest": {"epoch": epoch, "first_seq": first_seq or last_seq,
                                       "last_seq": last_seq, "count_by_type": counts}},
                 occurred_at=at)
    session.flush()
    return report


def _event_counts(session: Session, shift: Shift) -> dict[str, int]:
    rows = session.execute(select(OutboxEvent.type, func.count()).where(
        OutboxEvent.shift_id == shift.id).group_by(OutboxEvent.type))
    return {kind: count for kind, count in rows}




def shift_to_json(shift: Shift) -> dict:
    """A shift as the API shows it (the figures come from ``shift_report``)."""
    return {
        "id": shift.id, "booth": shift.booth.code if shift.booth else None,
        "cashier": shift.cashier.username, "cashier_name": shift.cashier.display_name,
        "status": shift.status, "opened_at": shift.opened_at.isoformat(),
        "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
        "business_day": shift.business_day.isoformat(), "opening_float": shift.opening_float,
        "counted_cash": shift.counted_cash, "expected_cash": shift.expected_cash,
        "difference": shift.difference, "note": shift.note,
    }
