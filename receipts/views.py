"""Receipt-side pages for booth managers: A4 product label sheets and the printer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

try:  # wtforms 3.3 deprecates (value, label) tuples; older versions only know tuples
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    def SelectChoice(value: str, label: str) -> tuple[str, str]:  # noqa: N802
        return (value, label)

from core.auth import allow
from core.errors import DomainError
from core.extensions import db
from inventory import services as inventory_services
from pos.context import current_booth
from pos.forms_sales import whole_number

from . import queue, services
from .labels import LABEL_LAYOUTS
from .printers import SUPPORTED, PrinterError, PrinterTarget, PrintSettings

bp = Blueprint("receipts", __name__, template_folder="templates")

PDF_FILENAME = "nhan-san-pham.pdf"
MAX_ID = 2**31 - 1  # larger numbers are no row id, and overflow SQLite's integers


class LabelLineForm(Form):
    """One product row; a plain wtforms Form, so it carries no CSRF token of its own."""

    product_id = HiddenField()
    copies = StringField(_l("Số nhãn"))

    def validate_product_id(self, field):
        if whole_number(field.data) in (None, 0) or int(field.data) > MAX_ID:
            raise ValidationError(_("Sản phẩm không hợp lệ."))

    def validate_copies(self, field):
        value = whole_number(field.data)
        if value is None or value > services.MAX_LABEL_COPIES:
            raise ValidationError(_("Số nhãn phải là số nguyên từ 0 đến %(max)s.",
                                    max=services.MAX_LABEL_COPIES))


class LabelSheetForm(FlaskForm):
    lines = FieldList(FormField(LabelLineForm), max_entries=inventory_services.MAX_SEARCH_RESULTS)
    layout = SelectField(_l("Khổ giấy nhãn"), validate_choice=False,
                         choices=[SelectChoice(key, sheet.title)
                                  for key, sheet in LABEL_LAYOUTS.items()])
    skip = StringField(_l("Bỏ qua bao nhiêu nhãn đầu tờ (tờ đã dùng một phần)"), default="0")

    def validate_layout(self, field):
        if field.data not in LABEL_LAYOUTS:
            raise ValidationError(_("Khổ nhãn không hợp lệ."))

    def validate_skip(self, field):
        value = whole_number(field.data)
        sheet = LABEL_LAYOUTS.get(self.layout.data)
        if value is None:
            raise ValidationError(_("Số nhãn bỏ qua phải là số nguyên không âm."))
        if sheet and value >= sheet.per_page:
            raise ValidationError(_("Số nhãn bỏ qua phải là số nguyên từ 0 đến %(max)s.",
                                    max=sheet.per_page - 1))

    def copies(self) -> dict[int, int]:
        """``{product_id: copies}`` of a validated form, in table order."""
        wanted: dict[int, int] = {}
        for entry in self.lines:
            product_id = int(entry.product_id.data)
            wanted[product_id] = wanted.get(product_id, 0) + whole_number(entry.copies.data)
        return wanted

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not any(self.copies().values()):
            self.lines.errors.append(_("Chưa chọn nhãn nào để in: nhập số nhãn cho ít nhất "
                                       "một sản phẩm."))
            return False
        return True


@bp.route("/labels", methods=["GET", "POST"])
@allow("manager")
def labels():
    query = request.args.get("q", "")
    form = LabelSheetForm()
    if form.validate_on_submit():
        pdf = services.make_label_sheet(db.session, copies=form.copies(),
                                        layout=form.layout.data,
                                        skip=whole_number(form.skip.data))
        db.session.commit()  # keeps in-store barcodes given to products without one
        response = make_response(pdf)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = f"inline; filename={PDF_FILENAME}"
        return response
    status = 200
    if request.method == "POST":
        status = 422
        products = _products_in(form)
    else:
        products = inventory_services.search_products(
            db.session, query=query, limit=inventory_services.MAX_SEARCH_RESULTS)
        for product in products:
            form.lines.append_entry({"product_id": str(product.id), "copies": ""})
    booth = current_booth()
    levels = inventory_services.on_hand(db.session, booth=booth,
                                        product_ids=[p.id for p in products if p])
    barcodes = {p.id: services.label_barcode(p) for p in products if p}
    rows = list(zip(form.lines, products, strict=True))
    return render_template("receipts/labels.html", form=form, rows=rows, levels=levels,
                           barcodes=barcodes, booth=booth, query=query), status


def _products_in(form: LabelSheetForm) -> list:
    """The products a posted form's rows name (None for a row naming none), so the
    table can be shown again with the errors."""
    wanted = [whole_number(entry.product_id.data) for entry in form.lines]
    found = {}
    for product_id in {pid for pid in wanted if pid and pid <= MAX_ID}:
        try:
            found[product_id] = inventory_services.get_product(db.session, product_id)
        except DomainError:
            pass
    return [found.get(pid) for pid in wanted]


@bp.get("/sales/<id>/receipt.png")
@allow("cashier", "manager")
def receipt_png(id: str):
    """The raster receipt as the printer would print it, shown after each sale: drawn
    once per sale and paper, then served from the kept file (ETag, 304)."""
    from pos import counter
    from pos.booth_settings import effective_config
    from receipts import rendered
    from receipts.api import kept_receipt
    from receipts.queue import receipt_document

    booth = current_booth()
    sale_id, status = rendered.sale_stamp(db.session, booth_id=booth.id, sale_id=id)
    paper = 58 if str(effective_config(db.session, booth, current_app.config)
                      .get("OCOP_PAPER")) == "58" else 80
    data, etag = rendered.receipt_bytes(
        current_app, sale_id=sale_id, status=status, fmt="png",
        settings=PrintSettings(target=PrinterTarget("none"), paper_mm=paper),
        document=lambda: receipt_document(counter.get_sale(db.session, booth=booth,
                                                           sale_id=sale_id)))
    return kept_receipt(data, etag, "image/png")


SELFTEST_MODES = {"raster": _l("Ảnh (raster): chữ có dấu vẽ thành ảnh, máy nào cũng in được"),
                  "text": _l("Chữ (text): bảng mã của máy in, in nhanh hơn"),
                  "both": _l("Cả hai, để so sánh")}


class SelftestForm(FlaskForm):
    mode = SelectField(_l("Kiểu trang in thử"), validate_choice=False, default="both",
                       choices=[SelectChoice(key, label) for key, label in SELFTEST_MODES.items()])

    def validate_mode(self, field):
        if field.data not in SELFTEST_MODES:
            raise ValidationError(_("Kiểu in thử phải là raster, text hoặc both."))


def _print_settings() -> tuple[PrintSettings, str]:
    """The printer in force (the environment's settings, else the manager's)."""
    from pos.booth_settings import print_settings_or_reason

    return print_settings_or_reason(db.session, current_booth(), current_app.config)


def _settings_form_values() -> dict:
    """What the printer settings form shows: each choice, its value in force, and
    whether the environment fixed it (then the page says so and offers no change)."""
    from pos.booth_settings import PRINTER_CHOICES, effective_config, fixed_keys

    merged = effective_config(db.session, current_booth(), current_app.config)
    values = {c.key: str(merged.get(c.key)) for c in PRINTER_CHOICES}
    # A value set elsewhere that the list does not offer stays selectable, so saving the
    # form never changes it behind the manager's back.
    choices = [replace(c, options=c.options | {values[c.key]: values[c.key]})
               if values[c.key] not in c.options else c for c in PRINTER_CHOICES]
    return {"choices": choices, "values": values, "fixed": fixed_keys(current_app.config)}


@bp.get("/printer")
@allow("manager")
def printer():
    """The booth's printer: its settings, the queue, failed jobs to retry, a self-test."""
    settings, config_error = _print_settings()
    status = queue.printer_status(db.session, booth=current_booth(), settings=settings)
    created = {job["id"]: datetime.fromisoformat(job["created_at"]) for job in status["failed"]}
    return render_template("receipts/printer.html", status=status, settings=settings,
                           created=created, config_error=config_error, supported=SUPPORTED,
                           form=SelftestForm(), booth=current_booth(),
                           setting=_settings_form_values())


@bp.post("/printer/settings")
@allow("manager")
def save_printer_settings_page():
    """Save the printer's mode, code page and paper the manager chose (kept in the
    booth's database; the print worker reads them for the next job)."""
    from flask_login import current_user

    from pos.booth_settings import PRINTER_KEYS, save_printer_settings

    values = {key: request.form[key] for key in PRINTER_KEYS if key in request.form}
    changed = save_printer_settings(db.session, booth=current_booth(), by=current_user,
                                    config=current_app.config, values=values)
    db.session.commit()
    if changed:
        flash(_("Đã lưu cài đặt máy in; lệnh in tiếp theo dùng cài đặt mới."), "info")
    else:
        flash(_("Cài đặt máy in không thay đổi."), "info")
    return redirect(url_for("receipts.printer"), 303)


@bp.post("/printer/selftest")
@allow("manager")
def selftest():
    """Print the Vietnamese self-test page now (not queued: the manager is watching)."""
    form = SelftestForm()
    if not form.validate_on_submit():
        for message in form.mode.errors or [_("Yêu cầu in thử không hợp lệ, vui lòng tải "
                                               "lại trang.")]:
            flash(message, "error")
        return redirect(url_for("receipts.printer"), 303)
    settings, config_error = _print_settings()
    try:
        if config_error:
            raise PrinterError(config_error)
        saved = services.print_selftest(settings, mode=form.mode.data)
    except PrinterError as err:
        flash(_("Không in thử được: %(why)s", why=err.message), "error")
    else:
        where = settings.target.describe()
        flash(_("Đã gửi trang in thử tới %(where)s%(file)s. Kiểm tra mọi chữ có dấu in đủ.",
                where=where, file=f" ({saved.name})" if saved else ""), "info")
    return redirect(url_for("receipts.printer"), 303)


@bp.post("/printer/jobs/<id>/retry")
@allow("manager")
def retry_job_page(id: str):
    """Put a failed print job back in the queue and wake the printer worker."""
    job = queue.retry_job(db.session, job_id=id, booth=current_booth())
    queue.commit_and_print(db.session)
    what = queue.job_to_json(job)["number"] or _("báo cáo ca")
    flash(_("Đã đưa lệnh in %(what)s trở lại hàng đợi.", what=what), "info")
    return redirect(url_for("receipts.printer"), 303)
