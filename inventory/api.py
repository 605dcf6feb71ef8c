"""The booth's catalogue and stock as JSON (contract: /api/v1/products, /api/v1/stock)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from sqlalchemy import select

from inventory import services
from inventory.barcodes import parse_scan
from inventory.models import Barcode, Product, StockLevel
from pos.auth import ALL_ROLES, allow
from pos.context import current_booth
from pos.errors import DomainError, NotFound
from pos.extensions import db

bp = Blueprint("inventory_api", __name__, url_prefix="/api/v1")


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DomainError(_("%(name)s phải là số nguyên.", name=name), field=name,
                          status=400, code="malformed") from None
    if not low <= value <= high:
        raise DomainError(_("%(name)s phải từ %(low)d đến %(high)d.", name=name, low=low,
                            high=high), field=name)
    return value


def _with_stock(products: list[Product]) -> list[dict]:
    levels = services.on_hand(db.session, booth=current_booth(),
                              product_ids=[p.id for p in products])
    return [services.product_to_json(p, stock=levels.get(p.id, 0)) for p in products]


@bp.get("/products")
@allow(*ALL_ROLES)
def list_products():
    """Search by name (accent-insensitive), code, producer or barcode."""
    limit = _int_arg("limit", 20, 1, services.MAX_SEARCH_RESULTS)
    found = services.search_products(db.session, query=request.args.get("q", ""), limit=limit)
    return {"products": _with_stock(found)}


@bp.get("/products/<int:product_id>")
@allow(*ALL_ROLES)
def get_product(product_id: int):
    """One product with its price and on-hand at this booth."""
    return _with_stock([services.get_product(db.session, product_id)])[0]


@bp.get("/products/by-barcode/<path:code>")
@allow(*ALL_ROLES)
def product_by_barcode(code: str):
    """Look up a scanned code: 404 unknown_barcode, 422 bad_check_digit/bad_barcode."""
    scan = parse_scan(code)
    product = db.session.scalar(
        select(Product).join(Barcode).where(Barcode.code == scan.lookup_code))
    if product is None:
        raise NotFound(_("Không tìm thấy sản phẩm có mã vạch %(code)s.", code=scan.code),
                       field="barcode", code="unknown_barcode")
    result = _with_stock([product])[0]
    result["scanned"] = {"kind": scan.kind, "code": scan.code,
                         "embedded_price": scan.embedded_price}
    return result


@bp.get("/stock")
@allow(*ALL_ROLES)
def stock():
    """On-hand per product at this booth; ``low=1`` lists only what needs restocking."""
    booth = current_booth()
    query = (select(StockLevel).where(StockLevel.booth_id == booth.id)
             .join(Product).order_by(Product.name))
    if request.args.get("low") == "1":
        query = query.where(StockLevel.on_hand <= services.LOW_STOCK)
    return {"booth": booth.code, "stock": [
        {"product_id": lvl.product_id, "code": lvl.product.code, "name": lvl.product.name,
         "on_hand": lvl.on_hand, "low": lvl.on_hand <= services.LOW_STOCK,
         "negative": lvl.on_hand < 0}
        for lvl in db.session.scalars(query)]}
