"""Transfers: central ships goods to a booth; the booth counts what arrived.

Each side asserts only its own physical fact (docs/sync-research.md §2.5): central what it
shipped, the booth what it received. A difference is recorded as one, never hidden: the
transfer becomes ``discrepancy`` and central's report shows each line's shortfall or
surplus.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.enums import EventType, StockMoveKind
from core.errors import Conflict, DomainError, NotFound
from core.models import Booth, User
from core.types import utcnow
from inventory.lots import create_lot
from inventory.models import Product, Transfer, TransferLine
from inventory.services import post_move
from sync.feeds import bump_feed
from sync.outbox import append_event

MAX_TRANSFER_LINES = 500
MAX_TRANSFER_QTY = 100_000


def _whole(value, field: str, *, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) \
            or not minimum <= value <= MAX_TRANSFER_QTY:
        raise DomainError(_("Số lượng phải là số nguyên từ %(a)d đến %(b)d.", a=minimum,
                            b=MAX_TRANSFER_QTY), field=field, code="bad_quantity")
    return value


def ship_transfer(session: Session, *, booth: Booth, lines: list[tuple[int, int]], by: User,
                  note: str = "", request_id: str | None = None) -> Transfer:
    """Central ships ``(product_id, qty)`` lines from its warehouse to a booth (by hand,
    or answering the booth's restock request): the goods leave the warehouse's ledger and
    are in transit until the booth, which pulls the transfer with the transfers feed,
    counts them."""
    from inventory.models import RestockRequest
    from inventory.warehouse import central_warehouse

    if booth.kind != "booth":
        raise DomainError(_("Chỉ chuyển hàng tới một quầy bán."), field="booth")
    request = None
    if request_id is not None:
        request = session.get(RestockRequest, request_id)
        if request is None or request.booth_id != booth.id:
            raise NotFound(_("Không có yêu cầu bổ sung hàng %(id)s của quầy này.",
                             id=request_id), field="request_id", code="unknown_request")
        if request.status != "requested":
            raise Conflict(_("Yêu cầu %(n)s đã được xử lý.", n=request.number),
                           field="request_id", code="request_closed")
    if not lines:
        raise DomainError(_("Phiếu chuyển cần ít nhất một dòng hàng."), field="lines")
    if len(lines) > MAX_TRANSFER_LINES:
        raise DomainError(_("Phiếu chuyển có quá nhiều dòng."), field="lines")
    seen: set[int] = set()
    for i, (product_id, qty) in enumerate(lines):
        _whole(qty, f"lines[{i}].qty", minimum=1)
        if product_id in seen:
            raise DomainError(_("Sản phẩm %(id)s xuất hiện hai lần.", id=product_id),
                              field=f"lines[{i}].product_id", code="duplicate_product")
        seen.add(product_id)
    known = set(session.scalars(select(Product.id).where(Product.id.in_(seen),
                                                         Product.active.is_(True))))
    for i, (product_id, _qty) in enumerate(lines):
        if product_id not in known:
            raise DomainError(_("Không có sản phẩm đang bán mã số %(id)s.", id=product_id),
                              field=f"lines[{i}].product_id", code="unknown_product")
    version = bump_feed(session, "transfers")  # also serialises the numbering below
    count = session.scalar(select(func.count(Transfer.id)).where(
        Transfer.booth_id == booth.id)) or 0
    transfer = Transfer(number=f"PC-{booth.code}-{count + 1:05d}", booth_id=booth.id,
                        status="shipped", shipped_at=utcnow(), shipped_by=by.username,
                        note=(note or "")[:300], version=version,
                        request_id=request.id if request else None)
    transfer.lines = [TransferLine(position=i, product_id=product_id, qty=qty)
                      for i, (product_id, qty) in enumerate(lines)]
    session.add(transfer)
    session.flush()
    warehouse = central_warehouse(session)
    for line in transfer.lines:
        post_move(session, booth=warehouse, product=session.get(Product, line.product_id),
                  qty=-line.qty, kind=StockMoveKind.TRANSFER_OUT, reference=transfer.number, by=by)
    if request is not None:
        request.status = "shipped"
        request.transfer_id = transfer.id
    session.flush()
    return transfer


def get_transfer(session: Session, *, booth: Booth | None, transfer_id: str) -> Transfer:
    transfer = session.get(Transfer, transfer_id, options=[selectinload(Transfer.lines)])
    if transfer is None or (booth is not None and transfer.booth_id != booth.id):
        raise NotFound(_("Không tìm thấy phiếu chuyển %(id)s.", id=transfer_id),
                       code="transfer_not_found")
    return transfer


def receive_transfer(session: Session, *, booth: Booth, transfer: Transfer,
                     received: list[tuple[int, int]], by: User,
                     lots: dict[int, tuple[str, date | None]] | None = None) -> Transfer:
    """The booth books what arrived, line by line (every shipped line counted, zero
    allowed); the counted quantities enter the ledger, and the event tells central.
    ``lots`` (product id → lot code, expiry) makes a perishable line a lot of its own."""
    lots = lots or {}
    if transfer.booth_id != booth.id:
        raise NotFound(_("Không tìm thấy phiếu chuyển %(id)s.", id=transfer.id),
                       code="transfer_not_found")
    shipped = {line.product_id: line for line in transfer.lines}
    counts: dict[int, int] = {}
    for i, (product_id, qty) in enumerate(received):
        _whole(qty, f"lines[{i}].received", minimum=0)
        if product_id not in shipped:
            raise DomainError(_("Sản phẩm %(id)s không có trong phiếu chuyển.", id=product_id),
                              field=f"lines[{i}].product_id", code="not_in_transfer")
        if product_id in counts:
            raise DomainError(_("Sản phẩm %(id)s được đếm hai lần.", id=product_id),
                              field=f"lines[{i}].product_id", code="duplicate_product")
        counts[product_id] = qty
    missing = [line.product.name for pid, line in shipped.items() if pid not in counts]
    if missing:
        raise DomainError(_("Chưa đếm: %(names)s.", names=", ".join(missing)), field="lines",
                          code="line_not_counted")
    session.execute(select(Booth.id).where(Booth.id == booth.id).with_for_update())
    session.refresh(transfer)
    if transfer.received_at is not None:
        raise Conflict(_("Phiếu chuyển %(n)s đã được nhận.", n=transfer.number),
                       code="already_received")
    now = utcnow()
    for product_id, line in shipped.items():
        line.received = counts[product_id]
        if counts[product_id]:
            lot_id = None
            if product_id in lots and any(lots[product_id]):
                lot_id = create_lot(
                    session, booth=booth, product_id=product_id, qty=counts[product_id],
                    lot_code=lots[product_id][0], expires_on=lots[product_id][1],
                    reference=transfer.number).id
            post_move(session, booth=booth, product=line.product, qty=counts[product_id],
                      kind=StockMoveKind.TRANSFER_IN, reference=transfer.number, by=by,
                      lot_id=lot_id)
    exact = all(line.received == line.qty for line in transfer.lines)
    transfer.status = "received" if exact else "discrepancy"
    transfer.received_at = now
    transfer.received_by = by.username
    append_event(session, booth=booth, type=EventType.TRANSFER_RECEIVED, occurred_at=now,
                 payload={"transfer_id": transfer.id, "number": transfer.number,
                          "booth": booth.code, "by": by.username, "at": now.isoformat(),
                          "lines": [{"product_id": pid, "received": qty}
                                    | _lot_fields(lots, pid) for pid, qty in counts.items()]})
    session.flush()
    return transfer


def _lot_fields(lots: dict, product_id: int) -> dict:
    if product_id not in lots or not any(lots[product_id]):
        return {}
    code, expires_on = lots[product_id]
    return {"lot_code": code, "expires_on": expires_on.isoformat() if expires_on else None}


def transfer_differences(transfer: Transfer) -> list[dict]:
    """Each line whose count differs from what was shipped (negative: short)."""
    return [{"product_id": line.product_id, "name": line.product.name, "shipped": line.qty,
             "received": line.received, "difference": line.received - line.qty}
            for line in transfer.lines
            if line.received is not None and line.received != line.qty]
