"""Catalogue look-ups and the stock ledger. Only ``post_move`` writes stock."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from inventory.models import MOVE_KINDS, Barcode, Producer, Product, StockLevel, StockMove
from pos.errors import DomainError, NotFound
from pos.models import Booth, User
from pos.textfold import fold

MAX_SEARCH_RESULTS = 50
MAX_QUERY_LENGTH = 100  # longer searches are no product name, and SQLite's LIKE refuses them
MAX_ID = 2**31 - 1  # larger numbers are no row id, and overflow SQLite's integers
LOW_STOCK = 5  # at or below this a product shows as low and may be restocked


def post_move(session: Session, *, booth: Booth, product: Product, qty: int, kind: str,
              reference: str = "", note: str = "", by: User | None = None,
              move_id: str | None = None) -> StockMove:
    """Append a signed stock move and update the cached level in the same flush."""
    if kind not in MOVE_KINDS:
        raise DomainError(_("Loại biến động kho không hợp lệ: %(kind)s", kind=kind), field="kind")
    if not isinstance(qty, int) or isinstance(qty, bool) or qty == 0:
        raise DomainError(_("Số lượng phải là số nguyên khác 0."), field="qty")
    move = StockMove(booth_id=booth.id, product_id=product.id, qty=qty, kind=kind,
                     reference=reference, note=note, by_id=by.id if by else None)
    if move_id:
        move.id = move_id
    session.add(move)
    level = session.get(StockLevel, (booth.id, product.id))
    if level is None:
        level = StockLevel(booth_id=booth.id, product_id=product.id, on_hand=0)
        session.add(level)
    level.on_hand += qty
    session.flush()
    return move


def rebuild_levels(session: Session, *, booth: Booth | None = None) -> int:
    """Recompute cached levels from the ledger (the truth); returns how many changed."""
    sums = select(StockMove.booth_id, StockMove.product_id, func.sum(StockMove.qty)).group_by(
        StockMove.booth_id, StockMove.product_id)
    levels = select(StockLevel)
    if booth is not None:
        sums = sums.where(StockMove.booth_id == booth.id)
        levels = levels.where(StockLevel.booth_id == booth.id)
    truth = {(b, p): int(q) for b, p, q in session.execute(sums)}
    changed = 0
    for level in session.scalars(levels):
        expected = truth.pop((level.booth_id, level.product_id), 0)
        if level.on_hand != expected:
            level.on_hand = expected
            changed += 1
    for (booth_id, product_id), qty in truth.items():
        session.add(StockLevel(booth_id=booth_id, product_id=product_id, on_hand=qty))
        changed += 1
    session.flush()
    return changed


def on_hand(session: Session, *, booth: Booth, product_ids: list[int]) -> dict[int, int]:
    if not product_ids:
        return {}
    rows = session.execute(select(StockLevel.product_id, StockLevel.on_hand).where(
        StockLevel.booth_id == booth.id, StockLevel.product_id.in_(product_ids)))
    return {pid: qty for pid, qty in rows}


def get_product(session: Session, product_id: int) -> Product:
    """One product by id; an id no row can have (``0``, ``2**63``) is simply not found."""
    product = session.get(Product, product_id) if 0 < product_id <= MAX_ID else None
    if product is None:
        raise NotFound(_("Không có sản phẩm mã số %(id)s.", id=product_id), field="product_id",
                       code="unknown_product")
    return product


def search_products(session: Session, *, query: str, limit: int = 20) -> list[Product]:
    """Accent- and case-insensitive search over name, OCOP code, producer and barcode.

    Every word of the query must appear in the folded name or the producer's name;
    an exact code or barcode match comes first.
    """
    if len(query) > MAX_QUERY_LENGTH:
        raise DomainError(_("Từ khóa tìm kiếm quá dài (tối đa %(n)d ký tự).",
                            n=MAX_QUERY_LENGTH), field="q", code="query_too_long")
    limit = max(1, min(limit, MAX_SEARCH_RESULTS))
    folded = fold(query)
    base = select(Product).where(Product.active.is_(True)).options(
        selectinload(Product.producer), selectinload(Product.barcodes))
    if not folded:
        return list(session.scalars(base.order_by(Product.name).limit(limit)))
    exact = list(session.scalars(base.where(or_(
        Product.code == query.strip().upper(),  # codes are stored upper-case: indexed
        Product.id.in_(select(Barcode.product_id).where(Barcode.code == query.strip()))))))
    words = folded.split()
    matches = base.join(Producer)
    for word in words:
        pattern = f"%{word}%"
        matches = matches.where(or_(Product.name_folded.like(pattern),
                                    Producer.name_folded.like(pattern)))
    found = exact + [p for p in session.scalars(matches.order_by(Product.name).limit(limit))
                     if p not in exact]
    return found[:limit]


def product_to_json(product: Product, *, stock: int | None = None) -> dict:
    return {
        "id": product.id, "code": product.code, "name": product.name, "price": product.price,
        "vat_rate": product.vat_rate, "stars": product.stars, "unit": product.unit,
        "category": product.category, "certified_year": product.certified_year,
        "producer": {"id": product.producer.id, "name": product.producer.name,
                     "commune": product.producer.commune,
                     "district": product.producer.district},
        "barcodes": [b.code for b in product.barcodes],
        "on_hand": stock,
    }
