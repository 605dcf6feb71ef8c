"""Receipts as documents and the print queue, as JSON (contract: /sales/<id>/receipt,
/sales/<id>/print)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from pos import counter
from pos.auth import BOOTH_STAFF, allow
from pos.context import current_booth
from pos.errors import DomainError, Malformed
from pos.extensions import db
from receipts import queue
from receipts.document import ZReportDocument
from receipts.printers import PrintSettings

bp = Blueprint("receipts_api", __name__, url_prefix="/api/v1")

RECEIPT_FORMATS = ("text", "escpos", "pdf", "a5")
COLUMNS = (32, 42, 48, 64)


def _format() -> str:
    wanted = request.args.get("format", "text")
    if wanted not in RECEIPT_FORMATS:
        raise DomainError(_("Định dạng phải là một trong: %(f)s.", f=", ".join(RECEIPT_FORMATS)),
                          field="format", code="bad_format")
    return wanted


def _settings() -> PrintSettings:
    return PrintSettings.from_config(current_app.config)


def render_document(doc, fmt: str) -> Response:
    """One receipt or report in the asked format, ready to download or display."""
    settings = _settings()
    if fmt == "text":
        from receipts.layout import render_text

        columns = request.args.get("columns", type=int) or (48 if settings.paper_mm == 80
                                                            else 32)
        if columns not in COLUMNS:
            raise DomainError(_("Số cột phải là 32, 42, 48 hoặc 64."), field="columns")
        return Response("\n".join(render_text(doc, columns)) + "\n",
                        mimetype="text/plain; charset=utf-8")
    if fmt == "escpos":
        from receipts.escpos_out import escpos_bytes

        data = escpos_bytes(doc, mode=settings.mode, paper_mm=settings.paper_mm,
                            encoding=settings.encoding, codepage=settings.codepage,
                            profile=settings.profile)
        return Response(data, mimetype="application/octet-stream")
    from receipts import pdf

    if isinstance(doc, ZReportDocument):
        data = pdf.zreport_pdf(doc)
    else:
        data = pdf.receipt_pdf_a5(doc) if fmt == "a5" else pdf.receipt_pdf_80mm(doc)
    return Response(data, mimetype="application/pdf")


@bp.get("/sales/<id>/receipt")
@allow(*BOOTH_STAFF)
def sale_receipt(id: str):
    """The receipt document: ``format=text|escpos|pdf|a5`` (``columns=`` for text)."""
    fmt = _format()
    sale = counter.get_sale(db.session, booth=current_booth(), sale_id=id)
    return render_document(queue.receipt_document(sale), fmt)


@bp.post("/sales/<id>/print")
@allow(*BOOTH_STAFF)
def print_sale(id: str):
    """Queue a (re)print of the receipt; a reprint is audited."""
    data = request.get_json(force=True, silent=True) if request.get_data() else {}
    if not isinstance(data, dict):  # a body that is there must be a JSON object
        raise Malformed(_("Nội dung yêu cầu phải là một đối tượng JSON hợp lệ."))
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 300:
        raise DomainError(_("Lý do in lại không hợp lệ."), field="reason")
    sale = counter.get_sale(db.session, booth=current_booth(), sale_id=id)
    # Every sale queued its receipt when it was made, so this is always another copy.
    job = queue.enqueue_receipt(db.session, sale=sale, by=current_user, reprint=True,
                                reason=reason)
    db.session.commit()
    queue.wake_print_worker(current_app)
    return queue.job_to_json(job), 202


@bp.get("/shifts/<id>/zreport")
@allow(*BOOTH_STAFF)
def shift_zreport(id: str):
    """The shift's X- or Z-report as a printable document (``format=text|escpos|pdf``);
    a cashier's X-report leaves out the expected cash, as the JSON report does."""
    fmt = _format()
    shift = counter.get_shift(db.session, booth=current_booth(), shift_id=id)
    doc = queue.zreport_document(shift, counter.shift_report(db.session, shift=shift),
                                 viewer=current_user)
    return render_document(doc, fmt)


@bp.post("/shifts/<id>/print")
@allow(*BOOTH_STAFF)
def print_zreport(id: str):
    """Queue the shift's report for the printer."""
    shift = counter.get_shift(db.session, booth=current_booth(), shift_id=id)
    job = queue.enqueue_zreport(db.session, shift=shift, by=current_user)
    db.session.commit()
    queue.wake_print_worker(current_app)
    return queue.job_to_json(job), 202


@bp.get("/printer/status")
@allow(*BOOTH_STAFF)
def printer_status():
    """The printer, the jobs waiting and the failed ones, for the cashier screen."""
    return queue.printer_status(db.session, booth=current_booth(), settings=_settings())


@bp.post("/print-jobs/<id>/retry")
@allow(*BOOTH_STAFF)
def retry_print_job(id: str):
    """Try a failed job again now."""
    job = queue.retry_job(db.session, job_id=id, booth=current_booth())
    db.session.commit()
    queue.wake_print_worker(current_app)
    return queue.job_to_json(job)
