"""The booth's catalogue and stock as JSON (contract: /api/v1/products, /api/v1/stock)."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased, selectinload

from core.auth import ALL_ROLES, MANAGERS, allow
from core.errors import N_, DomainError, NotFound
from core.extensions import db
from core.input import takes
from core.models import Booth
from inventory import services
from inventory.adjustments import adjust_stock, move_to_json
from inventory.barcodes import parse_scan
from inventory.models import Barcode, Producer, Product, StockLevel
from inventory.schemas import AdjustmentIn, ReorderPointIn
from pos.context import current_booth
from pos.counter import normalise_id

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
    """Search by name (accent-insensitive), code, producer or barcode; without ``q`` and
    with ``after_id``, list the whole catalogue in id order (``limit`` ≤ 500), with the
    ``next_after_id`` of the following page (``null`` at the end)."""
    if "after_id" in request.args and not request.args.get("q"):
        return _catalogue_page()
    limit = _int_arg("limit", 20, 1, services.MAX_SEARCH_RESULTS)
    found = services.search_products(db.session, query=request.args.get("q", ""), limit=limit,
                                     booth=current_booth())
    return {"products": _with_stock(found)}


MAX_PAGE = 500


def _catalogue_page() -> dict:
    """A keyset page, stable while products are added; the same few queries whatever its
    size (rows, producers, barcodes, stock), never one per row."""
    after_id = _int_arg("after_id", 0, 0, 2**62)
    limit = _int_arg("limit", 100, 1, MAX_PAGE)
    rows = db.session.scalars(select(Product).where(Product.id > after_id)
                              .order_by(Product.id).limit(limit + 1)
                              .options(selectinload(Product.producer),
                                       selectinload(Product.barcodes))).all()
    page = list(rows[:limit])
    return {"products": [row | {"active": product.active}
                         for row, product in zip(_with_stock(page), page, strict=True)],
            "next_after_id": page[-1].id if len(rows) > limit else None}


@bp.get("/products/<int:product_id>")
@allow(*ALL_ROLES)
def get_product(product_id: int):
    """One product with its price and on-hand at this booth."""
    return _with_stock([services.get_product(db.session, product_id)])[0]


@bp.get("/products/by-barcode/<path:code>")
@allow(*ALL_ROLES)
def product_by_barcode(code: str):
    """Look up a scanned code: 404 unknown_barcode, 422 bad_check_digit/bad_barcode.
    The till's hot path: the card comes from one indexed statement, no ORM objects."""
    scan = parse_scan(code)
    result = _product_card(scan.lookup_code)
    if result is None:
        raise NotFound(_("Không tìm thấy sản phẩm có mã vạch %(code)s.", code=scan.code),
                       field="barcode", code="unknown_barcode")
    result["scanned"] = {"kind": scan.kind, "code": scan.code,
                         "embedded_price": scan.embedded_price}
    return result


_CARD_STATEMENTS: dict[tuple[str, bool], object] = {}


def _card_statement(dialect: str, by_code: bool):
    """The card's statement, built once per dialect (building a select costs more than
    running it): barcode → product → producer by their keys, the level by (booth,
    product), the product's barcodes as one JSON array."""
    key = (dialect, by_code)
    if key not in _CARD_STATEMENTS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import aggregate_order_by

            codes = func.json_agg(aggregate_order_by(Barcode.code, Barcode.id))
        else:  # SQLite walks barcode's product_id index, so the codes come in id order
            codes = func.json_group_array(Barcode.code)
        booth_id = (select(Booth.id).where(Booth.code == bindparam("booth")).scalar_subquery()
                    if by_code else bindparam("booth"))
        other = aliased(Barcode)
        _CARD_STATEMENTS[key] = (
            select(Product.id, Product.code, Product.name, Product.price, Product.vat_rate,
                   Product.stars, Product.unit, Product.category, Product.certified_year,
                   Producer.id.label("producer_id"), Producer.name.label("producer_name"),
                   Producer.commune, Producer.district, StockLevel.on_hand,
                   select(codes).where(Barcode.product_id == Product.id)
                   .correlate(Product).scalar_subquery().label("codes"))
            .select_from(other).join(Product, Product.id == other.product_id)
            .join(Producer, Producer.id == Product.producer_id)
            .outerjoin(StockLevel, (StockLevel.product_id == Product.id)
                       & (StockLevel.booth_id == booth_id))
            .where(other.code == bindparam("barcode")))
    return _CARD_STATEMENTS[key]


def _product_card(barcode: str) -> dict | None:
    """``product_to_json`` of the product carrying ``barcode``, with its on-hand here,
    read in one statement on the session's connection (no ORM objects)."""
    booth_code = current_app.config.get("OCOP_BOOTH")
    connection = db.session.connection()
    statement = _card_statement(connection.dialect.name, bool(booth_code))
    row = connection.execute(statement, {
        "barcode": barcode,
        "booth": booth_code if booth_code else current_booth().id}).one_or_none()
    if row is None:
        return None
    codes = row.codes if isinstance(row.codes, list) else json.loads(row.codes or "[]")
    return {"id": row.id, "code": row.code, "name": row.name, "price": row.price,
            "vat_rate": row.vat_rate, "stars": row.stars, "unit": row.unit,
            "category": row.category, "certified_year": row.certified_year,
            "producer": {"id": row.producer_id, "name": row.producer_name,
                         "commune": row.commune, "district": row.district},
            "barcodes": codes, "on_hand": row.on_hand or 0}


def _flag(name: str) -> bool:
    return request.args.get(name, "") in ("1", "true", "yes")


def stock_query_args() -> dict:
    """The stock list's filters, sort and page from the query string (shared with the
    page): a bad value answers 422 naming it."""
    sort = request.args.get("sort", "name")
    if sort not in services.STOCK_SORTS:
        raise DomainError(_("Cách sắp xếp không hợp lệ: %(s)s (name, on_hand, days_of_cover, "
                            "sold_30).", s=sort[:30]), field="sort", code="bad_sort")
    direction = request.args.get("dir")
    if direction not in (None, "", "asc", "desc"):
        raise DomainError(_("Chiều sắp xếp phải là asc hoặc desc."), field="dir",
                          code="bad_sort")
    return {"query": request.args.get("q", "")[:100], "sort": sort,
            "descending": None if not direction else direction == "desc",
            "low": _flag("low"), "negative": _flag("negative"),
            "page": _int_arg("page", 1, 1, 100_000),
            "per_page": _int_arg("per_page", services.STOCK_PER_PAGE, 1,
                                 services.MAX_STOCK_PER_PAGE)}


@bp.get("/stock")
@allow(*ALL_ROLES)
def stock():
    """On-hand per product at this booth with sales of the last 7 and 30 days and days
    of cover; ``q``, ``sort``, ``dir``, ``low=1``, ``negative=1``, ``page``, ``per_page``."""
    booth = current_booth()
    args = stock_query_args()
    result = services.list_stock(db.session, booth=booth, **args)
    next_url = None
    if result.has_next:
        next_url = url_for(".stock", **(request.args.to_dict() | {"page": result.page + 1}))
    return {"booth": booth.code, "page": result.page, "per_page": result.per_page,
            "next": next_url, "stock": [services.stock_row_to_json(row) for row in result.rows]}


@bp.get("/stock/<int:product_id>/moves")
@allow(*MANAGERS)
def stock_moves(product_id: int):
    """The product's recent moves here with the sales they belong to and the balance
    each left, so a negative balance can be traced to the sales that caused it."""
    booth = current_booth()
    product = services.get_product(db.session, product_id)
    moves = services.recent_moves(db.session, booth=booth, product=product,
                                  limit=_int_arg("limit", 50, 1, services.MAX_MOVES_SHOWN))
    on_hand = services.on_hand(db.session, booth=booth, product_ids=[product.id])
    return {"booth": booth.code, "product": {"id": product.id, "code": product.code,
                                             "name": product.name, "price": product.price},
            "on_hand": on_hand.get(product.id, 0), "moves": moves}


def _known_product(product_id: int):
    """A product named in a body: unknown is a bad value (422), not a missing page."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise DomainError(_("Không có sản phẩm mã số %(id)s.", id=product_id),
                          field="product_id", code="unknown_product")
    return product


@bp.put("/stock/<int:product_id>/reorder-point")
@allow(*MANAGERS)
@takes(ReorderPointIn, messages={"reorder_point": N_(
    "Điểm đặt hàng lại phải là số nguyên từ 0 đến 100.000, hoặc null.")})
def set_reorder_point(product_id: int, body: ReorderPointIn):
    """Set the reorder point (a whole number 0..100000, or null for the default)."""
    booth = current_booth()
    product = services.get_product(db.session, product_id)
    level = services.set_reorder_point(db.session, booth=booth, product=product,
                                       reorder_point=body.reorder_point, by=current_user)
    answer = {"product_id": product.id, "reorder_point": level.reorder_point,
              "on_hand": level.on_hand}
    db.session.commit()
    return answer


@bp.post("/stock/adjustments")
@allow(*MANAGERS)
@takes(AdjustmentIn, messages={
    "id": N_("Mã (id) phải là một UUID."),
    "product_id": N_("Mã sản phẩm (product_id) phải là số nguyên dương."),
    "qty": N_("Số lượng điều chỉnh phải là số nguyên khác 0, tối đa 100.000."),
    "reason": N_("Cần lý do điều chỉnh: damage, loss, sample, expired, found hoặc other."),
    "note": N_("Ghi chú tối đa 300 ký tự."),
})
def create_adjustment(body: AdjustmentIn):
    """Book damage, loss, samples, expired or found goods: 201 with the move; the same
    ``id`` again answers 200 with the stored move and changes nothing."""
    move_id = normalise_id(body.id) if body.id is not None else None
    product = _known_product(body.product_id)
    move, created = adjust_stock(db.session, booth=current_booth(), product=product,
                                 qty=body.qty, reason=body.reason, note=body.note,
                                 by=current_user, move_id=move_id)
    answer = move_to_json(move)
    db.session.commit()
    return answer, 201 if created else 200
