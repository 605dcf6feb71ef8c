"""The booth's catalogue page, and the manager's stock pages: what is on the shelf, what
sells, what runs low, which sales took a product below zero, and adjustments by hand."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from core.auth import ALL_ROLES, MANAGERS, allow
from core.errors import DomainError
from core.extensions import db
from inventory import services
from inventory.adjustments import MAX_ADJUST_QTY, adjust_stock
from inventory.api import stock_query_args
from inventory.models import ADJUST_REASONS, Barcode, Product
from pos.context import current_booth
from pos.forms_sales import SelectChoice

bp = Blueprint("inventory", __name__, template_folder="templates")

REASON_LABELS = {"damage": _l("Hàng hỏng"), "loss": _l("Mất hàng"), "sample": _l("Hàng mẫu"),
                 "expired": _l("Hết hạn"), "found": _l("Tìm thấy thêm"), "other": _l("Khác")}
KIND_LABELS = {"receive": _l("Nhập hàng"), "transfer_in": _l("Nhận hàng chuyển"),
               "transfer_out": _l("Chuyển đi"), "sale": _l("Bán"), "refund": _l("Hoàn / hủy"),
               "adjust": _l("Điều chỉnh"), "count": _l("Kiểm kê"), "expire": _l("Hết hạn"),
               "return": _l("Trả hàng")}
SORT_LABELS = {"name": _l("Tên"), "on_hand": _l("Tồn"), "sold_30": _l("Bán 30 ngày"),
               "days_of_cover": _l("Đủ bán (ngày)")}


def _signed_whole(text: str | None) -> int | None:
    """``"-3"`` → -3, ``"12"`` → 12; anything else (``1.5``, ``abc``, blank) → None."""
    text = (text or "").strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        return None
    return int(text)


class ReorderPointForm(FlaskForm):
    reorder_point = StringField(_l("Điểm đặt hàng lại"))

    def validate_reorder_point(self, field):
        text = (field.data or "").strip()
        value = _signed_whole(text)
        if text and (value is None or not 0 <= value <= services.MAX_REORDER_POINT):
            raise ValidationError(_("Điểm đặt hàng lại phải là số nguyên từ 0 đến 100.000, "
                                    "hoặc để trống."))

    def value(self) -> int | None:
        text = (self.reorder_point.data or "").strip()
        return int(text) if text else None


class AdjustmentForm(FlaskForm):
    move_id = HiddenField()  # a UUID made with the page: a double click books once
    product = StringField(_l("Mã sản phẩm hoặc mã vạch"))
    qty = StringField(_l("Số lượng (âm: giảm, dương: tăng)"))
    reason = SelectField(_l("Lý do"), validate_choice=False,
                         choices=[SelectChoice(k, v) for k, v in REASON_LABELS.items()])
    note = StringField(_l("Ghi chú"))

    def validate_product(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_("Cần mã sản phẩm hoặc mã vạch."))

    def validate_qty(self, field):
        value = _signed_whole(field.data)
        if value is None or value == 0 or abs(value) > MAX_ADJUST_QTY:
            raise ValidationError(_("Số lượng điều chỉnh phải là số nguyên khác 0, tối đa "
                                    "100.000."))

    def validate_reason(self, field):
        if field.data not in ADJUST_REASONS:
            raise ValidationError(_("Lý do điều chỉnh không hợp lệ."))

    def validate_note(self, field):
        if len(field.data or "") > 300:
            raise ValidationError(_("Ghi chú tối đa 300 ký tự."))


def _flash_errors(form: FlaskForm) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "error")


def _product_by_code(text: str) -> Product:
    """The product an OCOP code or a barcode names, as typed or scanned."""
    text = text.strip()
    product = db.session.scalar(select(Product).where(Product.code == text.upper()))
    if product is None:
        product = db.session.scalar(select(Product).join(Barcode).where(Barcode.code == text))
    if product is None:
        raise DomainError(_("Không có sản phẩm có mã hoặc mã vạch %(c)s.", c=text[:48]),
                          field="product", code="unknown_product")
    return product


@bp.get("/catalog")
@allow(*ALL_ROLES)
def catalog():
    query = request.args.get("q", "")
    products = services.search_products(db.session, query=query,
                                        limit=services.MAX_SEARCH_RESULTS)
    booth = current_booth()
    levels = services.on_hand(db.session, booth=booth, product_ids=[p.id for p in products])
    return render_template("inventory/catalog.html", products=products, levels=levels,
                           booth=booth, query=query)


@bp.get("/stock")
@allow(*MANAGERS)
def stock_page():
    """The stock list: search, sort, low and negative rows flagged, reorder points and
    an adjustment form."""
    booth = current_booth()
    args = stock_query_args()
    result = services.list_stock(db.session, booth=booth, **args)
    prefill = request.args.get("adjust", "")[:48]
    form = AdjustmentForm(formdata=None, move_id=str(uuid.uuid4()), product=prefill)
    return render_template("inventory/stock.html", booth=booth, result=result, args=args,
                           form=form, reorder_form=ReorderPointForm(formdata=None),
                           sorts=SORT_LABELS, low_stock=services.LOW_STOCK,
                           default_per_page=services.STOCK_PER_PAGE)


@bp.post("/stock/<int:product_id>/reorder-point")
@allow(*MANAGERS)
def reorder_point_page(product_id: int):
    form = ReorderPointForm()
    if not form.validate():
        _flash_errors(form)
        return redirect(request.referrer or url_for("inventory.stock_page"), 303)
    product = services.get_product(db.session, product_id)
    services.set_reorder_point(db.session, booth=current_booth(), product=product,
                               reorder_point=form.value(), by=current_user)
    db.session.commit()
    flash(_("Đã lưu điểm đặt hàng lại của “%(name)s”.", name=product.name), "info")
    return redirect(request.referrer or url_for("inventory.stock_page"), 303)


@bp.post("/stock/adjustments")
@allow(*MANAGERS)
def adjustment_page():
    form = AdjustmentForm()
    if not form.validate():
        _flash_errors(form)
        return redirect(url_for("inventory.stock_page"), 303)
    product = _product_by_code(form.product.data)
    move_id = form.move_id.data or None
    try:
        move_id = str(uuid.UUID(move_id)) if move_id else None
    except ValueError:
        move_id = None
    move, created = adjust_stock(db.session, booth=current_booth(), product=product,
                                 qty=_signed_whole(form.qty.data), reason=form.reason.data,
                                 note=(form.note.data or "").strip(), by=current_user,
                                 move_id=move_id)
    db.session.commit()
    if created:
        flash(_("Đã điều chỉnh “%(name)s”: %(qty)+d (%(reason)s).", name=product.name,
                qty=move.qty, reason=REASON_LABELS[move.reason]), "info")
    else:
        flash(_("Điều chỉnh này đã được ghi trước đó."), "info")
    return redirect(url_for("inventory.stock_page", q=product.code), 303)


@bp.get("/stock/<int:product_id>")
@allow(*MANAGERS)
def stock_moves_page(product_id: int):
    """A product's recent moves, with the sales that took it below zero marked."""
    booth = current_booth()
    product = services.get_product(db.session, product_id)
    moves = [m | {"at_dt": datetime.fromisoformat(m["at"])}
             for m in services.recent_moves(db.session, booth=booth, product=product,
                                            limit=100)]
    on_hand = services.on_hand(db.session, booth=booth, product_ids=[product.id])
    return render_template("inventory/stock_moves.html", booth=booth, product=product,
                           moves=moves, on_hand=on_hand.get(product.id, 0),
                           kinds=KIND_LABELS, reasons=REASON_LABELS)
