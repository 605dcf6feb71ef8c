"""Lots and expiry of perishables (nem chua lasts days, not months).

The till never asks for a lot. What is left of each lot is derived, first-expiry-first-out:
a product's on-hand is given to its latest-expiring lots first, so whatever was sold (or
found missing at a stocktake) is taken from the lots that expire soonest. Stock that came
in without a lot (opening stock, non-perishables) is treated as the oldest.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import Conflict, DomainError, NotFound
from core.models import Booth, User
from core.types import utcnow
from inventory.adjustments import adjust_stock
from inventory.models import StockLevel, StockLot, StockMove

BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_LOT_CODE = 40
MAX_EXPIRING_DAYS = 365


def business_today() -> date:
    """Today in Thanh Hóa: a lot "expires today" by the local calendar, not UTC's."""
    return utcnow().astimezone(BUSINESS_TZ).date()


def parse_lot(lot_code: object, expires_on: object, *, field: str) -> tuple[str, date | None]:
    """Validate a received line's lot code and expiry (ISO date or ``None``)."""
    if lot_code is None:
        lot_code = ""
    if not isinstance(lot_code, str) or len(lot_code.strip()) > MAX_LOT_CODE:
        raise DomainError(_("Mã lô phải là chuỗi tối đa %(n)d ký tự.", n=MAX_LOT_CODE),
                          field=f"{field}.lot_code", code="bad_lot")
    if expires_on is None or isinstance(expires_on, date):
        return lot_code.strip(), expires_on
    try:
        return lot_code.strip(), date.fromisoformat(str(expires_on))
    except ValueError:
        raise DomainError(_("Hạn dùng phải là ngày dạng YYYY-MM-DD."),
                          field=f"{field}.expires_on", code="bad_date") from None


def create_lot(session: Session, *, booth: Booth, product_id: int, qty: int, lot_code: str,
               expires_on: date | None, reference: str) -> StockLot:
    """A received batch; the caller books the move and points its ``lot_id`` here."""
    lot = StockLot(booth_id=booth.id, product_id=product_id, lot_code=lot_code[:MAX_LOT_CODE],
                   expires_on=expires_on, qty=qty, reference=reference[:100])
    session.add(lot)
    session.flush()
    return lot


def _fefo_key(lot: StockLot) -> tuple:
    # Latest expiry first (no expiry counts as latest), then the newest receipt.
    return (lot.expires_on is None, lot.expires_on or date.min, lot.received_at, lot.id)


def remaining_by_lot(session: Session, *, booth: Booth,
                     product_ids: list[int] | None = None) -> dict[int, int]:
    """What is left of each live lot (lot id → units), FEFO: the product's on-hand fills
    its latest-expiring lots first, each up to what it received. Two queries."""
    query = select(StockLot).where(StockLot.booth_id == booth.id,
                                   StockLot.written_off_at.is_(None))
    if product_ids is not None:
        query = query.where(StockLot.product_id.in_(product_ids))
    lots = session.scalars(query).all()
    if not lots:
        return {}
    wanted = {lot.product_id for lot in lots}
    levels = dict(session.execute(select(StockLevel.product_id, StockLevel.on_hand).where(
        StockLevel.booth_id == booth.id, StockLevel.product_id.in_(wanted))).all())
    remaining: dict[int, int] = {}
    by_product: dict[int, list[StockLot]] = {}
    for lot in lots:
        by_product.setdefault(lot.product_id, []).append(lot)
    for product_id, product_lots in by_product.items():
        left = max(levels.get(product_id, 0), 0)
        for lot in sorted(product_lots, key=_fefo_key, reverse=True):
            take = min(lot.qty, left)
            remaining[lot.id] = take
            left -= take
    return remaining


def expiring_lots(session: Session, *, booth: Booth, days: int,
                  today: date | None = None) -> dict:
    """Lots with stock left that expire within ``days`` (or already have), soonest first,
    each marked with what to do: write it off (expired) or sell it first (FEFO)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_EXPIRING_DAYS:
        raise DomainError(_("Số ngày phải là số nguyên từ 0 đến %(n)d.", n=MAX_EXPIRING_DAYS),
                          field="days", code="invalid")
    today = today or business_today()
    limit = today + timedelta(days=days)
    candidates = session.scalars(select(StockLot).where(
        StockLot.booth_id == booth.id, StockLot.written_off_at.is_(None),
        StockLot.expires_on.is_not(None), StockLot.expires_on <= limit)
        .options(selectinload(StockLot.product))).all()
    remaining = remaining_by_lot(session, booth=booth,
                                 product_ids=sorted({lot.product_id for lot in candidates}))
    live = [lot for lot in candidates if remaining.get(lot.id, 0) > 0]
    live.sort(key=lambda lot: (lot.expires_on, lot.product.name, lot.id))
    # The lot to sell first of each product: the soonest-expiring one still sellable.
    first: dict[int, int] = {}
    for lot in live:
        if lot.expires_on >= today:
            first.setdefault(lot.product_id, lot.id)
    rows = []
    for lot in live:
        expired = lot.expires_on < today
        left = remaining[lot.id]
        rows.append({
            "id": lot.id, "product_id": lot.product_id, "code": lot.product.code,
            "name": lot.product.name, "lot_code": lot.lot_code,
            "expires_on": lot.expires_on.isoformat(),
            "days_left": (lot.expires_on - today).days, "expired": expired,
            "received": lot.qty, "remaining": left, "value": left * lot.product.price,
            "sell_first": first.get(lot.product_id) == lot.id,
            "action": "write_off" if expired else (
                "sell_first" if first.get(lot.product_id) == lot.id else "sell"),
        })
    return {"today": today.isoformat(), "days": days, "lots": rows,
            "fefo": [{"product_id": r["product_id"], "name": r["name"], "lot_id": r["id"],
                      "lot_code": r["lot_code"], "expires_on": r["expires_on"]}
                     for r in rows if r["sell_first"]]}


def get_lot(session: Session, *, booth: Booth, lot_id: int) -> StockLot:
    """This booth's lot; 404 for another booth's or an unknown one."""
    lot = session.get(StockLot, lot_id)
    if lot is None or lot.booth_id != booth.id:
        raise NotFound(_("Không có lô hàng mã số %(id)s ở quầy này.", id=lot_id),
                       field="lot_id", code="unknown_lot")
    return lot


def write_off_lot(session: Session, *, booth: Booth, lot: StockLot, by: User,
                  note: str = "", today: date | None = None) -> StockMove:
    """Take what is left of an expired lot out of stock (an ``expire`` move with the lot,
    reason ``expired``, audited and sent to central). A lot still in date is refused:
    spoiled goods before their date are damage, booked as an adjustment."""
    today = today or business_today()
    session.execute(select(Booth.id).where(Booth.id == booth.id).with_for_update())
    session.refresh(lot)
    if lot.written_off_at is not None:
        raise Conflict(_("Lô %(lot)s đã được hủy trước đó.", lot=lot.lot_code or lot.id),
                       field="lot_id", code="already_written_off")
    if lot.expires_on is None or lot.expires_on >= today:
        raise Conflict(_("Lô %(lot)s chưa hết hạn: chỉ hủy được lô đã quá hạn dùng.",
                         lot=lot.lot_code or lot.id), field="lot_id", code="not_expired")
    left = remaining_by_lot(session, booth=booth, product_ids=[lot.product_id]).get(lot.id, 0)
    if left <= 0:
        raise Conflict(_("Lô %(lot)s không còn hàng để hủy (đã bán hết theo hạn dùng).",
                         lot=lot.lot_code or lot.id), field="lot_id", code="nothing_left")
    note = note or _("Hủy lô %(lot)s hết hạn %(d)s", lot=lot.lot_code or lot.id,
                     d=lot.expires_on.strftime("%d/%m/%Y"))
    move, _created = adjust_stock(session, booth=booth, product=lot.product, qty=-left,
                                  reason="expired", by=by, note=note, lot=lot)
    return move


def lot_to_json(lot: StockLot, remaining: int | None = None) -> dict:
    """A lot as the API shows it (``remaining`` from :func:`remaining_by_lot`)."""
    return {"id": lot.id, "product_id": lot.product_id, "lot_code": lot.lot_code,
            "expires_on": lot.expires_on.isoformat() if lot.expires_on else None,
            "received": lot.qty, "remaining": remaining,
            "written_off_at": lot.written_off_at.isoformat() if lot.written_off_at else None}
