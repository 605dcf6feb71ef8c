"""The central office's warehouse: a stock location like a booth (same ledger, same
rules) that receives goods from producers and ships them to booths."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import StockMoveKind
from core.models import Booth, Venue

WAREHOUSE_CODE = "KHO-TT"
WAREHOUSE_VENUE = "VP-TT"


def central_warehouse(session: Session) -> Booth:
    """The warehouse location, created on first use."""
    warehouse = session.scalar(select(Booth).where(Booth.code == WAREHOUSE_CODE))
    if warehouse is None:
        venue = session.scalar(select(Venue).where(Venue.code == WAREHOUSE_VENUE))
        if venue is None:
            venue = Venue(code=WAREHOUSE_VENUE, name="Văn phòng điều phối OCOP Thanh Hóa",
                          kind="other", address="TP Thanh Hóa", district="TP Thanh Hóa")
            session.add(venue)
        warehouse = Booth(code=WAREHOUSE_CODE, name="Kho trung tâm", venue=venue,
                          kind="warehouse")
        session.add(warehouse)
        session.flush()
    return warehouse


def receive_consignment(session: Session, *, producer_id: int,
                        lines: list[dict], by, note: str = ""):
    """Goods a producer leaves with the warehouse on consignment: each line's quantity
    enters the warehouse's ledger (a lot when it has an expiry), at the agreed price."""
    from flask_babel import gettext as _
    from sqlalchemy import func

    from core.errors import DomainError, NotFound
    from core.types import utcnow
    from inventory.models import ConsignmentIntake, ConsignmentLine, Producer, Product, StockLot
    from inventory.services import post_move

    producer = session.get(Producer, producer_id)
    if producer is None:
        raise NotFound(_("Không có chủ thể mã số %(id)s.", id=producer_id), field="producer_id",
                       code="unknown_producer")
    if not lines:
        raise DomainError(_("Phiếu nhập cần ít nhất một dòng hàng."), field="lines")
    products = {}
    for i, line in enumerate(lines):
        product = session.get(Product, line["product_id"])
        if product is None or product.producer_id != producer.id:
            raise DomainError(_("Sản phẩm %(id)s không phải của chủ thể này.",
                                id=line["product_id"]), field=f"lines[{i}].product_id",
                              code="unknown_product")
        if not 1 <= line["qty"] <= 100_000:
            raise DomainError(_("Số lượng phải từ 1 đến 100.000."), field=f"lines[{i}].qty",
                              code="bad_quantity")
        if not 0 <= line["agreed_price"] <= 2_000_000_000:
            raise DomainError(_("Giá thỏa thuận phải là số nguyên đồng không âm."),
                              field=f"lines[{i}].agreed_price")
        products[i] = product
    warehouse = central_warehouse(session)
    session.execute(select(Booth.id).where(Booth.id == warehouse.id).with_for_update())
    count = session.scalar(select(func.count(ConsignmentIntake.id))) or 0
    intake = ConsignmentIntake(number=f"NK-{count + 1:05d}", producer_id=producer.id,
                               warehouse_id=warehouse.id, received_at=utcnow(),
                               received_by=by.username, note=(note or "")[:300])
    intake.lines = [ConsignmentLine(position=i, product_id=line["product_id"],
                                    qty=line["qty"], agreed_price=line["agreed_price"],
                                    lot_code=(line.get("lot_code") or "")[:40],
                                    expires_on=line.get("expires_on"))
                    for i, line in enumerate(lines)]
    session.add(intake)
    session.flush()
    for i, line in enumerate(intake.lines):
        lot = None
        if line.expires_on is not None or line.lot_code:
            lot = StockLot(booth_id=warehouse.id, product_id=line.product_id,
                           lot_code=line.lot_code, expires_on=line.expires_on, qty=line.qty,
                           reference=intake.number)
            session.add(lot)
            session.flush()
        post_move(session, booth=warehouse, product=products[i], qty=line.qty,
                  kind=StockMoveKind.RECEIVE, reference=intake.number, by=by,
                  lot_id=lot.id if lot else None)
    session.flush()
    return intake


def in_transit(session: Session) -> list[dict]:
    """What has left the warehouse and no booth has counted yet, per transfer."""
    from inventory.models import Transfer

    rows = session.scalars(select(Transfer).where(Transfer.received_at.is_(None))
                           .order_by(Transfer.shipped_at)).all()
    return [{"transfer": t.number, "id": t.id, "booth_id": t.booth_id,
             "shipped_at": t.shipped_at.isoformat(),
             "qty": sum(line.qty for line in t.lines)} for t in rows]
