"""Receipts as documents and the print queue, as JSON (contract: /sales/<id>/receipt,
/sales/<id>/print)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import BOOTH_STAFF, allow
from core.errors import N_, DomainError
from core.extensions import db
from core.input import no_body, takes
from pos import counter
from pos.context import current_booth
from pos.schemas import ReprintIn
from receipts import queue
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
    """The printer settings in force: the environment's, else the manager's."""
    from pos.booth_settings import print_settings

    return print_settings(db.session, current_booth(), current_app.config)


MIMETYPES = {"text": "text/plain; charset=utf-8", "escpos": "application/octet-stream",
             "pdf": "application/pdf", "a5": "application/pdf"}


def _columns(fmt: str, settings: PrintSettings) -> int | None:
    """Text width: ``columns=`` or what the paper holds (48 on 80 mm, else 32)."""
    if fmt != "text":
        return None
    columns = request.args.get("columns", type=int) or (48 if settings.paper_mm == 80 else 32)
    if columns not in COLUMNS:
        raise DomainError(_("Số cột phải là 32, 42, 48 hoặc 64."), field="columns")
    return columns


def render_document(doc, fmt: str) -> Response:
    """One receipt or report in the asked format, ready to download or display."""
    from receipts.rendered import render_format

    settings = _settings()
    return Response(render_format(doc, fmt, settings, _columns(fmt, settings)),
                    mimetype=MIMETYPES[fmt])


def kept_receipt(data: bytes, etag: str, mimetype: str) -> Response:
    """A kept receipt with its ETag: a client that has it gets 304 and no body. No-cache,
    so a receipt voided since is fetched again rather than shown from the browser."""
    response = Response(data, mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


@bp.get("/sales/<id>/receipt")
@allow(*BOOTH_STAFF)
def sale_receipt(id: str):
    """The receipt document: ``format=text|escpos|pdf|a5`` (``columns=`` for text),
    rendered once per sale and format and kept (ETag, 304 on ``If-None-Match``)."""
    from receipts import rendered

    fmt = _format()
    settings = _settings()
    columns = _columns(fmt, settings)
    booth = current_booth()
    sale_id, status = rendered.sale_stamp(db.session, booth_id=booth.id, sale_id=id)
    data, etag = rendered.receipt_bytes(
        current_app, sale_id=sale_id, status=status, fmt=fmt, settings=settings,
        columns=columns, document=lambda: queue.receipt_document(
            counter.get_sale(db.session, booth=booth, sale_id=sale_id)))
    return kept_receipt(data, etag, MIMETYPES[fmt])


@bp.post("/sales/<id>/print")
@allow(*BOOTH_STAFF)
@takes(ReprintIn, optional=True, messages={"reason": N_("Lý do in lại không hợp lệ.")})
def print_sale(id: str, body: ReprintIn):
    """Queue a (re)print of the receipt; a reprint is audited."""
    reason = body.reason
    sale = counter.get_sale(db.session, booth=current_booth(), sale_id=id)
    # Every sale queued its receipt when it was made, so this is always another copy.
    job = queue.enqueue_receipt(db.session, sale=sale, by=current_user, reprint=True,
                                reason=reason)
    queue.commit_and_print(db.session)
    return queue.job_to_json(job), 202


@bp.get("/shifts/<id>/zreport")
@allow(*BOOTH_STAFF)
def shift_zreport(id: str):
    """The shift's X- or Z-report as a printable document (``format=text|escpos|pdf``);
    a cashier's X-report leaves out the expected cash, as the JSON report does."""
    fmt = _format()
    shift = counter.get_visible_shift(db.session, booth=current_booth(), viewer=current_user,
                                      shift_id=id)
    doc = queue.zreport_document(shift, counter.shift_report(db.session, shift=shift),
                                 viewer=current_user)
    return render_document(doc, fmt)


@bp.post("/shifts/<id>/print")
@allow(*BOOTH_STAFF)
@no_body
def print_zreport(id: str):
    """Queue the shift's report for the printer."""
    shift = counter.get_visible_shift(db.session, booth=current_booth(), viewer=current_user,
                                      shift_id=id)
    job = queue.enqueue_zreport(db.session, shift=shift, by=current_user)
    queue.commit_and_print(db.session)
    return queue.job_to_json(job), 202


@bp.get("/printer/status")
@allow(*BOOTH_STAFF)
def printer_status():
    """The printer, the jobs waiting and the failed ones, for the cashier screen."""
    return queue.printer_status(db.session, booth=current_booth(), settings=_settings())


@bp.post("/print-jobs/<id>/retry")
@allow(*BOOTH_STAFF)
@no_body
def retry_print_job(id: str):
    """Try a failed job again now."""
    job = queue.retry_job(db.session, job_id=id, booth=current_booth())
    queue.commit_and_print(db.session)
    return queue.job_to_json(job)
