"""The catalogue as JSON at central: producers, products, barcodes, prices, import and
export. Every change is picked up by the booths at their next catalogue pull."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel

from central import catalog, importer
from central.schemas import BarcodeIn, PriceIn, ProducerIn, ProductIn
from core.auth import OFFICE, allow
from core.errors import DomainError, Malformed
from core.extensions import db
from core.input import is_ascii_digits, takes, takes_file

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")


def _given(body: BaseModel) -> dict:
    """Only the fields the caller sent: a PATCH leaves the others alone."""
    return {key: getattr(body, key) for key in body.model_fields_set}


def _int_arg(name: str, default: int, high: int, low: int = 0) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not is_ascii_digits(raw) or len(raw) > 18:
        raise Malformed(_("%(n)s phải là số nguyên.", n=name), field=name)
    if not low <= int(raw) <= high:
        raise DomainError(_("%(n)s phải từ %(a)d đến %(b)d.", n=name, a=low, b=high),
                          field=name)
    return int(raw)


def _active_arg() -> bool | None:
    raw = request.args.get("active", "")
    return None if raw == "" else catalog.clean_bool(raw)


# --- products -------------------------------------------------------------------------------


@bp.get("/products")
@allow(*OFFICE)
def list_products():
    """The whole catalogue in id order, ``after_id`` and ``limit`` (≤ 500) as a cursor;
    ``q`` filters by name, producer, code or barcode, ``active`` by state."""
    products, next_after_id = catalog.list_products(
        db.session, after_id=_int_arg("after_id", 0, 2**62),
        limit=_int_arg("limit", 100, catalog.MAX_LIST, low=1),
        q=request.args.get("q", "")[:200], active=_active_arg())
    return {"products": [catalog.product_to_json(p) for p in products],
            "next_after_id": next_after_id}


@bp.post("/products")
@allow(*OFFICE)
@takes(ProductIn)
def create_product(body: ProductIn):
    """A new product (inactive at 0 ₫ until it has a price)."""
    product = catalog.create_product(db.session, data=_given(body), by=current_user)
    answer = catalog.product_to_json(product)
    db.session.commit()
    return answer, 201


@bp.get("/products/<int:product_id>")
@allow(*OFFICE)
def get_product(product_id: int):
    """One product with every catalogue field."""
    return catalog.product_to_json(catalog.get_product(db.session, product_id))


@bp.patch("/products/<int:product_id>")
@allow(*OFFICE)
@takes(ProductIn)
def update_product(product_id: int, body: ProductIn):
    """Change any catalogue field but the price (``POST …/prices`` changes that)."""
    data = _given(body)
    if "price" in data:
        raise DomainError(_("Giá đổi qua POST /api/v1/products/<id>/prices (có lịch sử)."),
                          field="price", code="use_price_change")
    product = catalog.update_product(
        db.session, product=catalog.get_product(db.session, product_id), data=data)
    answer = catalog.product_to_json(product)
    db.session.commit()
    return answer


@bp.post("/products/<int:product_id>/barcodes")
@allow(*OFFICE)
@takes(BarcodeIn)
def add_barcode(product_id: int, body: BarcodeIn):
    """Attach a barcode (check digit verified, never one another product carries), or
    ``{"generate": true}`` for a new in-store code."""
    generate = catalog.clean_bool(body.generate, field="generate")
    if body.code is None and not generate:
        raise DomainError(_("Thiếu mã vạch (code), hoặc gửi generate: true để cấp mã nội "
                            "bộ."), field="code")
    product = catalog.get_product(db.session, product_id)
    barcode = catalog.add_barcode(db.session, product=product,
                                  code=None if generate else body.code)
    answer = {"code": barcode.code, "kind": barcode.kind,
              "product": catalog.product_to_json(product)}
    db.session.commit()
    return answer, 201


@bp.delete("/products/<int:product_id>/barcodes/<code>")
@allow(*OFFICE)
def remove_barcode(product_id: int, code: str):
    """Detach a barcode from the product."""
    product = catalog.get_product(db.session, product_id)
    catalog.remove_barcode(db.session, product=product, code=code)
    answer = catalog.product_to_json(product)
    db.session.commit()
    return answer


@bp.get("/products/<int:product_id>/prices")
@allow(*OFFICE)
def price_history(product_id: int):
    """The product's price history: old and new price, who, when, effective from."""
    product = catalog.get_product(db.session, product_id)
    return {"product_id": product.id, "price": product.price,
            "changes": [catalog.price_change_to_json(c)
                        for c in catalog.price_history(db.session, product=product)]}


@bp.post("/products/<int:product_id>/prices")
@allow(*OFFICE)
@takes(PriceIn)
def change_price(product_id: int, body: PriceIn):
    """Change the price now, or from ``effective_from`` (pending until then)."""
    product = catalog.get_product(db.session, product_id)
    change = catalog.change_price(db.session, product=product, price=body.price,
                                  effective_from=body.effective_from, note=body.note,
                                  by=current_user)
    answer = catalog.price_change_to_json(change) | {"current_price": product.price}
    db.session.commit()
    return answer, 201


# --- producers ------------------------------------------------------------------------------


@bp.get("/producers")
@allow(*OFFICE)
def list_producers():
    """Producers in id order after ``after_id`` (``limit`` ≤ 500), ``q`` filtering."""
    limit = _int_arg("limit", 100, catalog.MAX_LIST, low=1)
    rows, _total = catalog.search_producers(db.session, q=request.args.get("q", "")[:200],
                                            after_id=_int_arg("after_id", 0, 2**62),
                                            per_page=limit + 1)
    return {"producers": [catalog.producer_to_json(p) for p in rows[:limit]],
            "next_after_id": rows[limit - 1].id if len(rows) > limit else None}


@bp.post("/producers")
@allow(*OFFICE)
@takes(ProducerIn)
def create_producer(body: ProducerIn):
    """A new producer (the name may be empty when the sources do not give it)."""
    producer = catalog.create_producer(db.session, data=_given(body))
    answer = catalog.producer_to_json(producer)
    db.session.commit()
    return answer, 201


@bp.get("/producers/<int:producer_id>")
@allow(*OFFICE)
def get_producer(producer_id: int):
    """One producer."""
    return catalog.producer_to_json(catalog.get_producer(db.session, producer_id))


@bp.patch("/producers/<int:producer_id>")
@allow(*OFFICE)
@takes(ProducerIn)
def update_producer(producer_id: int, body: ProducerIn):
    """Change any of the producer's fields."""
    producer = catalog.update_producer(
        db.session, producer=catalog.get_producer(db.session, producer_id), data=_given(body))
    answer = catalog.producer_to_json(producer)
    db.session.commit()
    return answer


# --- files ----------------------------------------------------------------------------------


@bp.get("/catalog/export")
@allow(*OFFICE)
def export_catalog():
    """Every product with producer, barcodes, price, VAT, stars, state (``format`` csv or
    xlsx)."""
    fmt = request.args.get("format", "csv")
    if fmt not in importer.EXPORT_TYPES:
        raise DomainError(_("Định dạng phải là csv hoặc xlsx."), field="format")
    data = importer.export_catalog(db.session, fmt=fmt)
    mimetype, filename = importer.EXPORT_TYPES[fmt]
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.url_value_preprocessor
def _limit_upload(endpoint, values):
    # Runs before the CSRF check reads a form body: an oversized upload is refused
    # from its Content-Length, before any of it is read.
    if endpoint == "catalog_api.import_catalog":
        importer.limit_upload()


@bp.post("/catalog/import")
@allow(*OFFICE)
@takes_file("file")
def import_catalog():
    """Import a CSV or XLSX file (multipart ``file``): validated whole, applied in one
    transaction, or refused with every bad row's row, column and reason (422)."""
    upload = request.files.get("file")
    if upload is None:
        raise Malformed(_("Gửi tệp trong trường “file” (multipart/form-data)."), field="file")
    result = importer.import_catalog(db.session, data=upload.read(),
                                     filename=upload.filename or "", by=current_user)
    db.session.commit()
    return result.to_json()
