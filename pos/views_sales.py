"""“Hóa đơn”: the booth's receipts for managers and cashiers, and the manager's refund,
void and reprint buttons. The JSON twins live under ``/api/v1/sales``."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pos import counter, sale_history
from pos.auth import allow
from pos.context import current_booth
from pos.errors import DomainError
from pos.extensions import db
from pos.forms_sales import RefundForm, ReprintForm, VoidForm
from pos.money import format_vnd
from receipts import queue

bp = Blueprint("sales", __name__)

METHOD_LABELS = {"cash": _l("Tiền mặt"), "transfer": _l("Chuyển khoản"), "card": _l("Thẻ")}


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
                                     page=_parse_page(request.args.get("page")))
    return render_template("pos/sales.html", result=result, day=day, query=query,
                           booth=current_booth(), methods=METHOD_LABELS)


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
    db.session.commit()
    queue.wake_print_worker(current_app)
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
    db.session.commit()
    queue.wake_print_worker(current_app)
    flash(_("Đã gửi lệnh in lại hóa đơn %(number)s.", number=sale.number), "info")
    return _back(sale.id)
