"""The booth's receipts as pages show them: the day's list, one receipt with what is
left to refund, and a reprint.

Plain functions on top of ``pos.counter``: session first, they flush, never commit. A
cashier sees only the sales of their own shifts; managers (and admins) see the booth's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from math import ceil

from flask_babel import gettext as _
from sqlalchemy import case, func, select, tuple_
from sqlalchemy.orm import Session, selectinload

from core.enums import SaleKind, SaleStatus, ShiftStatus
from core.errors import NotFound
from core.models import Booth, User
from core.types import utcnow
from pos import counter
from pos.counter_models import PAYMENT_METHODS, Payment, Sale, SaleLine, Shift
from receipts import queue

PER_PAGE = 50


@dataclass(frozen=True)
class SalePage:
    """One page of the list, with what the pager needs; ``next_after`` is the keyset
    cursor of the following page (the last sale shown), None on the last page."""

    sales: list[Sale]
    page: int
    pages: int
    count: int
    next_after: str | None = None


@dataclass(frozen=True)
class SaleDetail:
    """A receipt and what the page shows around it."""

    sale: Sale
    refunds: list[Sale]
    # product_id → units sold, refunded so far, still refundable (sales only)
    sold: dict[int, int] = field(default_factory=dict)
    refunded: dict[int, int] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)
    can_refund: bool = False
    can_void: bool = False


def today() -> date:
    """Today's business day in Asia/Ho_Chi_Minh."""
    return utcnow().astimezone(counter.BUSINESS_TZ).date()


def _sees_all(viewer: User, booth: Booth) -> bool:
    return counter.is_manager_of(viewer, booth)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def of_business_day(booth: Booth, day: date) -> list:
    """The filter (over ``sale`` joined to its ``shift``) for one business day of a
    booth: read from the day's few shifts through ``shift (business_day, booth_id)``,
    then ``sale (shift_id)``. The "+ 0" keeps SQLite off ix_sale_booth_created, which
    would walk the booth's whole history; so a day costs the same after a hundred
    thousand sales as after a thousand."""
    return [Shift.business_day == day, Shift.booth_id == booth.id,
            Sale.booth_id + 0 == booth.id]


def _visible(booth: Booth, viewer: User) -> list:
    """What a viewer may see of the booth's shifts: a cashier only their own."""
    return [] if _sees_all(viewer, booth) else [Shift.cashier_id == viewer.id]


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


def day_totals(session: Session, *, booth: Booth, day: date, viewer: User) -> DayTotals:
    """Totals of one business day (the shift's day) as the viewer may see them (a
    cashier's own shifts): two aggregate queries however many sales the day holds."""
    where = [*of_business_day(booth, day), *_visible(booth, viewer)]
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


def sales_of_day(session: Session, *, booth: Booth, viewer: User, day: date) -> list[Sale]:
    """Every sale and refund of a business day the viewer may see, oldest first, with
    their payments and cashiers (the day's export)."""
    return list(session.scalars(
        select(Sale).join(Shift, Sale.shift_id == Shift.id)
        .where(*of_business_day(booth, day), *_visible(booth, viewer))
        .options(selectinload(Sale.payments), selectinload(Sale.cashier))
        .order_by(Sale.created_at, Sale.seq)))


SHIFTS_PER_PAGE = 30


@dataclass
class ShiftPage:
    shifts: list[Shift]
    page: int
    pages: int
    count: int


def list_shifts(session: Session, *, booth: Booth, viewer: User, page: int = 1,
                per_page: int = SHIFTS_PER_PAGE) -> ShiftPage:
    """The booth's shifts the viewer may see, newest first, a page at a time."""
    where = [Shift.booth_id == booth.id, *_visible(booth, viewer)]
    count = session.scalar(select(func.count()).select_from(Shift).where(*where)) or 0
    pages = max(1, ceil(count / per_page))
    page = min(max(1, page), pages)
    shifts = list(session.scalars(
        select(Shift).where(*where).options(selectinload(Shift.cashier))
        .order_by(Shift.opened_at.desc(), Shift.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    return ShiftPage(shifts=shifts, page=page, pages=pages, count=count)


def list_sales(session: Session, *, booth: Booth, viewer: User, day: date | None,
               query: str = "", page: int = 1, per_page: int = PER_PAGE,
               after: str | None = None) -> SalePage:
    """The booth's sales and refunds, newest first: of one business day (the shift's,
    ``None`` for every day), optionally those whose number contains ``query``. A cashier
    gets only the sales of their own shifts.

    A day is read from its shifts (``of_business_day``); the count is SQL's. ``after``
    (a sale's id, the previous page's ``next_after``) continues the list by keyset,
    below that sale, instead of by page number."""
    where = []
    if day is not None:
        where += of_business_day(booth, day)
    else:
        where.append(Sale.booth_id == booth.id)
    where += _visible(booth, viewer)
    query = (query or "").strip()
    if query:
        where.append(Sale.number.ilike(f"%{_escape_like(query)}%", escape="\\"))
    count = session.scalar(select(func.count()).select_from(Sale)
                           .join(Shift, Sale.shift_id == Shift.id).where(*where)) or 0
    pages = max(1, ceil(count / per_page))
    rows = (select(Sale).join(Shift, Sale.shift_id == Shift.id).where(*where)
            .options(selectinload(Sale.payments), selectinload(Sale.cashier))
            .order_by(Sale.created_at.desc(), Sale.seq.desc()))
    cursor = session.execute(select(Sale.created_at, Sale.seq).where(
        Sale.id == after, Sale.booth_id == booth.id)).one_or_none() if after else None
    if cursor is not None:
        below = tuple_(Sale.created_at, Sale.seq) < tuple_(*cursor)
        newer = session.scalar(select(func.count()).select_from(Sale)
                               .join(Shift, Sale.shift_id == Shift.id)
                               .where(*where, ~below)) or 0
        page = newer // per_page + 1
        sales = list(session.scalars(rows.where(below).limit(per_page + 1)))
    else:
        page = min(max(1, page), pages)
        sales = list(session.scalars(rows.limit(per_page + 1)
                                     .offset((page - 1) * per_page)))
    more = len(sales) > per_page
    sales = sales[:per_page]
    return SalePage(sales=sales, page=page, pages=pages, count=count,
                    next_after=sales[-1].id if more and sales else None)


def get_visible_sale(session: Session, *, booth: Booth, viewer: User, sale_id: str) -> Sale:
    """A sale of this booth the viewer may see, else 404 (a cashier's view of another
    shift's receipt answers as if it did not exist)."""
    sale = counter.get_sale(session, booth=booth, sale_id=sale_id)
    if not _sees_all(viewer, booth) and sale.shift.cashier_id != viewer.id:
        raise NotFound(_("Không tìm thấy hóa đơn %(id)s.", id=sale_id), code="sale_not_found")
    return sale


def sale_detail(session: Session, *, booth: Booth, viewer: User, sale_id: str) -> SaleDetail:
    """One receipt with its refunds, what is left refundable per product, and whether
    the viewer may refund or void it now."""
    sale = get_visible_sale(session, booth=booth, viewer=viewer, sale_id=sale_id)
    if sale.kind != "sale":
        return SaleDetail(sale=sale, refunds=[])
    refunds = list(session.scalars(
        select(Sale).where(Sale.refund_of_id == sale.id)
        .options(selectinload(Sale.lines), selectinload(Sale.payments))
        .order_by(Sale.created_at, Sale.seq)))
    sold: dict[int, int] = defaultdict(int)
    for line in sale.lines:
        sold[line.product_id] += line.qty
    refunded = {product_id: int(qty) for product_id, qty in session.execute(
        select(SaleLine.product_id, func.sum(SaleLine.qty)).join(Sale)
        .where(Sale.refund_of_id == sale.id, Sale.status == SaleStatus.COMPLETED)
        .group_by(SaleLine.product_id))}
    completed = sale.status == SaleStatus.COMPLETED
    left = {pid: qty - refunded.get(pid, 0) if completed else 0 for pid, qty in sold.items()}
    manager = _sees_all(viewer, booth)
    return SaleDetail(
        sale=sale, refunds=refunds, sold=dict(sold), refunded=refunded, left=left,
        can_refund=manager and completed and any(v > 0 for v in left.values()),
        can_void=(manager and completed and sale.shift.status == ShiftStatus.OPEN
                  and not any(r.status == SaleStatus.COMPLETED for r in refunds)))


def reprint_sale(session: Session, *, booth: Booth, actor: User, sale_id: str,
                 reason: str = "") -> Sale:
    """Queue another copy of a receipt the actor may see; always audited as a reprint."""
    sale = get_visible_sale(session, booth=booth, viewer=actor, sale_id=sale_id)
    queue.enqueue_receipt(session, sale=sale, by=actor, reprint=True,
                          reason=(reason or "").strip()[:300])
    return sale
