"""Selling at the till: shifts, cash, sales, refunds, voids and the X/Z reports.

Plain functions that take the session first and flush, never commit; the view commits.
Every writing function starts by taking the booth's write lock (``_lock_booth``), so
receipt numbers, outbox seqs and audit seqs are ``max + 1`` without gaps or races:
SQLite write transactions already run ``BEGIN IMMEDIATE``; on PostgreSQL the booth row
is locked ``FOR UPDATE``.

Manager approval (price override, discount, a big cash difference) is given in the
request as ``approved_by``: either a manager's API token (a string) or
``{"username", "password"}`` typed at the till. A manager or admin working the till
approves their own actions.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash

from inventory.barcodes import BarcodeError, parse_scan
from inventory.models import Barcode, Product
from inventory.services import post_move
from pos.counter_models import (
    DENOMINATIONS,
    MAX_QTY,
    PAYMENT_METHODS,
    CashMovement,
    Payment,
    Sale,
    SaleLine,
    Shift,
)
from pos.errors import Conflict, DomainError, Forbidden, NotFound, TooManyAttempts
from pos.models import Booth, LoginFailure, User
from pos.money import vat_contained
from pos.services import dummy_password_hash, record_audit, user_for_token
from pos.types import utcnow
from receipts.queue import enqueue_receipt
from sync.models import OutboxEvent
from sync.outbox import append_event, next_event_seq, sale_number_floor, sync_state

BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_CASH_DIFF_THRESHOLD = 50_000
# How far (percent of the catalogue price) a price-embedded label may stray unapproved.
DEFAULT_PRICE_TOLERANCE = 20
MAX_LINES = 200
MAX_PAYMENTS = 10
# 2 tỷ đồng: far above any till, and below 2**31 so it fits PostgreSQL's INTEGER.
MAX_AMOUNT = 2_000_000_000
MAX_ID = 2**31 - 1
APPROVER_ROLES = ("manager", "admin")


# A wrong manager password at the till counts like a failed sign-in.
APPROVAL_MAX_FAILURES = 5
APPROVAL_LOCKOUT = timedelta(minutes=15)

class NoOpenShift(Conflict):
    code = "no_open_shift"


class NeedsManager(Conflict):
    code = "needs_manager"


class BadApproval(Forbidden):
    code = "bad_approval"


class IdReused(Conflict):
    code = "id_reused"


class ShortPayment(DomainError):
    code = "short_payment"


@dataclass(frozen=True)
class LineInput:
    """One line as the till sent it: a scanned ``barcode`` or a ``product_id``."""

    qty: int
    barcode: str | None = None
    product_id: int | None = None
    unit_price: int | None = None
    discount: int | None = None
    discount_percent: int | None = None


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount: int
    tendered: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class Approval:
    """Who approves: a manager's API token, or their username and password."""

    token: str | None = None
    username: str | None = None
    password: str | None = None
    # The till the request came from (its address): wrong tries are counted per
    # cashier and device.
    device: str = ""


# --- helpers ------------------------------------------------------------------------


def _lock_booth(session: Session, booth: Booth) -> None:
    """Serialise the booth's writers (a no-op on SQLite, which is already serialised)."""
    session.execute(select(Booth.id).where(Booth.id == booth.id).with_for_update())


def _check_staff(booth: Booth, user: User) -> None:
    if user.role != "admin" and user.booth_id != booth.id:
        raise Forbidden(_("Tài khoản này không thuộc quầy %(code)s.", code=booth.code),
                        code="wrong_booth")


def _is_manager_of(user: User | None, booth: Booth) -> bool:
    return bool(user and user.active and (
        user.role == "admin" or (user.role == "manager" and user.booth_id == booth.id)))


def _require(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field, code="required")
    return value


def normalise_id(value: str | None) -> str:
    """A client UUID in canonical form, or a new one when the client sent none."""
    if value is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise DomainError(_("Mã (id) phải là một UUID."), field="id") from None


def _request_hash(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _approval_place(booth: Booth, actor: User, device: str) -> str:
    """Where wrong approvals are counted: this booth, this cashier, this device (a
    digest, to fit the failure table's address column)."""
    key = f"{booth.code}|{actor.id}|{device}"
    return "approval:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def resolve_approver(session: Session, *, booth: Booth, actor: User,
                     approval: Approval | None) -> User | None:
    """The manager who approves: the one named in ``approval`` (checked), else the actor
    when they are a manager of this booth, else None.

    Every refusal (unknown name, wrong password, a right password or token of someone who
    is not this booth's manager) answers the same 403 and counts against the requesting
    cashier on their device; after ``APPROVAL_MAX_FAILURES`` within
    ``APPROVAL_LOCKOUT`` that cashier's approvals there are refused (429), nobody else's.
    """
    if approval is None:
        return actor if _is_manager_of(actor, booth) else None
    place = _approval_place(booth, actor, approval.device)
    failures = session.scalar(select(func.count(LoginFailure.id)).where(
        LoginFailure.remote_addr == place,
        LoginFailure.at > utcnow() - APPROVAL_LOCKOUT)) or 0
    if failures >= APPROVAL_MAX_FAILURES:
        raise TooManyAttempts(_("Nhập sai mật khẩu quản lý quá nhiều lần. Vui lòng thử "
                                "lại sau %(m)d phút.", m=APPROVAL_LOCKOUT.seconds // 60))
    approver, tried = None, "token"
    if approval.token:
        approver = user_for_token(session, approval.token)
    elif approval.username:
        tried = approval.username.strip().lower()[:64]
        candidate = session.scalar(select(User).where(User.username == tried))
        if candidate is None:
            check_password_hash(dummy_password_hash(), approval.password or "")
        elif check_password_hash(candidate.password_hash, approval.password or ""):
            approver = candidate
    if not _is_manager_of(approver, booth):
        raise BadApproval(
            _("Thông tin duyệt của quản lý không đúng."), field="approved_by",
            after_rollback=lambda s: s.add(LoginFailure(username=tried, remote_addr=place)))
    return approver


def _next_sale_number(session: Session, booth: Booth) -> tuple[int, str]:
    """The next gap-free receipt number, above every one issued before a restore."""
    last = max(session.scalar(select(func.max(Sale.seq)).where(Sale.booth_id == booth.id))
               or 0, sale_number_floor(session, booth))
    return last + 1, f"{booth.code}-{last + 1:06d}"


def _percent_of(amount: int, percent: int) -> int:
    """``amount * percent / 100`` rounded half up to the đồng."""
    return (2 * amount * percent + 100) // 200


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` over ``weights`` proportionally; shares add up exactly (largest
    remainder)."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


# --- shifts ---------------------------------------------------------------------------


def open_shift(session: Session, *, booth: Booth, cashier: User, opening_float: int) -> Shift:
    """Open the cashier's shift at this booth with the cash in the drawer; one at a time."""
    _check_staff(booth, cashier)
    if not isinstance(opening_float, int) or isinstance(opening_float, bool) \
            or not 0 <= opening_float <= MAX_AMOUNT:
        raise DomainError(_("Tiền đầu ca phải là số nguyên đồng không âm."),
                          field="opening_float")
    _lock_booth(session, booth)
    if current_shift(session, booth=booth, cashier=cashier, any_booth=True) is not None:
        raise Conflict(_("Bạn đang có một ca chưa đóng."), code="shift_already_open")
    now = utcnow()
    shift = Shift(booth_id=booth.id, cashier=cashier, opened_at=now, status="open",
                  business_day=now.astimezone(BUSINESS_TZ).date(),
                  opening_float=opening_float)
    session.add(shift)
    session.flush()
    append_event(session, booth=booth, type="shift_opened", shift_id=shift.id,
                 payload=shift_to_json(shift), occurred_at=now)
    session.flush()
    return shift


def current_shift(session: Session, *, booth: Booth, cashier: User,
                  any_booth: bool = False) -> Shift | None:
    """The cashier's open shift (at this booth, or anywhere with ``any_booth``)."""
    query = select(Shift).where(Shift.cashier_id == cashier.id, Shift.status == "open")
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


def _check_shift_actor(booth: Booth, shift: Shift, actor: User) -> None:
    _check_staff(booth, actor)
    if actor.id != shift.cashier_id and not _is_manager_of(actor, booth):
        raise Forbidden(_("Chỉ thu ngân của ca hoặc quản lý mới được làm việc này."))


def _check_open(shift: Shift) -> None:
    if shift.status != "open":
        raise Conflict(_("Ca làm việc đã đóng."), code="shift_closed")


def move_cash(session: Session, *, booth: Booth, shift: Shift, actor: User, kind: str,
              amount: int, reason: str) -> CashMovement:
    """Put cash into the drawer or take it out (kind ``in``/``out``), with a reason."""
    _check_shift_actor(booth, shift, actor)
    if kind not in ("in", "out"):
        raise DomainError(_("Loại phải là in (nộp vào) hoặc out (rút ra)."), field="kind")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise DomainError(_("Số tiền phải là số nguyên dương."), field="amount")
    reason = _require(reason, "reason", _("Cần ghi lý do."))
    _lock_booth(session, booth)
    session.refresh(shift)
    _check_open(shift)
    movement = CashMovement(shift_id=shift.id, kind=kind, amount=amount, reason=reason[:300],
                            by_id=actor.id)
    session.add(movement)
    session.flush()
    record_audit(session, action=f"cash_{kind}", actor=actor, booth=booth,
                 target_type="shift", target_id=shift.id, after={"amount": amount},
                 reason=reason[:500])
    append_event(session, booth=booth, type="cash_moved", shift_id=shift.id,
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
    _lock_booth(session, booth)
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
        note = _require(note, "note", _("Chênh lệch lớn: cần ghi chú giải thích."))
    now = utcnow()
    shift.status = "closed"
    shift.closed_at = now
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
    report = report | {"status": "closed", "closed_at": now.isoformat(),
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
    counts["shift_closed"] = counts.get("shift_closed", 0) + 1
    epoch = sync_state(session, booth).epoch
    first_seq = session.scalar(select(func.min(OutboxEvent.seq)).where(
        OutboxEvent.shift_id == shift.id, OutboxEvent.epoch == epoch))
    last_seq = next_event_seq(session, booth)
    append_event(session, booth=booth, type="shift_closed", shift_id=shift.id,
                 payload={"report": report, "closed_by": actor.username,
                          "manifest": {"epoch": epoch, "first_seq": first_seq or last_seq,
                                       "last_seq": last_seq, "count_by_type": counts}},
                 occurred_at=now)
    session.flush()
    return report


def _event_counts(session: Session, shift: Shift) -> dict[str, int]:
    rows = session.execute(select(OutboxEvent.type, func.count()).where(
        OutboxEvent.shift_id == shift.id).group_by(OutboxEvent.type))
    return {kind: count for kind, count in rows}


# --- reports --------------------------------------------------------------------------


def expected_cash_visible(shift: Shift, viewer: User | None) -> bool:
    """Cashiers count blind: until the shift is closed only a manager (or admin) sees
    the expected cash, in every format (JSON, text, ESC/POS, PDF, print)."""
    if shift.status != "open":
        return True
    return viewer is not None and viewer.role in APPROVER_ROLES


def shift_report(session: Session, *, shift: Shift) -> dict:
    """The X-report (open shift) or Z-report (closed): four aggregate queries, however
    many sales the shift holds. Refunds are positive rows of kind ``refund`` and are
    subtracted here; voided sales count only under ``voids``."""
    by_kind = session.execute(
        select(Sale.kind, Sale.status, func.count(), func.coalesce(func.sum(Sale.total), 0),
               func.coalesce(func.sum(case((Sale.discount_total > 0, 1), else_=0)), 0),
               func.coalesce(func.sum(Sale.discount_total), 0))
        .where(Sale.shift_id == shift.id).group_by(Sale.kind, Sale.status)).all()
    payments = session.execute(
        select(Sale.kind, Payment.method, func.sum(Payment.amount))
        .join(Sale, Payment.sale_id == Sale.id)
        .where(Sale.shift_id == shift.id, Sale.status == "completed")
        .group_by(Sale.kind, Payment.method)).all()
    lines = session.execute(
        select(Sale.kind, SaleLine.vat_rate, func.sum(SaleLine.amount))
        .join(Sale, SaleLine.sale_id == Sale.id)
        .where(Sale.shift_id == shift.id, Sale.status == "completed")
        .group_by(Sale.kind, SaleLine.vat_rate)).all()
    cash = dict(session.execute(
        select(CashMovement.kind, func.sum(CashMovement.amount))
        .where(CashMovement.shift_id == shift.id).group_by(CashMovement.kind)).all())

    sales = {"count": 0, "amount": 0}
    refunds = {"count": 0, "amount": 0}
    voids = {"count": 0, "amount": 0}
    discounts = {"count": 0, "amount": 0}
    for kind, status, count, total, discounted, discount in by_kind:
        if status == "voided":
            voids["count"] += count
            voids["amount"] += int(total)
        elif kind == "sale":
            sales = {"count": count, "amount": int(total)}
            discounts = {"count": int(discounted), "amount": int(discount)}
        else:
            refunds = {"count": count, "amount": int(total)}
    by_method = {method: 0 for method in PAYMENT_METHODS}
    cash_sales = cash_refunds = 0
    for kind, method, amount in payments:
        sign = 1 if kind == "sale" else -1
        by_method[method] += sign * int(amount)
        if method == "cash":
            if kind == "sale":
                cash_sales = int(amount)
            else:
                cash_refunds = int(amount)
    gross_by_rate: dict[int, int] = defaultdict(int)
    for kind, rate, amount in lines:
        gross_by_rate[rate] += int(amount) if kind == "sale" else -int(amount)
    vat_by_rate = {str(rate): {"gross": gross, "vat": vat_contained(gross, rate),
                               "net": gross - vat_contained(gross, rate)}
                   for rate, gross in sorted(gross_by_rate.items())}
    cash_in, cash_out = int(cash.get("in", 0)), int(cash.get("out", 0))
    expected = shift.opening_float + cash_sales + cash_in - cash_out - cash_refunds
    return {
        "shift_id": shift.id, "booth": shift.booth.code, "cashier": shift.cashier.username,
        "status": shift.status, "business_day": shift.business_day.isoformat(),
        "opened_at": shift.opened_at.isoformat(),
        "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
        "sales": sales, "refunds": refunds, "voids": voids, "discounts": discounts,
        "net_total": sales["amount"] - refunds["amount"],
        "totals_by_method": by_method, "vat_by_rate": vat_by_rate,
        "opening_float": shift.opening_float, "cash_in": cash_in, "cash_out": cash_out,
        "cash_sales": cash_sales, "cash_refunds": cash_refunds, "expected_cash": expected,
        "counted_cash": shift.counted_cash, "difference": shift.difference,
        "counted_denominations": shift.counted_denominations,
        "approved_by": shift.approved_by.username if shift.approved_by else None,
        "note": shift.note,
    }


# --- sales ----------------------------------------------------------------------------


def _find_product(session: Session, line: LineInput, index: int) -> tuple[Product, int | None,
                                                                          str]:
    """The product a line names, the price its barcode carries (if any), the code."""
    if line.barcode is not None:
        field = f"lines[{index}].barcode"
        try:
            scan = parse_scan(line.barcode)
        except BarcodeError as err:
            raise DomainError(err.message, field=field, code=err.code,
                              status=err.status) from None
        product = session.scalar(select(Product).join(Barcode).where(
            Barcode.code == scan.lookup_code))
        if product is None:
            raise DomainError(_("Không tìm thấy sản phẩm có mã vạch %(code)s.", code=scan.code),
                              field=field, code="unknown_barcode")
        return product, scan.embedded_price, scan.code
    product = (session.get(Product, line.product_id)
               if line.product_id is not None and 0 < line.product_id <= MAX_ID else None)
    if product is None:
        raise DomainError(_("Không có sản phẩm mã số %(id)s.", id=line.product_id),
                          field=f"lines[{index}].product_id", code="unknown_product")
    return product, None, ""


def _settle(total: int, payments: list[PaymentInput]) -> tuple[list[tuple], int]:
    """Check the payments against the total; return ``(method, amount, tendered,
    reference)`` rows adding up to the total exactly, and the change.

    Only cash may exceed what is due (the change); card and transfer never do.
    """
    for i, pay in enumerate(payments):
        if pay.method not in PAYMENT_METHODS:
            raise DomainError(_("Hình thức thanh toán không hợp lệ: %(m)s (cash, transfer, "
                                "card).", m=pay.method), field=f"payments[{i}].method",
                              code="unknown_method")
        if not 0 < pay.amount <= MAX_AMOUNT:
            raise DomainError(_("Số tiền thanh toán phải là số nguyên dương."),
                              field=f"payments[{i}].amount")
        if pay.tendered is not None:
            if pay.method != "cash":
                raise DomainError(_("Chỉ thanh toán tiền mặt mới có tiền khách đưa."),
                                  field=f"payments[{i}].tendered")
            if not pay.amount <= pay.tendered <= MAX_AMOUNT:
                raise DomainError(_("Tiền khách đưa không được ít hơn số tiền thanh toán."),
                                  field=f"payments[{i}].tendered")
    if sum(p.amount for p in payments) > MAX_AMOUNT or sum(
            p.tendered or 0 for p in payments) > MAX_AMOUNT:
        raise DomainError(_("Số tiền thanh toán quá lớn."), field="payments")
    non_cash = sum(p.amount for p in payments if p.method != "cash")
    if non_cash > total:
        raise DomainError(_("Thanh toán chuyển khoản/thẻ không được vượt quá tổng tiền."),
                          field="payments", code="overpaid")
    paid = sum(p.amount for p in payments)
    if paid < total:
        raise ShortPayment(_("Khách trả thiếu %(n)s đồng.",
                             n=f"{total - paid:,}".replace(",", ".")), field="payments")
    rows = [[p.method, p.amount, p.tendered if p.tendered is not None else
             (p.amount if p.method == "cash" else None), p.reference] for p in payments]
    over = paid - total
    for row in reversed(rows):  # the overpayment comes back out of the cash
        if over and row[0] == "cash":
            taken = min(over, row[1])
            row[1] -= taken
            over -= taken
    if any(row[1] == 0 for row in rows):
        raise DomainError(_("Thanh toán thừa: bỏ khoản tiền mặt không cần thiết."),
                          field="payments", code="overpaid")
    change = sum(row[2] - row[1] for row in rows if row[0] == "cash")
    return [tuple(row) for row in rows], change


def _replay(existing: Sale, request_hash: str, kind: str) -> Sale:
    if existing.request_hash != request_hash or existing.kind != kind:
        raise IdReused(_("Mã hóa đơn %(id)s đã được dùng cho một giao dịch khác.",
                         id=existing.id), field="id")
    return existing


def _insert_sale(session: Session, build) -> Sale | None:
    """Insert inside a savepoint; if another request inserted the same id first, return
    None so the caller answers with that one."""
    try:
        with session.begin_nested():
            return build()
    except IntegrityError:
        return None


def _insert_or_replay(session: Session, build, *, sale_id: str, request_hash: str,
                      kind: str) -> tuple[Sale, bool]:
    """Insert the new sale or refund; when a concurrent copy of the same request won the
    race, answer with the stored one instead: ``(sale, created)``."""
    sale = _insert_sale(session, build)
    if sale is not None:
        return sale, True
    existing = session.get(Sale, sale_id)
    if existing is None:
        raise Conflict(_("Không ghi được hóa đơn, vui lòng thử lại."), code="retry")
    return _replay(existing, request_hash, kind), False


def label_price_accepted(product: Product, price: int, *, tolerance_percent: int) -> bool:
    """Whether a price-embedded label may set the price without a manager: the product
    is sold by weight or at a variable price, and the label is within
    ``tolerance_percent`` of the catalogue price (never 0)."""
    return (product.variable_price and price > 0
            and abs(price - product.price) * 100 <= product.price * tolerance_percent)


def complete_sale(session: Session, *, booth: Booth, cashier: User, sale_id: str | None,
                  lines: list[LineInput], payments: list[PaymentInput],
                  discount: int | None = None, discount_percent: int | None = None,
                  approval: Approval | None = None, reason: str = "",
                  price_tolerance: int = DEFAULT_PRICE_TOLERANCE) -> tuple[Sale, bool]:
    """Record a sale in one flush: lines with snapshots, payments, stock moves, audit
    entries for price overrides and discounts, and the outbox event.

    Returns ``(sale, created)``; the same ``sale_id`` with the same body returns the
    stored sale with ``created=False`` and no second effect.
    """
    _check_staff(booth, cashier)
    sale_id = normalise_id(sale_id)
    if not lines:
        raise DomainError(_("Hóa đơn phải có ít nhất một dòng hàng."), field="lines")
    if len(lines) > MAX_LINES:
        raise DomainError(_("Hóa đơn có quá nhiều dòng."), field="lines")
    if len(payments) > MAX_PAYMENTS:
        raise DomainError(_("Có quá nhiều khoản thanh toán."), field="payments")
    for i, line in enumerate(lines):
        if not 1 <= line.qty <= MAX_QTY:
            raise DomainError(_("Số lượng phải từ 1 đến %(max)d.", max=MAX_QTY),
                              field=f"lines[{i}].qty")
    request_hash = _request_hash({
        "lines": [asdict(line) for line in lines], "payments": [asdict(p) for p in payments],
        "discount": discount, "discount_percent": discount_percent, "reason": reason})
    _lock_booth(session, booth)
    existing = session.get(Sale, sale_id)
    if existing is not None:
        return _replay(existing, request_hash, "sale"), False
    shift = current_shift(session, booth=booth, cashier=cashier)
    if shift is None:
        raise NoOpenShift(_("Chưa mở ca: hãy mở ca trước khi bán."))

    built, adjustments = [], []
    for i, line in enumerate(lines):
        product, embedded_price, code = _find_product(session, line, i)
        # A label's price stands on its own only for a variable-price product and near
        # the catalogue price; otherwise it is a price change like any other.
        label_ok = embedded_price is not None and label_price_accepted(
            product, embedded_price, tolerance_percent=price_tolerance)
        base_price = embedded_price if label_ok else product.price
        unit_price = embedded_price if embedded_price is not None else base_price
        if line.unit_price is not None:
            if not 0 <= line.unit_price <= MAX_AMOUNT:
                raise DomainError(_("Đơn giá phải là số nguyên không âm."),
                                  field=f"lines[{i}].unit_price")
            unit_price = line.unit_price
        gross = line.qty * unit_price
        if line.discount is not None and line.discount_percent is not None:
            raise DomainError(_("Chỉ dùng một trong discount hoặc discount_percent."),
                              field=f"lines[{i}].discount")
        line_discount = 0
        if line.discount is not None:
            line_discount = line.discount
        elif line.discount_percent is not None:
            if not 0 <= line.discount_percent <= 100:
                raise DomainError(_("Phần trăm giảm giá phải từ 0 đến 100."),
                                  field=f"lines[{i}].discount_percent")
            line_discount = _percent_of(gross, line.discount_percent)
        if not 0 <= line_discount <= gross:
            raise DomainError(_("Giảm giá không được âm hay lớn hơn tiền hàng."),
                              field=f"lines[{i}].discount", code="discount_too_large")
        if unit_price != base_price or line_discount:
            adjustments.append({"line": i, "product_id": product.id,
                                "before": {"unit_price": base_price, "discount": 0},
                                "after": {"unit_price": unit_price, "discount": line_discount}})
        built.append({"product": product, "barcode": code, "qty": line.qty,
                      "unit_price": unit_price, "catalog_price": product.price,
                      "discount": line_discount, "vat_rate": product.vat_rate})

    subtotal = sum(b["qty"] * b["unit_price"] - b["discount"] for b in built)
    if sum(b["qty"] * b["unit_price"] for b in built) > MAX_AMOUNT:
        raise DomainError(_("Tổng tiền hóa đơn quá lớn."), field="lines", code="too_large")
    if discount is not None and discount_percent is not None:
        raise DomainError(_("Chỉ dùng một trong discount hoặc discount_percent."),
                          field="discount")
    sale_discount = 0
    if discount_percent is not None:
        if not 0 <= discount_percent <= 100:
            raise DomainError(_("Phần trăm giảm giá phải từ 0 đến 100."),
                              field="discount_percent")
        sale_discount = _percent_of(subtotal, discount_percent)
    elif discount is not None:
        sale_discount = discount
    if not 0 <= sale_discount <= subtotal:
        raise DomainError(_("Giảm giá không được âm hay lớn hơn tiền hàng."), field="discount",
                          code="discount_too_large")
    shares = _allocate(sale_discount, [b["qty"] * b["unit_price"] - b["discount"]
                                       for b in built])
    for b, share in zip(built, shares, strict=True):
        b["discount"] += share
        b["amount"] = b["qty"] * b["unit_price"] - b["discount"]
    total = subtotal - sale_discount

    approver = None
    if adjustments or sale_discount:
        approver = resolve_approver(session, booth=booth, actor=cashier, approval=approval)
        if approver is None:
            raise NeedsManager(_("Đổi giá hoặc giảm giá cần quản lý duyệt."),
                               field="approved_by")
    elif approval is not None:
        resolve_approver(session, booth=booth, actor=cashier, approval=approval)
    settled, change = _settle(total, payments)

    def build() -> Sale:
        seq, number = _next_sale_number(session, booth)
        sale = Sale(id=sale_id, booth_id=booth.id, seq=seq, number=number, shift_id=shift.id,
                    cashier_id=cashier.id, created_at=utcnow(), status="completed",
                    kind="sale", total=total,
                    discount_total=sum(b["discount"] for b in built), change=change,
                    approved_by_id=approver.id if approver else None,
                    reason=(reason or "")[:500], request_hash=request_hash)
        sale.lines = [SaleLine(position=i, product_id=b["product"].id, barcode=b["barcode"],
                               name=b["product"].name, qty=b["qty"], unit_price=b["unit_price"],
                               catalog_price=b["catalog_price"], discount=b["discount"],
                               amount=b["amount"], vat_rate=b["vat_rate"])
                      for i, b in enumerate(built)]
        sale.payments = [Payment(position=i, method=m, amount=a, tendered=t, reference=r)
                         for i, (m, a, t, r) in enumerate(settled)]
        session.add(sale)
        session.flush()
        for b in built:
            post_move(session, booth=booth, product=b["product"], qty=-b["qty"], kind="sale",
                      reference=number, by=cashier)
        for adjustment in adjustments:
            record_audit(session, action="sale_line_adjusted", actor=cashier, booth=booth,
                         approver=approver, target_type="sale", target_id=sale.id,
                         before=adjustment["before"] | {"product_id": adjustment["product_id"]},
                         after=adjustment["after"] | {"line": adjustment["line"]},
                         reason=sale.reason)
        if sale_discount:
            record_audit(session, action="sale_discount", actor=cashier, booth=booth,
                         approver=approver, target_type="sale", target_id=sale.id,
                         before={"subtotal": subtotal},
                         after={"discount": sale_discount, "total": total},
                         reason=sale.reason)
        append_event(session, booth=booth, type="sale_completed", shift_id=shift.id,
                     payload=sale_to_json(sale), occurred_at=sale.created_at)
        enqueue_receipt(session, sale=sale, by=cashier)  # printed only after the commit
        session.flush()
        return sale

    return _insert_or_replay(session, build, sale_id=sale_id, request_hash=request_hash,
                             kind="sale")


def get_sale(session: Session, *, booth: Booth, sale_id: str) -> Sale:
    """A sale or refund of this booth, or 404 ``sale_not_found``."""
    try:
        key = str(uuid.UUID(sale_id))
    except ValueError:
        key = None
    sale = session.get(Sale, key, options=[selectinload(Sale.lines),
                                           selectinload(Sale.payments)]) if key else None
    if sale is None or sale.booth_id != booth.id:
        raise NotFound(_("Không tìm thấy hóa đơn %(id)s.", id=sale_id), code="sale_not_found")
    return sale


def refund_sale(session: Session, *, booth: Booth, actor: User, original: Sale,
                refund_id: str | None, lines: list[tuple[int, int]], reason: str,
                method: str | None = None) -> tuple[Sale, bool]:
    """Give money back for returned goods: a ``refund`` sale linked to ``original``,
    stock back in. Never more than sold minus already refunded, per product. Paid back by
    ``method`` (cash or one the customer used), by default the original's only method,
    else cash. Needs a manager of this booth."""
    if not _is_manager_of(actor, booth):
        raise Forbidden(_("Chỉ quản lý mới được hoàn tiền."))
    refund_id = normalise_id(refund_id)
    reason = _require(reason, "reason", _("Cần ghi lý do hoàn tiền."))
    if not lines:
        raise DomainError(_("Cần ít nhất một dòng hàng để hoàn."), field="lines")
    wanted: dict[int, int] = defaultdict(int)
    for i, (product_id, qty) in enumerate(lines):
        if not 1 <= qty <= MAX_QTY:
            raise DomainError(_("Số lượng phải từ 1 đến %(max)d.", max=MAX_QTY),
                              field=f"lines[{i}].qty")
        wanted[product_id] += qty
    request_hash = _request_hash({"refund_of": original.id, "lines": lines, "reason": reason,
                                  "method": method})
    _lock_booth(session, booth)
    existing = session.get(Sale, refund_id)
    if existing is not None:
        return _replay(existing, request_hash, "refund"), False
    if original.kind != "sale":
        raise Conflict(_("Không thể hoàn tiền một phiếu hoàn."), code="not_refundable")
    session.refresh(original)
    if original.status != "completed":
        raise Conflict(_("Hóa đơn đã bị hủy."), code="sale_voided")
    shift = current_shift(session, booth=booth, cashier=actor) or session.scalar(
        select(Shift).where(Shift.booth_id == booth.id, Shift.status == "open")
        .order_by(Shift.opened_at.desc()).limit(1))
    if shift is None:
        raise NoOpenShift(_("Quầy chưa mở ca: cần một ca đang mở để chi tiền hoàn."))
    methods = {p.method for p in original.payments}
    if method is None:
        method = methods.pop() if len(methods) == 1 else "cash"
    elif method not in PAYMENT_METHODS:
        raise DomainError(_("Hình thức thanh toán không hợp lệ: %(m)s (cash, transfer, "
                            "card).", m=method), field="method", code="unknown_method")
    elif method != "cash" and method not in methods:
        raise DomainError(_("Chỉ hoàn theo hình thức khách đã trả hoặc tiền mặt."),
                          field="method")

    sold: dict[int, dict] = {}
    for line in original.lines:
        entry = sold.setdefault(line.product_id, {"qty": 0, "amount": 0, "unit_price": 0,
                                                  "name": line.name,
                                                  "vat_rate": line.vat_rate})
        entry["qty"] += line.qty
        entry["amount"] += line.amount
        entry["unit_price"] = max(entry["unit_price"], line.unit_price)
    refunded = dict(session.execute(
        select(SaleLine.product_id, func.sum(SaleLine.qty)).join(Sale)
        .where(Sale.refund_of_id == original.id, Sale.status == "completed")
        .group_by(SaleLine.product_id)).all())
    built = []
    for i, (product_id, qty) in enumerate(wanted.items()):
        entry = sold.get(product_id)
        if entry is None:
            raise DomainError(_("Sản phẩm %(id)s không có trong hóa đơn.", id=product_id),
                              field=f"lines[{i}].product_id", code="not_in_sale")
        before = int(refunded.get(product_id, 0))
        if before + qty > entry["qty"]:
            raise DomainError(_("Chỉ còn hoàn được %(n)d.", n=entry["qty"] - before),
                              field=f"lines[{i}].qty", code="refund_exceeds_sold")
        # Cumulative shares, so refunding everything returns exactly what was paid.
        amount = (entry["amount"] * (before + qty) // entry["qty"]
                  - entry["amount"] * before // entry["qty"])
        built.append({"product_id": product_id, "qty": qty, "amount": amount,
                      "unit_price": entry["unit_price"], "name": entry["name"],
                      "vat_rate": entry["vat_rate"],
                      "discount": qty * entry["unit_price"] - amount})
    total = sum(b["amount"] for b in built)

    def build() -> Sale:
        seq, number = _next_sale_number(session, booth)
        refund = Sale(id=refund_id, booth_id=booth.id, seq=seq, number=number,
                      shift_id=shift.id, cashier_id=actor.id, created_at=utcnow(),
                      status="completed", kind="refund", refund_of_id=original.id,
                      total=total, discount_total=sum(b["discount"] for b in built),
                      change=0, approved_by_id=actor.id, reason=reason[:500],
                      request_hash=request_hash)
        refund.lines = [SaleLine(position=i, product_id=b["product_id"], name=b["name"],
                                 qty=b["qty"], unit_price=b["unit_price"],
                                 catalog_price=b["unit_price"], discount=b["discount"],
                                 amount=b["amount"], vat_rate=b["vat_rate"])
                        for i, b in enumerate(built)]
        refund.payments = ([Payment(position=0, method=method, amount=total)]
                           if total else [])
        session.add(refund)
        session.flush()
        for b in built:
            post_move(session, booth=booth, product=session.get(Product, b["product_id"]),
                      qty=b["qty"], kind="refund", reference=number, by=actor)
        record_audit(session, action="sale_refund", actor=actor, booth=booth, approver=actor,
                     target_type="sale", target_id=original.id,
                     before={"number": original.number, "total": original.total},
                     after={"refund": number, "amount": total, "method": method},
                     reason=refund.reason)
        append_event(session, booth=booth, type="sale_refunded", shift_id=shift.id,
                     payload=sale_to_json(refund), occurred_at=refund.created_at)
        enqueue_receipt(session, sale=refund, by=actor)
        session.flush()
        return refund

    return _insert_or_replay(session, build, sale_id=refund_id, request_hash=request_hash,
                             kind="refund")


def void_sale(session: Session, *, booth: Booth, actor: User, sale: Sale, reason: str) -> Sale:
    """Cancel a sale while its shift is still open: stock goes back, the money leaves
    the shift's totals, the receipt stays (status ``voided``). Needs a manager."""
    if not _is_manager_of(actor, booth):
        raise Forbidden(_("Chỉ quản lý mới được hủy hóa đơn."))
    reason = _require(reason, "reason", _("Cần ghi lý do hủy."))
    _lock_booth(session, booth)
    session.refresh(sale)
    session.refresh(sale.shift)
    if sale.kind != "sale":
        raise Conflict(_("Không thể hủy phiếu hoàn."), code="not_voidable")
    if sale.status == "voided":
        raise Conflict(_("Hóa đơn đã bị hủy trước đó."), code="already_voided")
    if sale.shift.status != "open":
        raise Conflict(_("Chỉ hủy được hóa đơn khi ca bán còn mở; hãy làm phiếu hoàn."),
                       code="shift_closed")
    if session.scalar(select(Sale.id).where(Sale.refund_of_id == sale.id,
                                            Sale.status == "completed").limit(1)):
        raise Conflict(_("Hóa đơn đã có phiếu hoàn, không hủy được."), code="has_refunds")
    now = utcnow()
    sale.status = "voided"
    sale.void_reason = reason[:500]
    sale.voided_by_id = actor.id
    sale.voided_at = now
    session.flush()
    for line in sale.lines:
        post_move(session, booth=booth, product=session.get(Product, line.product_id),
                  qty=line.qty, kind="refund", reference=sale.number, note="Hủy hóa đơn",
                  by=actor)
    record_audit(session, action="sale_void", actor=actor, booth=booth, approver=actor,
                 target_type="sale", target_id=sale.id,
                 before={"status": "completed", "total": sale.total},
                 after={"status": "voided"}, reason=sale.void_reason, at=now)
    append_event(session, booth=booth, type="sale_voided", shift_id=sale.shift_id,
                 payload={"id": sale.id, "number": sale.number, "reason": sale.void_reason,
                          "by": actor.username, "at": now.isoformat(), "total": sale.total},
                 occurred_at=now)
    session.flush()
    return sale


# --- JSON -----------------------------------------------------------------------------


def sale_to_json(sale: Sale) -> dict:
    """The contract's sale shape, plus kind, refund link, cashier and void details."""
    return {
        "id": sale.id, "number": sale.number, "seq": sale.seq, "booth": sale.booth.code,
        "shift_id": sale.shift_id, "cashier": sale.cashier.username,
        "created_at": sale.created_at.isoformat(), "status": sale.status, "kind": sale.kind,
        "refund_of": sale.refund_of_id, "total": sale.total,
        "discount_total": sale.discount_total, "change": sale.change,
        "approved_by": sale.approved_by.username if sale.approved_by else None,
        "reason": sale.reason,
        "lines": [{"product_id": line.product_id, "name": line.name, "qty": line.qty,
                   "unit_price": line.unit_price, "catalog_price": line.catalog_price,
                   "discount": line.discount, "amount": line.amount,
                   "vat_rate": line.vat_rate, "barcode": line.barcode or None}
                  for line in sale.lines],
        "payments": [{"method": p.method, "amount": p.amount, "tendered": p.tendered,
                      "reference": p.reference} for p in sale.payments],
        "void": None if sale.status != "voided" else {
            "reason": sale.void_reason,
            "by": sale.voided_by.username if sale.voided_by else None,
            "at": sale.voided_at.isoformat() if sale.voided_at else None},
    }


def shift_to_json(shift: Shift) -> dict:
    """A shift as the API shows it (the figures come from ``shift_report``)."""
    return {
        "id": shift.id, "booth": shift.booth.code if shift.booth else None,
        "cashier": shift.cashier.username, "status": shift.status,
        "opened_at": shift.opened_at.isoformat(),
        "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
        "business_day": shift.business_day.isoformat(), "opening_float": shift.opening_float,
        "counted_cash": shift.counted_cash, "expected_cash": shift.expected_cash,
        "difference": shift.difference, "note": shift.note,
    }
