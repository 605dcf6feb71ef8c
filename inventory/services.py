"""Catalogue look-ups and the stock ledger. Only ``post_move`` writes stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from core.enums import SaleKind, SaleStatus
from core.errors import DomainError, NotFound
from core.models import Booth, User
from core.textfold import fold
from core.types import utcnow
from inventory.models import MOVE_KINDS, Barcode, Producer, Product, StockLevel, StockMove

MAX_SEARCH_RESULTS = 50
MAX_QUERY_LENGTH = 100  # longer searches are no product name, and SQLite's LIKE refuses them
MAX_ID = 2**31 - 1  # larger numbers are no row id, and overflow SQLite's integers
LOW_STOCK = 5  # at or below this a product shows as low and may be restocked


def post_move(session: Session, *, booth: Booth, product: Product, qty: int, kind: str,
              reference: str = "", note: str = "", by: User | None = None,
              move_id: str | None = None, reason: str = "",
              lot_id: int | None = None) -> StockMove:
    """Append a signed stock move and update the cached level in the same flush. A move
    is whole when written: the ledger refuses any later change."""
    if kind not in MOVE_KINDS:
        raise DomainError(_("Loại biến động kho không hợp lệ: %(kind)s", kind=kind), field="kind")
    if not isinstance(qty, int) or isinstance(qty, bool) or qty == 0:
        raise DomainError(_("Số lượng phải là số nguyên khác 0."), field="qty")
    move = StockMove(booth_id=booth.id, product_id=product.id, qty=qty, kind=kind,
                     reference=reference, note=note, by_id=by.id if by else None,
                     reason=reason, lot_id=lot_id)
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


def search_products(session: Session, *, query: str, limit: int = 20,
                    booth: Booth | None = None) -> list[Product]:
    """Accent- and case-insensitive search over name, OCOP code, producer and barcode.

    Every word of the query must appear in the folded name or the producer's name;
    an exact code or barcode match comes first, then products whose own name holds
    every word (a cashier types what is on the label, not who made it), and, with
    ``booth``, what is on that booth's shelf before what is not. A producer name in
    parentheses is a placeholder ("(chưa công bố tên)"), not text to search.
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
    producer_text = case((Producer.name_folded.like("(%"), ""), else_=Producer.name_folded)
    for word in words:
        pattern = f"%{word}%"
        matches = matches.where(or_(Product.name_folded.like(pattern),
                                    producer_text.like(pattern)))
    by_name = and_(*(Product.name_folded.like(f"%{word}%") for word in words))
    order = [case((by_name, 0), else_=1)]
    if booth is not None:
        matches = matches.outerjoin(StockLevel, (StockLevel.product_id == Product.id)
                                    & (StockLevel.booth_id == booth.id))
        order.append(case((func.coalesce(StockLevel.on_hand, 0) > 0, 0), else_=1))
    found = exact + [p for p in session.scalars(
        matches.order_by(*order, Product.name).limit(limit)) if p not in exact]
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


# --- the stock list --------------------------------------------------------------------------

STOCK_SORTS = ("name", "on_hand", "days_of_cover", "sold_30")
# The direction each sort takes unless told otherwise: what needs attention first.
STOCK_SORT_DEFAULT_DESC = {"name": False, "on_hand": False, "days_of_cover": False,
                           "sold_30": True}
STOCK_PER_PAGE = 50
MAX_STOCK_PER_PAGE = 200
MAX_REORDER_POINT = 100_000


@dataclass(frozen=True)
class StockRow:
    """One product's line of the stock list."""

    product_id: int
    code: str
    name: str
    price: int
    unit: str
    on_hand: int
    reorder_point: int | None
    sold_7: int
    sold_30: int

    @property
    def days_of_cover(self) -> float | None:
        """How many days the shelf lasts at the last 30 days' pace (None: nothing sold;
        0 when the shelf is empty or below zero)."""
        if self.sold_30 <= 0:
            return None
        return max(0.0, round(self.on_hand * 30 / self.sold_30, 1))

    @property
    def negative(self) -> bool:
        return self.on_hand < 0

    @property
    def low(self) -> bool:
        threshold = LOW_STOCK if self.reorder_point is None else self.reorder_point
        return self.on_hand <= threshold


@dataclass(frozen=True)
class StockPage:
    rows: list[StockRow]
    page: int
    per_page: int
    has_next: bool


def _sold_subquery(booth: Booth, now: datetime):
    """Units sold per product in the last 7 and 30 days at ``booth``: sale lines of
    completed sales minus lines of refunds, voided sales left out. Reads only the recent
    sales (``ix_sale_booth_created``), so its cost follows the sales, not the catalogue."""
    from pos.counter_models import Sale, SaleLine

    signed = case((Sale.kind == SaleKind.REFUND, -SaleLine.qty), else_=SaleLine.qty)
    return (select(SaleLine.product_id.label("product_id"),
                   func.sum(case((Sale.created_at >= now - timedelta(days=7), signed),
                                 else_=0)).label("sold_7"),
                   func.sum(signed).label("sold_30"))
            .join(Sale, Sale.id == SaleLine.sale_id)
            .where(Sale.booth_id == booth.id, Sale.status == SaleStatus.COMPLETED,
                   Sale.created_at >= now - timedelta(days=30))
            .group_by(SaleLine.product_id)).cte("sold")


def list_stock(session: Session, *, booth: Booth, query: str = "", sort: str = "name",
               descending: bool | None = None, low: bool = False, negative: bool = False,
               not_negative: bool = False, page: int = 1, per_page: int = STOCK_PER_PAGE,
               now: datetime | None = None) -> StockPage:
    """One page of the booth's stock with what was sold lately, in ONE statement.

    Each sort walks an index and stops after the page, so a big catalogue costs no more
    than a small one: by name, the accent-folded name's index (so "Bánh" sits with
    "Banh"); by on-hand, the level's index; by sales or days of cover, the products that
    sold (read from the recent sales), then the rest by name. The walks are written so
    that SQLite's planner finds them without statistics (a booth never runs ANALYZE):
    the name walk reads ``product`` alone and tests the shelf with EXISTS.
    ``low``: at or below the reorder point (``LOW_STOCK`` when none is set);
    ``negative``: below zero; ``not_negative``: zero or more.
    """
    if sort not in STOCK_SORTS:
        raise DomainError(_("Cách sắp xếp không hợp lệ: %(s)s (name, on_hand, days_of_cover, "
                            "sold_30).", s=sort[:30]), field="sort", code="bad_sort")
    if descending is None:
        descending = STOCK_SORT_DEFAULT_DESC[sort]
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_STOCK_PER_PAGE))
    window = page * per_page + 1  # enough rows to cut the page and see if one follows
    sold = _sold_subquery(booth, now or utcnow())
    greatest = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max

    def columns_with(product_id, on_hand, reorder_point) -> list:
        return [product_id.label("product_id"), Product.code, Product.name, Product.price,
                Product.unit, on_hand.label("on_hand"), reorder_point.label("reorder_point"),
                greatest(func.coalesce(sold.c.sold_7, 0), 0).label("sold_7"),
                greatest(func.coalesce(sold.c.sold_30, 0), 0).label("sold_30"),
                Product.name_folded.label("name_folded")]

    columns = columns_with(StockLevel.product_id, StockLevel.on_hand, StockLevel.reorder_point)

    shelf = [StockLevel.booth_id == booth.id]
    if low:
        shelf.append(StockLevel.on_hand <= func.coalesce(StockLevel.reorder_point, LOW_STOCK))
    if negative:
        shelf.append(StockLevel.on_hand < 0)
    if not_negative:
        shelf.append(StockLevel.on_hand >= 0)
    matches = []
    for word in fold(query or "").split()[:10]:
        pattern = f"%{word}%"
        matches.append(or_(Product.name_folded.like(pattern),
                           func.lower(Product.code).like(pattern),
                           Product.producer_id.in_(select(Producer.id).where(
                               Producer.name_folded.like(pattern)))))
    selling_ids = select(sold.c.product_id).where(sold.c.sold_30 > 0)

    def direction(column, desc: bool = descending):
        return column.desc() if desc else column.asc()

    def by_name(*extra, desc: bool):
        """Ids of the shelf's products in name order, cut to the window."""
        on_shelf = select(StockLevel.product_id).where(
            StockLevel.product_id == Product.id, *shelf).exists()
        return (select(Product.id.label("pid"), Product.name_folded.label("nf"))
                .where(on_shelf, *matches, *extra)
                .order_by(direction(Product.name_folded, desc), direction(Product.id, desc))
                .limit(window).subquery())

    def rows_of(ids):
        """The rows of a page of ids. The level is read by key per row: joined, SQLite
        without statistics would rather scan the booth's levels and look the ids up."""
        def level(column):
            return select(column).where(StockLevel.booth_id == booth.id,
                                        StockLevel.product_id == ids.c.pid).scalar_subquery()

        return (select(*columns_with(ids.c.pid, level(StockLevel.on_hand),
                                     level(StockLevel.reorder_point)))
                .select_from(ids)
                .join(Product, Product.id == ids.c.pid)
                .outerjoin(sold, sold.c.product_id == ids.c.pid))

    if sort == "name":
        ids = by_name(desc=descending)
        stmt = rows_of(ids).order_by(direction(ids.c.nf), direction(ids.c.pid))
    elif sort == "on_hand":
        stmt = (select(*columns).select_from(StockLevel)
                .join(Product, Product.id == StockLevel.product_id)
                .outerjoin(sold, sold.c.product_id == StockLevel.product_id)
                .where(*shelf, *matches)
                .order_by(direction(StockLevel.on_hand), direction(StockLevel.product_id)))
    else:
        # Two ordered halves, each cut to the window: what sold (by its figure) and what
        # did not (by name, its figure being none). Which half leads follows the direction.
        key = (sold.c.sold_30 if sort == "sold_30"
               else StockLevel.on_hand * 1.0 / sold.c.sold_30)
        sold_first = descending if sort == "sold_30" else not descending
        selling = (select(*columns, literal(0 if sold_first else 1).label("grp"),
                          key.label("k"))
                   .select_from(sold)
                   .join(StockLevel, and_(StockLevel.booth_id == booth.id,
                                          StockLevel.product_id == sold.c.product_id))
                   .join(Product, Product.id == sold.c.product_id)
                   .where(sold.c.sold_30 > 0, *shelf, *matches)
                   .order_by(direction(key), Product.name_folded, Product.id)
                   .limit(window).subquery())
        idle_ids = by_name(Product.id.not_in(selling_ids), desc=False)
        idle = rows_of(idle_ids).add_columns(literal(1 if sold_first else 0).label("grp"),
                                             null().label("k")).subquery()
        both = union_all(select(selling), select(idle)).subquery("both")
        stmt = select(*[both.c[c.key] for c in columns]).order_by(
            both.c.grp, direction(both.c.k), both.c.name_folded, both.c.product_id)
    rows = session.execute(stmt.limit(per_page + 1).offset((page - 1) * per_page)).all()
    return StockPage(rows=[StockRow(product_id=r.product_id, code=r.code, name=r.name,
                                    price=r.price, unit=r.unit, on_hand=r.on_hand,
                                    reorder_point=r.reorder_point, sold_7=int(r.sold_7),
                                    sold_30=int(r.sold_30)) for r in rows[:per_page]],
                     page=page, per_page=per_page, has_next=len(rows) > per_page)


def stock_row_to_json(row: StockRow) -> dict:
    """A stock list row; the first keys are the ones the list always had."""
    return {"product_id": row.product_id, "code": row.code, "name": row.name,
            "on_hand": row.on_hand, "low": row.low, "negative": row.negative,
            "product": {"id": row.product_id, "code": row.code, "name": row.name,
                        "price": row.price, "unit": row.unit},
            "reorder_point": row.reorder_point, "sold_7": row.sold_7, "sold_30": row.sold_30,
            "days_of_cover": row.days_of_cover}


def set_reorder_point(session: Session, *, booth: Booth, product: Product,
                      reorder_point: int | None, by: User) -> StockLevel:
    """Set (or clear, with None) the level at which ``product`` shows as low here.
    Writes no move: the quantity on hand is untouched. Audited."""
    if reorder_point is not None and (
            not isinstance(reorder_point, int) or isinstance(reorder_point, bool)
            or not 0 <= reorder_point <= MAX_REORDER_POINT):
        raise DomainError(_("Điểm đặt hàng lại phải là số nguyên từ 0 đến %(m)s, hoặc để "
                            "trống.", m=f"{MAX_REORDER_POINT:,}".replace(",", ".")),
                          field="reorder_point", code="bad_reorder_point")
    level = session.get(StockLevel, (booth.id, product.id))
    if level is None:
        level = StockLevel(booth_id=booth.id, product_id=product.id, on_hand=0)
        session.add(level)
    before = level.reorder_point
    level.reorder_point = reorder_point
    session.flush()
    from core.services import record_audit

    record_audit(session, action="reorder_point_set", actor=by, booth=booth,
                 target_type="product", target_id=str(product.id),
                 before={"reorder_point": before}, after={"reorder_point": reorder_point})
    return level


MAX_MOVES_SHOWN = 200


def recent_moves(session: Session, *, booth: Booth, product: Product,
                 limit: int = 50) -> list[dict]:
    """The product's latest moves here, newest first, each with the balance it left and
    the sale it belongs to: ``went_negative`` marks the moves that took the shelf below
    zero, so a manager sees which sales sold stock the books did not have."""
    from pos.counter_models import Sale

    limit = max(1, min(limit, MAX_MOVES_SHOWN))
    rows = session.execute(
        select(StockMove, Sale.id, User.username)
        .outerjoin(Sale, and_(Sale.number == StockMove.reference, Sale.booth_id == booth.id,
                              StockMove.kind.in_(("sale", "refund"))))
        .outerjoin(User, User.id == StockMove.by_id)
        .where(StockMove.booth_id == booth.id, StockMove.product_id == product.id)
        .order_by(StockMove.at.desc(), StockMove.id.desc()).limit(limit)).all()
    level = session.get(StockLevel, (booth.id, product.id))
    balance = level.on_hand if level is not None else 0
    moves = []
    for move, sale_id, username in rows:
        before = balance - move.qty
        moves.append({"id": move.id, "at": move.at.isoformat(), "kind": move.kind,
                      "qty": move.qty, "reference": move.reference, "sale_id": sale_id,
                      "reason": move.reason, "note": move.note, "by": username,
                      "balance_after": balance,
                      "went_negative": balance < 0 <= before})
        balance = before
    return moves


def ledger_differences(session: Session) -> list[dict]:
    """Every (location, product) whose cached level is not the ledger's sum, with both
    figures; empty when the cache is right. Reads only."""
    sums = dict(((b, p), int(q)) for b, p, q in session.execute(
        select(StockMove.booth_id, StockMove.product_id, func.sum(StockMove.qty))
        .group_by(StockMove.booth_id, StockMove.product_id)))
    cached = {(b, p): q for b, p, q in session.execute(
        select(StockLevel.booth_id, StockLevel.product_id, StockLevel.on_hand))}
    keys = sorted(k for k in sums.keys() | cached.keys()
                  if sums.get(k, 0) != cached.get(k, 0))
    if not keys:
        return []
    booths = dict(session.execute(select(Booth.id, Booth.code)).all())
    products = dict(session.execute(
        select(Product.id, Product.code).where(Product.id.in_({p for _b, p in keys}))).all())
    return [{"booth": booths.get(b, str(b)), "product_id": p, "code": products.get(p, ""),
             "cached": cached.get((b, p)), "ledger": sums.get((b, p), 0)} for b, p in keys]
