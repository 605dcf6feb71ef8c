"""The X-report (an open shift) and the Z-report (a closed one), from aggregates."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.enums import CashKind, PaymentMethod, SaleKind, SaleStatus, ShiftStatus
from core.models import User
from core.money import vat_contained
from pos.counter.common import APPROVER_ROLES
from pos.counter_models import PAYMENT_METHODS, CashMovement, Payment, Sale, SaleLine, Shift


def expected_cash_visible(shift: Shift, viewer: User | None) -> bool:
    """Cashiers count blind: until the shift is closed only a manager (or admin) sees
    the expected cash, in every format (JSON, text, ESC/POS, PDF, print)."""
    if shift.status != ShiftStatus.OPEN:
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
        .where(Sale.shift_id == shift.id, Sale.status == SaleStatus.COMPLETED)
        .group_by(Sale.kind, Payment.method)).all()
    lines = session.execute(
        select(Sale.kind, SaleLine.vat_rate, func.sum(SaleLine.amount))
        .join(Sale, SaleLine.sale_id == Sale.id)
        .where(Sale.shift_id == shift.id, Sale.status == SaleStatus.COMPLETED)
        .group_by(Sale.kind, SaleLine.vat_rate)).all()
    cash = dict(session.execute(
        select(CashMovement.kind, func.sum(CashMovement.amount))
        .where(CashMovement.shift_id == shift.id).group_by(CashMovement.kind)).all())

    sales = {"count": 0, "amount": 0}
    refunds = {"count": 0, "amount": 0}
    voids = {"count": 0, "amount": 0}
    discounts = {"count": 0, "amount": 0}
    for kind, status, count, total, discounted, discount in by_kind:
        if status == SaleStatus.VOIDED:
            voids["count"] += count
            voids["amount"] += int(total)
        elif kind == SaleKind.SALE:
            sales = {"count": count, "amount": int(total)}
            discounts = {"count": int(discounted), "amount": int(discount)}
        else:
            refunds = {"count": count, "amount": int(total)}
    by_method = {method: 0 for method in PAYMENT_METHODS}
    cash_sales = cash_refunds = 0
    for kind, method, amount in payments:
        sign = 1 if kind == SaleKind.SALE else -1
        by_method[method] += sign * int(amount)
        if method == PaymentMethod.CASH:
            if kind == SaleKind.SALE:
                cash_sales = int(amount)
            else:
                cash_refunds = int(amount)
    gross_by_rate: dict[int, int] = defaultdict(int)
    for kind, rate, amount in lines:
        gross_by_rate[rate] += int(amount) if kind == SaleKind.SALE else -int(amount)
    vat_by_rate = {str(rate): {"gross": gross, "vat": vat_contained(gross, rate),
                               "net": gross - vat_contained(gross, rate)}
                   for rate, gross in sorted(gross_by_rate.items())}
    cash_in = int(cash.get(CashKind.IN, 0))
    cash_out = int(cash.get(CashKind.OUT, 0))
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
        # What a person reads (the report on screen): names, not usernames.
        "cashier_name": shift.cashier.display_name,
        "approved_by_name": shift.approved_by.display_name if shift.approved_by else None,
        "note": shift.note,
    }
