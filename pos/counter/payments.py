"""Settling a sale: a pure function from the total and the payments to the rows kept
and the change, so it is tested without a database."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from core.enums import PaymentMethod
from core.errors import DomainError
from pos.counter.common import MAX_AMOUNT, PaymentInput, ShortPayment
from pos.counter_models import PAYMENT_METHODS


@dataclass(frozen=True)
class PaymentRow:
    method: str
    amount: int
    tendered: int | None
    reference: str


@dataclass(frozen=True)
class Settlement:
    rows: tuple[PaymentRow, ...]
    change: int


def _check_payment(i: int, pay: PaymentInput) -> None:
    if pay.method not in PAYMENT_METHODS:
        raise DomainError(_("Hình thức thanh toán không hợp lệ: %(m)s (cash, transfer, "
                            "card).", m=pay.method), field=f"payments[{i}].method",
                          code="unknown_method")
    if not 0 < pay.amount <= MAX_AMOUNT:
        raise DomainError(_("Số tiền thanh toán phải là số nguyên dương."),
                          field=f"payments[{i}].amount")
    if pay.tendered is not None:
        if pay.method != PaymentMethod.CASH:
            raise DomainError(_("Chỉ thanh toán tiền mặt mới có tiền khách đưa."),
                              field=f"payments[{i}].tendered")
        if not pay.amount <= pay.tendered <= MAX_AMOUNT:
            raise DomainError(_("Tiền khách đưa không được ít hơn số tiền thanh toán."),
                              field=f"payments[{i}].tendered")


def settle(total: int, payments: list[PaymentInput]) -> Settlement:
    """Check the payments against the total; return rows adding up to the total
    exactly, and the change.

    Only cash may exceed what is due (the change); card and transfer never do. The
    overpayment comes back out of the last cash payments.
    """
    for i, pay in enumerate(payments):
        _check_payment(i, pay)
    if sum(p.amount for p in payments) > MAX_AMOUNT or sum(
            p.tendered or 0 for p in payments) > MAX_AMOUNT:
        raise DomainError(_("Số tiền thanh toán quá lớn."), field="payments")
    non_cash = sum(p.amount for p in payments if p.method != PaymentMethod.CASH)
    if non_cash > total:
        raise DomainError(_("Thanh toán chuyển khoản/thẻ không được vượt quá tổng tiền."),
                          field="payments", code="overpaid")
    paid = sum(p.amount for p in payments)
    if paid < total:
        raise ShortPayment(_("Khách trả thiếu %(n)s đồng.",
                             n=f"{total - paid:,}".replace(",", ".")), field="payments")
    rows = [[p.method, p.amount, p.tendered if p.tendered is not None else
             (p.amount if p.method == PaymentMethod.CASH else None), p.reference]
            for p in payments]
    over = paid - total
    for row in reversed(rows):
        if over and row[0] == PaymentMethod.CASH:
            taken = min(over, row[1])
            row[1] -= taken
            over -= taken
    if any(row[1] == 0 for row in rows):
        raise DomainError(_("Thanh toán thừa: bỏ khoản tiền mặt không cần thiết."),
                          field="payments", code="overpaid")
    change = sum(row[2] - row[1] for row in rows if row[0] == PaymentMethod.CASH)
    return Settlement(rows=tuple(PaymentRow(str(m), a, t, r) for m, a, t, r in rows),
                      change=change)
