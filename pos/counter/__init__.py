"""Selling at the till: shifts, cash, sales, refunds, voids and the X/Z reports.

One module per concern: ``pricing`` and ``payments`` (pure functions, no database),
``approvals`` (a manager's sign-off), ``shifts``, ``reports``, ``sales`` (the write path
of a sale), ``refunds`` (refunds and voids), ``writelock`` (when the booth's write lock
is taken) and ``common`` (limits, errors, inputs). Functions take the session first and
flush, never commit; the view commits. A sale is the exception that ends its read-only
start itself: ``take_write_lock`` rolls that back (it wrote nothing) and begins writing,
which expires the ORM objects the caller holds. Receipt numbers, outbox seqs and audit seqs are
``max + 1`` under the booth's write lock, without gaps or races.

Everything is re-exported here: ``from pos.counter import X`` is the way in. The till's
clock is ``pos.counter.utcnow`` (tests set it there).
"""

from __future__ import annotations

from core.types import utcnow
from pos.counter.approvals import approval_place, resolve_approver
from pos.counter.common import (
    APPROVAL_LOCKOUT,
    APPROVAL_MAX_FAILURES,
    APPROVER_ROLES,
    BUSINESS_TZ,
    DEFAULT_CASH_DIFF_THRESHOLD,
    DEFAULT_PRICE_TOLERANCE,
    MAX_AMOUNT,
    MAX_ID,
    MAX_LINES,
    MAX_PAYMENTS,
    MAX_QTY,
    Approval,
    BadApproval,
    IdReused,
    LineInput,
    NeedsManager,
    NoOpenShift,
    PaymentInput,
    ShortPayment,
    check_staff,
    is_manager_of,
    normalise_id,
)
from pos.counter.payments import PaymentRow, Settlement, settle
from pos.counter.pricing import (
    PricedLine,
    PricedSale,
    ProductSnapshot,
    allocate,
    label_price_accepted,
    percent_of,
    price_sale,
)
from pos.counter.refunds import refund_sale, void_sale
from pos.counter.reports import expected_cash_visible, shift_report
from pos.counter.sales import complete_sale, get_sale, sale_to_json
from pos.counter.shifts import (
    close_shift,
    current_shift,
    get_shift,
    get_visible_shift,
    move_cash,
    open_shift,
    shift_to_json,
)

__all__ = [
    "APPROVAL_LOCKOUT", "APPROVAL_MAX_FAILURES", "APPROVER_ROLES", "BUSINESS_TZ",
    "DEFAULT_CASH_DIFF_THRESHOLD", "DEFAULT_PRICE_TOLERANCE", "MAX_AMOUNT", "MAX_ID",
    "MAX_LINES", "MAX_PAYMENTS", "MAX_QTY", "Approval", "BadApproval", "IdReused",
    "LineInput", "NeedsManager", "NoOpenShift", "PaymentInput", "PaymentRow", "PricedLine",
    "PricedSale", "ProductSnapshot", "Settlement", "ShortPayment", "allocate",
    "approval_place", "check_staff", "close_shift", "complete_sale", "current_shift",
    "expected_cash_visible", "get_sale", "get_shift", "get_visible_shift", "is_manager_of",
    "label_price_accepted", "move_cash", "normalise_id", "open_shift", "percent_of",
    "price_sale", "refund_sale", "resolve_approver", "sale_to_json", "settle",
    "shift_report", "shift_to_json", "utcnow", "void_sale",
]
