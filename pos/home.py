"""The booth manager's home: what needs looking at today, on one screen.

Today's takings, the shifts still open, the stock that is low or sold below zero (the
till never blocks a sale, so negative stock is the manager's to sort out), and the
printer and sync state, each with a link to the page that deals with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, current_app, render_template
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from core.auth import allow
from core.enums import SaleKind, SaleStatus, ShiftStatus
from core.extensions import db
from core.models import Booth
from inventory import services as inventory_services
from pos.context import current_booth
from pos.counter_models import PAYMENT_METHODS, Payment, Sale, Shift
from pos.labels import METHOD_LABELS
from pos.sale_history import of_business_day, today

bp = Blueprint("home", __name__)

STOCK_ROWS = 10  # per list on the home page; the stock page has the rest


@dataclass
class DayTotals:
    """A business day's receipts at a booth: what the sales list and the home show."""

    sales: int = 0
    sales_amount: int = 0
    refunds: int = 0
    refunds_amount: int = 0
    voids: int = 0
    voids_amount: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    @property
    def net(self) -> int:
        """Takings: completed sales minus refunds (voided sales count for nothing)."""
        return self.sales_amount - self.refunds_amount


def day_totals(session: Session, *, booth: Booth, day: date,
               cashier_id: int | None = None) -> DayTotals:
    """Totals of one business day (the shift's day), optionally of one cashier's shifts:
    two aggregate queries however many sales the day holds."""
    where = of_business_day(booth, day)
    if cashier_id is not None:
        where.append(Shift.cashier_id == cashier_id)
    totals = DayTotals(by_method={method: 0 for method in PAYMENT_METHODS})
    for kind, status, count, amount in session.execute(
            select(Sale.kind, Sale.status, func.count(), func.coalesce(func.sum(Sale.total), 0))
            .join(Shift, Sale.shift_id == Shift.id).where(*where)
            .group_by(Sale.kind, Sale.status)):
        if status == SaleStatus.VOIDED:
            totals.voids += count
            totals.voids_amount += int(amount)
        elif kind == SaleKind.REFUND:
            totals.refunds, totals.refunds_amount = count, int(amount)
        else:
            totals.sales, totals.sales_amount = count, int(amount)
    signed = case((Sale.kind == SaleKind.REFUND, -Payment.amount), else_=Payment.amount)
    for method, amount in session.execute(
            select(Payment.method, func.sum(signed)).join(Sale, Payment.sale_id == Sale.id)
            .join(Shift, Sale.shift_id == Shift.id)
            .where(*where, Sale.status == SaleStatus.COMPLETED).group_by(Payment.method)):
        totals.by_method[method] = int(amount or 0)
    return totals


def open_shifts(session: Session, *, booth: Booth) -> list[Shift]:
    return list(session.scalars(
        select(Shift).where(Shift.booth_id == booth.id, Shift.status == ShiftStatus.OPEN)
        .options(selectinload(Shift.cashier)).order_by(Shift.opened_at)))


@bp.get("/home")
@allow("manager")
def booth_home():
    """The manager's start page after signing in."""
    from pos.booth_settings import print_settings_or_reason
    from receipts import queue
    from sync.status import sync_status

    booth = current_booth()
    day = today()
    settings, printer_error = print_settings_or_reason(db.session, booth, current_app.config)
    negative = inventory_services.list_stock(db.session, booth=booth, negative=True,
                                             sort="on_hand", descending=False,
                                             per_page=STOCK_ROWS)
    low = inventory_services.list_stock(db.session, booth=booth, low=True, not_negative=True,
                                        sort="on_hand", descending=False, per_page=STOCK_ROWS)
    return render_template(
        "pos/home.html", booth=booth, day=day, methods=METHOD_LABELS,
        totals=day_totals(db.session, booth=booth, day=day),
        shifts=open_shifts(db.session, booth=booth), negative=negative, low_rows=low.rows,
        printer=queue.printer_status(db.session, booth=booth, settings=settings),
        printer_error=printer_error,
        sync=sync_status(db.session, booth=booth,
                         configured=bool(current_app.config.get("OCOP_CENTRAL_URL"))))
