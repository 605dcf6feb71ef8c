"""Does every booth's day add up? Each shift's Z-report as the booth sent it (its
manifest) against the figures central recomputes from the sale rows it holds.

A shift is ``reconciled`` when central holds every event its manifest counts and its own
totals equal the report to the đồng; ``incomplete`` while events (or the closing itself)
are still missing; ``mismatch`` when everything arrived and the figures still differ, or
an event of the shift waits for review (docs/sync-research.md §2.3, R7).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from central.models import ShiftReport
from core.enums import PaymentMethod, SaleKind, SaleStatus
from core.errors import DomainError, NotFound
from core.models import Booth, User, Venue
from core.money import format_vnd
from core.types import utcnow
from inventory.models import Product, StockMove, Transfer, TransferLine
from pos.counter import BUSINESS_TZ
from pos.counter_models import PAYMENT_METHODS, CashMovement, Payment, Sale, Shift
from sync.models import BoothHealth, IngestedEvent

STATUS_ORDER = {"reconciled": 0, "incomplete": 1, "mismatch": 2}


def parse_day(text: str | None, *, field: str = "day") -> date:
    """A business day from ``YYYY-MM-DD``; never a day that has not begun in Vietnam."""
    if not text:
        raise DomainError(_("Cần chọn ngày (YYYY-MM-DD)."), field=field, code="required")
    try:
        day = date.fromisoformat(text[:10]) if len(text) <= 10 else None
    except ValueError:
        day = None
    if day is None:
        raise DomainError(_("Ngày không hợp lệ: %(d)s (cần dạng YYYY-MM-DD).", d=text[:20]),
                          field=field, code="bad_date")
    if day > utcnow().astimezone(BUSINESS_TZ).date():
        raise DomainError(_("Ngày %(d)s chưa tới.", d=day.strftime("%d/%m/%Y")), field=field,
                          code="future_date")
    return day


def _money(value) -> str:
    """An amount as the office reads it (125.000 ₫); whatever else a report holds, as is."""
    return format_vnd(value) if isinstance(value, int) and not isinstance(value, bool) \
        else str(value)


def _shift_status(report: ShiftReport | None, computed: dict, arrived: Counter,
                  review: int) -> tuple[str, list[str]]:
    """The status of one shift and the reasons a person reads."""
    if report is None:
        return "incomplete", [_("Chưa nhận báo cáo đóng ca.")]
    reasons = []
    expected = report.manifest.get("count_by_type") or {}
    for kind, count in sorted(expected.items()):
        if arrived.get(kind, 0) < count:
            reasons.append(_("Thiếu %(n)d sự kiện %(kind)s.", n=count - arrived.get(kind, 0),
                             kind=kind))
    if reasons:
        return "incomplete", reasons
    if review:
        reasons.append(_("%(n)d sự kiện của ca đang chờ xem lại.", n=review))
    reported = report.report
    if reported.get("net_total") != computed["net_total"]:
        reasons.append(_("Tổng bán báo cáo %(a)s ≠ tính lại %(b)s.",
                         a=_money(reported.get("net_total")), b=_money(computed["net_total"])))
    for method in PAYMENT_METHODS:
        a = (reported.get("totals_by_method") or {}).get(method, 0)
        b = computed["totals_by_method"].get(method, 0)
        if a != b:
            reasons.append(_("%(m)s: báo cáo %(a)s ≠ tính lại %(b)s.", m=method, a=_money(a),
                             b=_money(b)))
    if reported.get("expected_cash") != computed["expected_cash"]:
        reasons.append(_("Tiền mặt dự kiến báo cáo %(a)s ≠ tính lại %(b)s.",
                         a=_money(reported.get("expected_cash")),
                         b=_money(computed["expected_cash"])))
    return ("mismatch" if reasons else "reconciled"), reasons


def shift_figures(session: Session, shifts: list[Shift]) -> dict[str, dict]:
    """Central's own figures for many shifts at once (four grouped queries, however many
    shifts and sales): net takings, takings per method and expected cash — the same
    rules as the till's X/Z-report (``pos.counter.shift_report``): refunds subtract,
    voided sales count only as voids, change comes out of the cash."""
    ids = [s.id for s in shifts]
    figures = {s.id: {"net_total": 0, "totals_by_method": dict.fromkeys(PAYMENT_METHODS, 0),
                      "cash_sales": 0, "cash_refunds": 0, "cash_in": 0, "cash_out": 0,
                      "opening_float": s.opening_float} for s in shifts}
    if not ids:
        return figures
    for shift_id, kind, total in session.execute(
            select(Sale.shift_id, Sale.kind, func.sum(Sale.total))
            .where(Sale.shift_id.in_(ids), Sale.status == SaleStatus.COMPLETED)
            .group_by(Sale.shift_id, Sale.kind)):
        figures[shift_id]["net_total"] += int(total) if kind == SaleKind.SALE else -int(total)
    for shift_id, kind, method, amount in session.execute(
            select(Sale.shift_id, Sale.kind, Payment.method, func.sum(Payment.amount))
            .join(Sale, Payment.sale_id == Sale.id)
            .where(Sale.shift_id.in_(ids), Sale.status == SaleStatus.COMPLETED)
            .group_by(Sale.shift_id, Sale.kind, Payment.method)):
        f = figures[shift_id]
        f["totals_by_method"][method] += int(amount) if kind == SaleKind.SALE else -int(amount)
        if method == PaymentMethod.CASH:
            f["cash_sales" if kind == SaleKind.SALE else "cash_refunds"] += int(amount)
    for shift_id, kind, amount in session.execute(
            select(CashMovement.shift_id, CashMovement.kind, func.sum(CashMovement.amount))
            .where(CashMovement.shift_id.in_(ids))
            .group_by(CashMovement.shift_id, CashMovement.kind)):
        figures[shift_id]["cash_in" if kind == "in" else "cash_out"] += int(amount)
    for f in figures.values():
        f["expected_cash"] = (f["opening_float"] + f["cash_sales"] + f["cash_in"]
                              - f["cash_out"] - f["cash_refunds"])
    return figures


def reconcile_shifts(session: Session, shifts: list[Shift]) -> dict[str, dict]:
    """Each shift's status, reasons and figures, reported against computed."""
    ids = [s.id for s in shifts]
    figures = shift_figures(session, shifts)
    reports = {r.shift_id: r for r in session.scalars(
        select(ShiftReport).where(ShiftReport.shift_id.in_(ids)))} if ids else {}
    arrived: dict[str, Counter] = defaultdict(Counter)
    review: Counter = Counter()
    if ids:
        for shift_id, kind, status, n in session.execute(
                select(IngestedEvent.shift_id, IngestedEvent.type, IngestedEvent.status,
                       func.count()).where(IngestedEvent.shift_id.in_(ids))
                .group_by(IngestedEvent.shift_id, IngestedEvent.type, IngestedEvent.status)):
            arrived[shift_id][kind] += n
            if status == "needs_review":
                review[shift_id] += n
    usernames = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({s.cashier_id for s in shifts}))).all()) if shifts else {}
    result = {}
    for shift in shifts:
        computed = figures[shift.id]
        report = reports.get(shift.id)
        status, reasons = _shift_status(report, computed, arrived[shift.id], review[shift.id])
        reported = report.report if report else {}
        result[shift.id] = {
            "shift_id": shift.id, "cashier": usernames.get(shift.cashier_id, ""),
            "status": status, "reasons": reasons, "opened_at": shift.opened_at.isoformat(),
            "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
            "reported_total": reported.get("net_total"),
            "computed_total": computed["net_total"],
            "by_method": {m: {"reported": (reported.get("totals_by_method") or {}).get(m),
                              "computed": computed["totals_by_method"][m]}
                          for m in PAYMENT_METHODS},
            "cash_expected": computed["expected_cash"],
            "cash_counted": reported.get("counted_cash"),
            "cash_difference": reported.get("difference"), "note": reported.get("note") or "",
            "events": dict(arrived[shift.id]), "needs_review": review[shift.id],
            "manifest": report.manifest.get("count_by_type") if report else None,
        }
    return result


def shift_reconciliation(session: Session, shift: Shift) -> dict:
    return reconcile_shifts(session, [shift])[shift.id]


def _stock_differences(session: Session, booth_ids: list[int], day: date
                       ) -> dict[int, list[dict]]:
    """What each booth's stock did that day other than selling: transfers received short
    or over, stocktake counts, adjustments by reason — each with its value at the price."""
    start = datetime.combine(day, datetime.min.time(), BUSINESS_TZ)
    end = start + timedelta(days=1)
    rows: dict[int, list[dict]] = defaultdict(list)
    for booth_id, number, product_id, qty, received, price in session.execute(
            select(Transfer.booth_id, Transfer.number, TransferLine.product_id,
                   TransferLine.qty, TransferLine.received, Product.price)
            .join(TransferLine, TransferLine.transfer_id == Transfer.id)
            .join(Product, Product.id == TransferLine.product_id)
            .where(Transfer.booth_id.in_(booth_ids), Transfer.received_at >= start,
                   Transfer.received_at < end, TransferLine.received != TransferLine.qty)):
        rows[booth_id].append({"kind": "transfer", "reason": "", "reference": number,
                               "product_id": product_id, "qty": received - qty,
                               "value": (received - qty) * price})
    for booth_id, kind, reason, reference, product_id, qty, value in session.execute(
            select(StockMove.booth_id, StockMove.kind, StockMove.reason, StockMove.reference,
                   StockMove.product_id, func.sum(StockMove.qty),
                   func.sum(StockMove.qty * Product.price))
            .join(Product, Product.id == StockMove.product_id)
            .where(StockMove.booth_id.in_(booth_ids), StockMove.at >= start,
                   StockMove.at < end, StockMove.kind.in_(("adjust", "count", "expire")))
            .group_by(StockMove.booth_id, StockMove.kind, StockMove.reason,
                      StockMove.reference, StockMove.product_id)):
        rows[booth_id].append({"kind": kind, "reason": reason, "reference": reference,
                               "product_id": product_id, "qty": int(qty), "value": int(value)})
    return rows


def reconcile_day(session: Session, *, day: date, venue: str | None = None) -> dict:
    """The contract's reconciliation for one business day, booth by booth (only booths that
    had a shift that day; the silent ones are listed apart)."""
    query = (select(Booth).join(Venue).where(Booth.kind == "booth").order_by(Booth.code)
             .options(selectinload(Booth.venue)))
    if venue:
        if session.scalar(select(Venue.id).where(Venue.code == venue)) is None:
            raise NotFound(_("Không có điểm bán %(v)s.", v=venue), field="venue",
                           code="unknown_venue")
        query = query.where(Venue.code == venue)
    booths = session.scalars(query).all()
    shifts_by_booth: dict[int, list[Shift]] = defaultdict(list)
    day_shifts = session.scalars(select(Shift).where(
        Shift.business_day == day, Shift.booth_id.in_([b.id for b in booths]))
        .order_by(Shift.opened_at)).all()
    for shift in day_shifts:
        shifts_by_booth[shift.booth_id].append(shift)
    reconciled = reconcile_shifts(session, list(day_shifts))
    differences = _stock_differences(session, list(shifts_by_booth), day)
    health = {h.booth_id: h for h in session.scalars(select(BoothHealth))}
    result, silent = [], []
    for booth in booths:
        shifts = [reconciled[s.id] for s in shifts_by_booth.get(booth.id, [])]
        h = health.get(booth.id)
        last_sync = h.last_contact_at.isoformat() if h and h.last_contact_at else None
        if not shifts:
            silent.append({"booth": booth.code, "venue": booth.venue.code,
                           "last_sync_at": last_sync})
            continue
        reported = [s["reported_total"] for s in shifts]
        reported_total = sum(r for r in reported if r is not None)
        computed_total = sum(s["computed_total"] for s in shifts)
        counted = [s["cash_counted"] for s in shifts if s["cash_counted"] is not None]
        result.append({
            "booth": booth.code, "venue": booth.venue.code, "name": booth.name,
            "status": max((s["status"] for s in shifts), key=STATUS_ORDER.__getitem__),
            "reported_total": reported_total, "computed_total": computed_total,
            "difference": computed_total - reported_total,
            "by_method": {m: {k: sum(s["by_method"][m][k] or 0 for s in shifts)
                              for k in ("reported", "computed")} for m in PAYMENT_METHODS},
            "cash_expected": sum(s["cash_expected"] for s in shifts),
            "cash_counted": sum(counted) if counted else None,
            "stock_differences": differences.get(booth.id, []),
            "last_sync_at": last_sync, "shifts": shifts,
        })
    result.sort(key=lambda b: (-STATUS_ORDER[b["status"]], b["booth"]))
    answer = {"day": day.isoformat(), "venue": venue, "booths": result, "silent_booths": silent}
    if not result:
        answer["message"] = _("Chưa có ca bán hàng nào trong ngày %(d)s.",
                              d=day.strftime("%d/%m/%Y"))
    return answer
