"""Stock changed by hand: damage, loss, samples, expired goods, goods found. Each one is a
move in the ledger with its reason code, an audit entry and an event for central."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import EventType
from core.errors import Conflict, DomainError
from core.models import Booth, User
from core.services import record_audit
from core.types import utcnow
from inventory.models import ADJUST_REASONS, Product, StockLot, StockMove
from inventory.services import post_move
from sync.outbox import append_event

MAX_ADJUST_QTY = 100_000


def move_to_json(move: StockMove) -> dict:
    return {"id": move.id, "product_id": move.product_id, "qty": move.qty, "kind": move.kind,
            "reason": move.reason, "reference": move.reference, "note": move.note,
            "lot_id": move.lot_id, "at": move.at.isoformat()}


def adjust_stock(session: Session, *, booth: Booth, product: Product, qty: int, reason: str,
                 by: User, note: str = "", move_id: str | None = None,
                 lot: StockLot | None = None) -> tuple[StockMove, bool]:
    """Book a signed change of stock with its reason (``ADJUST_REASONS``); ``expired``
    books an ``expire`` move. The same ``move_id`` again returns the stored move
    (``created`` False) and changes nothing. Audited; central hears of it."""
    if not isinstance(qty, int) or isinstance(qty, bool) or qty == 0 \
            or abs(qty) > MAX_ADJUST_QTY:
        raise DomainError(_("Số lượng điều chỉnh phải là số nguyên khác 0, tối đa %(n)s.",
                            n=f"{MAX_ADJUST_QTY:,}".replace(",", ".")), field="qty",
                          code="bad_quantity")
    if reason not in ADJUST_REASONS:
        raise DomainError(_("Lý do điều chỉnh không hợp lệ: %(r)s.", r=reason), field="reason",
                          code="bad_reason")
    if reason in ("damage", "loss", "sample", "expired") and qty > 0:
        raise DomainError(_("Hàng hỏng, mất, mẫu hoặc hết hạn chỉ làm giảm tồn kho."),
                          field="qty", code="bad_quantity")
    if lot is not None and (lot.booth_id != booth.id or lot.product_id != product.id):
        raise DomainError(_("Lô hàng không thuộc sản phẩm này ở quầy này."), field="lot_id")
    session.execute(select(Booth.id).where(Booth.id == booth.id).with_for_update())
    if move_id is not None:
        existing = session.get(StockMove, move_id)
        if existing is not None:
            if (existing.booth_id, existing.product_id, existing.qty, existing.reason) != (
                    booth.id, product.id, qty, reason):
                raise Conflict(_("Mã điều chỉnh %(id)s đã được dùng cho việc khác.",
                                 id=move_id), field="id", code="id_reused")
            return existing, False
    kind = "expire" if reason == "expired" else "adjust"
    move = post_move(session, booth=booth, product=product, qty=qty, kind=kind,
                     reference=f"DC-{utcnow():%Y%m%d}", note=(note or "")[:300], by=by,
                     move_id=move_id, reason=reason,
                     lot_id=lot.id if lot is not None else None)
    if lot is not None and reason == "expired":
        lot.written_off_at = utcnow()
    session.flush()
    record_audit(session, action="stock_adjust", actor=by, booth=booth, target_type="product",
                 target_id=str(product.id), after={"qty": qty, "reason": reason,
                                                   "move": move.id}, reason=move.note)
    append_event(session, booth=booth, type=EventType.STOCK_ADJUSTED, occurred_at=move.at,
                 payload={"booth": booth.code, "by": by.username, "move": move_to_json(move)})
    session.flush()
    return move, True
