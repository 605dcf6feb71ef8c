"""The office's catalogue pages: products, producers, prices, import and export.

Forms post plain fields; ``central.catalog`` checks them (the same rules as the API and
the import). A refused form is shown again with what was typed and the reason, and
nothing is written.
"""

from __future__ import annotations

import functools
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from central import catalog, importer
from core.auth import OFFICE, allow
from core.errors import DomainError
from core.extensions import db
from core.input import is_ascii_digits

bp = Blueprint("catalog", __name__, template_folder="templates")

PER_PAGE = 50


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if is_ascii_digits(raw) and 0 < len(raw) < 7 and int(raw) > 0 else 1


def _labels() -> dict:
    return {"categories": catalog.category_labels(), "kinds": catalog.kind_labels(),
            "vat_rates": catalog.VAT_RATES}


# --- products -------------------------------------------------------------------------------


@bp.get("/catalog")
@allow(*OFFICE)
def products_page():
    q = request.args.get("q", "")[:200]
    state = request.args.get("state", "")
    active = {"on": True, "off": False}.get(state)
    page = _page_arg()
    products, total = catalog.search_products(db.session, q=q, active=active, page=page,
                                              per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("central/catalog.html", products=products, total=total, q=q,
                           state=state, page=page, pages=pages, **_labels())


def _product_form() -> dict:
    fields = {key: request.form.get(key, "") for key in catalog.PRODUCT_FIELDS}
    fields["active"] = request.form.get("active") == "1"
    return fields


def _render_product(product, *, form: dict | None = None, error: DomainError | None = None,
                    status: int = 200):
    producers, _total = catalog.search_producers(db.session, per_page=100_000)
    history = catalog.price_history(db.session, product=product) if product else []
    return render_template("central/product.html", product=product, form=form,
                           error=error, producers=producers, history=history,
                           today=catalog.start_of_today().date().isoformat(),
                           **_labels()), status


@bp.get("/catalog/products/new")
@allow(*OFFICE)
def new_product_page():
    producer_id = request.args.get("producer_id", "")
    return _render_product(None, form={"producer_id": producer_id, "vat_rate": "8",
                                       "unit": catalog.DEFAULT_UNIT, "active": False})


@bp.post("/catalog/products/new")
@allow(*OFFICE)
def create_product_page():
    form = _product_form()
    data = {k: v for k, v in form.items() if v != ""}  # empty: the default
    data["price"] = request.form.get("price", "")
    try:
        product = catalog.create_product(db.session, data=data, by=current_user)
    except DomainError as err:
        db.session.rollback()
        return _render_product(None, form=form | {"price": data["price"]}, error=err,
                               status=err.status)
    db.session.commit()
    flash(_("Đã thêm sản phẩm %(c)s “%(n)s”.", c=product.code, n=product.name), "info")
    return redirect(url_for("catalog.product_page", product_id=product.id), 303)


@bp.get("/catalog/products/<int:product_id>")
@allow(*OFFICE)
def product_page(product_id: int):
    return _render_product(catalog.get_product(db.session, product_id))


@bp.post("/catalog/products/<int:product_id>")
@allow(*OFFICE)
def update_product_page(product_id: int):
    product = catalog.get_product(db.session, product_id)
    form = _product_form()
    try:
        catalog.update_product(db.session, product=product, data=form)
    except DomainError as err:
        db.session.rollback()
        return _render_product(catalog.get_product(db.session, product_id), form=form,
                               error=err, status=err.status)
    db.session.commit()
    flash(_("Đã lưu sản phẩm %(c)s.", c=product.code), "info")
    return redirect(url_for("catalog.product_page", product_id=product_id), 303)


def _product_action(view):
    """A small form of the product page: done or refused, back to the page with the
    message (a refusal writes nothing)."""

    @functools.wraps(view)
    def wrapped(product_id: int):
        product = catalog.get_product(db.session, product_id)
        try:
            message = view(product)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            db.session.commit()
            flash(message, "info")
        return redirect(url_for("catalog.product_page", product_id=product_id), 303)

    return wrapped


def _vnd(amount: int) -> str:
    return f"{amount:,} ₫".replace(",", ".")


@bp.post("/catalog/products/<int:product_id>/active")
@allow(*OFFICE)
@_product_action
def set_active_page(product):
    active = catalog.clean_bool(request.form.get("active", "?"))
    catalog.set_active(db.session, product=product, active=active)
    return (_("Đã mở bán %(c)s.", c=product.code) if active
            else _("Đã ngừng bán %(c)s.", c=product.code))


@bp.post("/catalog/products/<int:product_id>/barcodes")
@allow(*OFFICE)
@_product_action
def add_barcode_page(product):
    code = None if request.form.get("generate") else request.form.get("code", "")
    barcode = catalog.add_barcode(db.session, product=product, code=code)
    return _("Đã thêm mã vạch %(c)s.", c=barcode.code)


@bp.post("/catalog/products/<int:product_id>/barcodes/remove")
@allow(*OFFICE)
@_product_action
def remove_barcode_page(product):
    code = request.form.get("code", "")
    catalog.remove_barcode(db.session, product=product, code=code)
    return _("Đã gỡ mã vạch %(c)s.", c=code)


@bp.post("/catalog/products/<int:product_id>/prices")
@allow(*OFFICE)
@_product_action
def change_price_page(product):
    raw_date = request.form.get("effective_date", "").strip()
    try:
        effective = datetime.strptime(raw_date, "%Y-%m-%d").date() if raw_date else None
    except ValueError:
        raise DomainError(_("Ngày hiệu lực không hợp lệ: %(d)s", d=raw_date[:20]),
                          field="effective_from") from None
    change = catalog.change_price(db.session, product=product, by=current_user,
                                  price=request.form.get("price", ""), effective_from=effective,
                                  note=request.form.get("note", ""))
    if change.applied_at:
        return _("Giá mới %(p)s đã áp dụng; các quầy nhận ở lần đồng bộ tới.",
                 p=_vnd(change.price))
    return _("Giá mới %(p)s sẽ áp dụng từ %(d)s.", p=_vnd(change.price), d=raw_date)


# --- producers ------------------------------------------------------------------------------


@bp.get("/catalog/producers")
@allow(*OFFICE)
def producers_page():
    q = request.args.get("q", "")[:200]
    page = _page_arg()
    producers, total = catalog.search_producers(db.session, q=q, page=page,
                                                per_page=PER_PAGE)
    counts = catalog.product_counts(db.session, [p.id for p in producers])
    return render_template("central/producers.html", producers=producers, total=total, q=q,
                           page=page, pages=max(1, -(-total // PER_PAGE)), counts=counts,
                           **_labels())


def _producer_form() -> dict:
    return {key: request.form.get(key, "") for key in catalog.PRODUCER_FIELDS}


def _render_producer(producer, *, form=None, error=None, status: int = 200):
    products = sorted(producer.products, key=lambda p: p.name) if producer else []
    return render_template("central/producer.html", producer=producer, form=form, error=error,
                           products=products, **_labels()), status


@bp.get("/catalog/producers/new")
@allow(*OFFICE)
def new_producer_page():
    return _render_producer(None, form={"kind": "other"})


@bp.post("/catalog/producers/new")
@allow(*OFFICE)
def create_producer_page():
    form = _producer_form()
    try:
        producer = catalog.create_producer(db.session, data=form)
    except DomainError as err:
        db.session.rollback()
        return _render_producer(None, form=form, error=err, status=err.status)
    db.session.commit()
    flash(_("Đã thêm chủ thể."), "info")
    return redirect(url_for("catalog.producer_page", producer_id=producer.id), 303)


@bp.get("/catalog/producers/<int:producer_id>")
@allow(*OFFICE)
def producer_page(producer_id: int):
    return _render_producer(catalog.get_producer(db.session, producer_id))


@bp.post("/catalog/producers/<int:producer_id>")
@allow(*OFFICE)
def update_producer_page(producer_id: int):
    producer = catalog.get_producer(db.session, producer_id)
    form = _producer_form()
    try:
        catalog.update_producer(db.session, producer=producer, data=form)
    except DomainError as err:
        db.session.rollback()
        return _render_producer(catalog.get_producer(db.session, producer_id), form=form,
                                error=err, status=err.status)
    db.session.commit()
    flash(_("Đã lưu chủ thể."), "info")
    return redirect(url_for("catalog.producer_page", producer_id=producer_id), 303)


# --- files ----------------------------------------------------------------------------------


@bp.url_value_preprocessor
def _limit_upload(endpoint, values):
    # Before the CSRF check reads the form: an oversized upload is refused unread.
    if endpoint == "catalog.import_upload":
        importer.limit_upload()


@bp.get("/catalog/import")
@allow(*OFFICE)
def import_page():
    return render_template("central/import.html", result=None, rejected=None,
                           columns=importer.EXPORT_COLUMNS,
                           max_mb=importer.MAX_UPLOAD // 1024 // 1024)


@bp.post("/catalog/import")
@allow(*OFFICE)
def import_upload():
    upload = request.files.get("file")
    status, result, rejected = 200, None, None
    if upload is None or not upload.filename:
        rejected = importer.ImportRejected([importer.Problem(None, "file", _(
            "Chọn một tệp CSV hoặc XLSX để nhập."))])
    else:
        try:
            result = importer.import_catalog(db.session, data=upload.read(),
                                             filename=upload.filename, by=current_user)
            db.session.commit()
        except importer.ImportRejected as err:
            db.session.rollback()
            rejected = err
    if rejected is not None:
        status = 422
    return render_template("central/import.html", result=result, rejected=rejected,
                           filename=upload.filename if upload else "",
                           columns=importer.EXPORT_COLUMNS,
                           max_mb=importer.MAX_UPLOAD // 1024 // 1024), status
