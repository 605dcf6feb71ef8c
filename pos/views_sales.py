"""“Hóa đơn”: the booth's receipts for managers and cashiers, and the manager's refund,
void and reprint buttons; the day's totals and export; past shifts and their Z-reports.
The JSON twins live under ``/api/v1/sales``."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from central.export import FORMATS as EXPORT_FORMATS
from central.export import Column, export_response
from core.auth import allow
from core.enums import SaleKind, SaleStatus
from core.errors import DomainError
from core.extensions import db
from core.money import format_vnd
from pos import counter, sale_history
from pos.context import current_booth
from pos.forms_sales import RefundForm, ReprintForm, VoidForm
from pos.labels import METHOD_LABELS
from receipts import queue

bp = Blueprint("sales", __name__)



def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise DomainError(_("Ngày phải có dạng YYYY-MM-DD."), field="day") from None


def _parse_page(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 7 else 1


def _back(id: str):
    return redirect(url_for("sales.show_sale", id=id), 303)


def _flash_errors(form) -> None:
    """A form that failed its shape checks: its messages, once each, as flashes."""
    seen = []
    for errors in form.errors.values():
        for entry in errors if isinstance(errors, list) else [errors]:
            for message in (entry.values() if isinstance(entry, dict) else [entry]):
                for text in message if isinstance(message, list) else [message]:
                    if isinstance(text, str) and text not in seen:
                        seen.append(text)
    for text in seen or [_("Yêu cầu không hợp lệ, vui lòng tải lại trang.")]:
        flash(text, "error")


@bp.get("/sales")
@allow("cashier", "manager")
def list_sales():
    """The day's sales and refunds, newest first; ``?day=`` and ``?q=`` (number)."""
    query = request.args.get("q", "").strip()[:50]
    day = _parse_day(request.args.get("day"))
    if day is None and not query:
        day = sale_history.today()  # a number search without a day looks at every day
    result = sale_history.list_sales(db.session, booth=current_booth(), viewer=current_user,
                                     day=day, query=query,
                                     page=_parse_page(request.args.get("page")),
                                     after=request.args.get("after", "")[:36] or None)
    totals = sale_history.day_totals(db.session, booth=current_booth(), day=day,
                                     viewer=current_user) if day else None
    return render_template("pos/sales.html", result=result, day=day, query=query,
                           booth=current_booth(), methods=METHOD_LABELS, totals=totals)


@bp.get("/sales/<id>")
@allow("cashier", "manager")
def show_sale(id: str):
    """One receipt: its image, lines, payments, refunds and the manager's actions."""
    detail = sale_history.sale_detail(db.session, booth=current_booth(), viewer=current_user,
                                      sale_id=id)
    refund_form = RefundForm(formdata=None, refund_id=str(uuid.uuid4()))
    if detail.can_refund:
        for line in detail.sale.lines:
            if detail.left.get(line.product_id, 0) > 0 and not any(
                    entry.product_id.data == str(line.product_id)
                    for entry in refund_form.lines):
                refund_form.lines.append_entry({"product_id": str(line.product_id),
                                                "qty": ""})
    return render_template("pos/sale.html", detail=detail, sale=detail.sale,
                           refund_form=refund_form, void_form=VoidForm(formdata=None),
                           reprint_form=ReprintForm(formdata=None), methods=METHOD_LABELS,
                           booth=current_booth())


@bp.post("/sales/<id>/refund")
@allow("manager")
def refund_sale_page(id: str):
    """Refund some units of a sale and print the refund receipt."""
    form = RefundForm()
    if not form.validate():
        _flash_errors(form)
        return _back(id)
    booth = current_booth()
    original = counter.get_sale(db.session, booth=booth, sale_id=id)
    refund, _created = counter.refund_sale(
        db.session, booth=booth, actor=current_user, original=original,
        refund_id=form.refund_id.data or None, lines=form.refund_lines(),
        reason=form.reason.data or "", method=form.refund_method())
    queue.commit_and_print(db.session)
    flash(_("Đã hoàn %(amount)s – phiếu hoàn %(number)s đang được in.",
            amount=format_vnd(refund.total), number=refund.number),
          "info")
    return redirect(url_for("sales.show_sale", id=refund.id), 303)


@bp.post("/sales/<id>/void")
@allow("manager")
def void_sale_page(id: str):
    """Cancel a sale while its shift is open; stock goes back."""
    form = VoidForm()
    if not form.validate():
        _flash_errors(form)
        return _back(id)
    booth = current_booth()
    sale = counter.void_sale(db.session, booth=booth, actor=current_user,
                             sale=counter.get_sale(db.session, booth=booth, sale_id=id),
                             reason=form.reason.data or "")
    db.session.commit()
    flash(_("Đã hủy hóa đơn %(number)s.", number=sale.number), "info")
    return _back(sale.id)


@bp.post("/sales/<id>/reprint")
@allow("cashier", "manager")
def reprint_page(id: str):
    """Queue another copy of the receipt (audited)."""
    form = ReprintForm()
    if not form.validate():
        _flash_errors(form)
        return _back(id)
    sale = sale_history.reprint_sale(db.session, booth=current_booth(), actor=current_user,
                                     sale_id=id, reason=form.reason.data or "")
    queue.commit_and_print(db.session)
    flash(_("Đã gửi lệnh in lại hóa đơn %(number)s.", number=sale.number), "info")
    return _back(sale.id)


EXPORT_COLUMNS = (
    Column("number", _l("Số hóa đơn")), Column("time", _l("Thời gian")),
    Column("cashier", _l("Thu ngân")), Column("kind", _l("Loại")),
    Column("status", _l("Trạng thái")), Column("total", _l("Tổng tiền"), "money"),
    *(Column(method, label, "money") for method, label in METHOD_LABELS.items()),
    Column("reason", _l("Lý do")))


@bp.get("/sales/export")
@allow("cashier", "manager")
def export_sales():
    """The day's receipts as CSV or XLSX (``?day=&format=csv|xlsx``), every row, with
    the day's totals at the foot; refunds count negative in the payment columns."""
    from flask_babel import format_datetime

    fmt = request.args.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise DomainError(_("Định dạng phải là csv hoặc xlsx."), field="format",
                          code="bad_format")
    day = _parse_day(request.args.get("day")) or sale_history.today()
    booth = current_booth()
    sales = sale_history.sales_of_day(db.session, booth=booth, viewer=current_user, day=day)
    rows = []
    for sale in sales:
        sign = -1 if sale.kind == SaleKind.REFUND else 1
        row = {"number": sale.number,
               "time": format_datetime(sale.created_at, "yyyy-MM-dd HH:mm:ss"),
               "cashier": sale.cashier.display_name,
               "kind": str(_("Hoàn") if sale.kind == SaleKind.REFUND else _("Bán")),
               "status": str(_("Đã hủy") if sale.status == SaleStatus.VOIDED
                             else _("Hoàn tất")),
               "total": sign * sale.total, "reason": sale.void_reason or sale.reason or ""}
        for method in METHOD_LABELS:
            row[method] = sign * sum(p.amount for p in sale.payments if p.method == method)
        rows.append(row)
    totals = sale_history.day_totals(db.session, booth=booth, day=day, viewer=current_user)
    rows.append({"number": str(_("Tổng ngày")), "total": totals.net,
                 "kind": str(_("%(n)d hóa đơn bán, %(r)d phiếu hoàn",
                               n=totals.sales, r=totals.refunds)),
                 **totals.by_method})
    columns = [Column(c.key, str(c.title), c.kind) for c in EXPORT_COLUMNS]
    return export_response(fmt, columns, rows, filename=f"hoa-don-{booth.code}-{day}",
                           title=str(_("Hóa đơn %(day)s", day=day.strftime("%d-%m-%Y"))))


@bp.get("/shifts")
@allow("cashier", "manager")
def shifts_page():
    """Past and open shifts, newest first, paged; a cashier sees their own."""
    booth = current_booth()
    result = sale_history.list_shifts(db.session, booth=booth, viewer=current_user,
                                      page=_parse_page(request.args.get("page")))
    return render_template("pos/shifts.html", shifts=result.shifts, page=result.page,
                           pages=result.pages, count=result.count, booth=booth)


@bp.get("/shifts/<id>")
@allow("cashier", "manager")
def shift_page(id: str):
    """One shift's Z-report (X-report while open) on screen, to print or open as PDF."""
    booth = current_booth()
    shift = counter.get_visible_shift(db.session, booth=booth, viewer=current_user, shift_id=id)
    report = counter.shift_report(db.session, shift=shift)
    doc = queue.zreport_document(shift, report, viewer=current_user)
    return render_template("pos/shift.html", shift=shift, report=report, doc=doc,
                           booth=booth, methods=METHOD_LABELS)


@bp.post("/shifts/<id>/print")
@allow("cashier", "manager")
def print_shift_page(id: str):
    """Queue the shift's report for the booth's printer."""
    booth = current_booth()
    shift = counter.get_visible_shift(db.session, booth=booth, viewer=current_user, shift_id=id)
    queue.enqueue_zreport(db.session, shift=shift, by=current_user)
    queue.commit_and_print(db.session)
    flash(_("Đã gửi báo cáo ca tới máy in."), "info")
    return redirect(url_for("sales.shift_page", id=shift.id), 303)
