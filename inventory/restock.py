"""Restock requests: what the booth asks central for, suggested from sell-through.

A product is suggested when it is at or below its reorder point, or when the last 30
days' sales leave it fewer than ``MIN_COVER_DAYS`` of cover; the suggestion fills it up to
``TARGET_COVER_DAYS`` of cover or to the reorder point plus a margin, whichever is more,
minus what is already asked for or on its way. The request travels up with the next sync.
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.enums import EventType
from core.errors import Conflict, DomainError
from core.models import Booth, User
from core.services import record_audit
from core.types import utcnow
from inventory.models import (
    Product,
    RestockLine,
    RestockRequest,
    StockLevel,
    StockMove,
    Transfer,
    TransferLine,
)
from inventory.services import LOW_STOCK
from sync.outbox import append_event

SALES_WINDOW_DAYS = 30
MIN_COVER_DAYS = 7
TARGET_COVER_DAYS = 14
MAX_LINES = 200
MAX_QTY = 100_000
MAX_NOTE = 300


def _margin(reorder_point: int) -> int:
    """Room above the reorder point, so a restock is not due again the next day."""
    return max(3, math.ceil(reorder_point / 2))


def restock_suggestions(session: Session, *, booth: Booth) -> list[dict]:
    """Products that need restocking, lowest cover first, each with a suggested quantity.
    Three queries whatever the size of the catalogue."""
    since = utcnow() - timedelta(days=SALES_WINDOW_DAYS)
    sold = dict(session.execute(
        select(StockMove.product_id, -func.sum(StockMove.qty)).where(
            StockMove.booth_id == booth.id, StockMove.kind.in_(("sale", "refund")),
            StockMove.at >= since).group_by(StockMove.product_id)).all())
    requested = dict(session.execute(
        select(RestockLine.product_id, func.sum(RestockLine.qty)).join(RestockRequest).where(
            RestockRequest.booth_id == booth.id, RestockRequest.status == "requested")
        .group_by(RestockLine.product_id)).all())
    in_transit = dict(session.execute(
        select(TransferLine.product_id, func.sum(TransferLine.qty)).join(Transfer).where(
            Transfer.booth_id == booth.id, Transfer.received_at.is_(None))
        .group_by(TransferLine.product_id)).all())
    rows = session.execute(select(StockLevel, Product).join(
        Product, Product.id == StockLevel.product_id).where(
        StockLevel.booth_id == booth.id, Product.active.is_(True))).all()
    found = []
    for level, product in rows:
        sold_30 = max(int(sold.get(product.id) or 0), 0)
        daily = sold_30 / SALES_WINDOW_DAYS
        reorder = level.reorder_point if level.reorder_point is not None else LOW_STOCK
        cover = level.on_hand / daily if daily else None
        low = level.on_hand <= reorder
        short_cover = cover is not None and cover < MIN_COVER_DAYS
        if not (low or short_cover):
            continue
        target = max(math.ceil(TARGET_COVER_DAYS * daily), reorder + _margin(reorder))
        coming = int(requested.get(product.id) or 0) + int(in_transit.get(product.id) or 0)
        qty = target - level.on_hand - coming
        if qty <= 0:
            continue
        found.append({
            "product_id": product.id, "code": product.code, "name": product.name,
            "unit": product.unit, "on_hand": level.on_hand, "reorder_point": reorder,
            "sold_30d": sold_30, "days_of_cover": round(cover, 1) if cover is not None else None,
            "requested": int(requested.get(product.id) or 0),
            "in_transit": int(in_transit.get(product.id) or 0),
            "suggested_qty": qty,
            "why": "reorder_point" if low else "cover",
        })
    found.sort(key=lambda r: (r["days_of_cover"] if r["days_of_cover"] is not None
                              else math.inf, r["on_hand"], r["name"]))
    return found


def _check_lines(session: Session, lines: object) -> list[tuple[int, int]]:
    if not isinstance(lines, list) or not lines:
        raise DomainError(_("Yêu cầu cần ít nhất một dòng hàng."), field="lines",
                          code="invalid")
    if len(lines) > MAX_LINES:
        raise DomainError(_("Yêu cầu có quá nhiều dòng (tối đa %(n)d).", n=MAX_LINES),
                          field="lines")
    checked: list[tuple[int, int]] = []
    seen: set[int] = set()
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise DomainError(_("Mỗi dòng là một đối tượng {product_id, qty}."),
                              field=f"lines[{i}]", code="invalid")
        product_id, qty = line.get("product_id"), line.get("qty")
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
            raise DomainError(_("Số lượng yêu cầu phải là số nguyên từ 1 đến %(n)s "
                                "(dòng %(i)d).", n=f"{MAX_QTY:,}".replace(",", "."), i=i + 1),
                              field=f"lines[{i}].qty", code="bad_quantity")
        if isinstance(product_id, bool) or not isinstance(product_id, int):
            raise DomainError(_("Mã sản phẩm phải là số nguyên (dòng %(i)d).", i=i + 1),
                              field=f"lines[{i}].product_id", code="invalid")
        if product_id in seen:
            raise DomainError(_("Sản phẩm %(id)s xuất hiện hai lần.", id=product_id),
                              field=f"lines[{i}].product_id", code="duplicate_product")
        seen.add(product_id)
        checked.append((product_id, qty))
    known = set(session.scalars(select(Product.id).where(Product.id.in_(seen),
                                                         Product.active.is_(True))))
    for i, (product_id, _qty) in enumerate(checked):
        if product_id not in known:
            raise DomainError(_("Không có sản phẩm đang bán mã số %(id)s.", id=product_id),
                              field=f"lines[{i}].product_id", code="unknown_product")
    return checked


def create_restock_request(session: Session, *, booth: Booth, lines: object, by: User,
                           note: object = "", request_id: str | None = None
                           ) -> tuple[RestockRequest, bool]:
    """Ask central for goods. Numbered ``YC-<booth>-00001`` per booth, audited, and sent
    up as ``restock_requested``. The same ``request_id`` with the same lines returns the
    stored request (``created`` False); with other lines it is refused."""
    checked = _check_lines(session, lines)
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise DomainError(_("Ghi chú tối đa %(n)d ký tự.", n=MAX_NOTE), field="note")
    session.execute(select(Booth.id).where(Booth.id == booth.id).with_for_update())
    if request_id is not None:
        existing = session.get(RestockRequest, request_id)
        if existing is not None:
            if existing.booth_id != booth.id or [(line.product_id, line.qty)
                                                 for line in existing.lines] != checked:
                raise Conflict(_("Mã yêu cầu %(id)s đã được dùng cho một yêu cầu khác.",
                                 id=request_id), field="id", code="id_reused")
            return existing, False
    count = session.scalar(select(func.count(RestockRequest.id)).where(
        RestockRequest.booth_id == booth.id)) or 0
    now = utcnow()
    request = RestockRequest(booth_id=booth.id, number=f"YC-{booth.code}-{count + 1:05d}",
                             status="requested", note=note.strip(), requested_at=now,
                             requested_by=by.username)
    if request_id is not None:
        request.id = request_id
    request.lines = [RestockLine(position=i, product_id=pid, qty=qty)
                     for i, (pid, qty) in enumerate(checked)]
    session.add(request)
    session.flush()
    record_audit(session, action="restock_request", actor=by, booth=booth,
                 target_type="restock_request", target_id=request.id,
                 after={"number": request.number, "lines": len(checked),
                        "qty": sum(q for _p, q in checked)}, reason=request.note)
    append_event(session, booth=booth, type=EventType.RESTOCK_REQUESTED, occurred_at=now,
                 payload=restock_to_json(request) | {"booth": booth.code, "by": by.username})
    session.flush()
    return request, True


def list_requests(session: Session, *, booth: Booth, limit: int = 100) -> list[RestockRequest]:
    """The booth's requests, newest first, with their lines and products."""
    return list(session.scalars(select(RestockRequest).where(
        RestockRequest.booth_id == booth.id).options(
        selectinload(RestockRequest.lines).selectinload(RestockLine.product))
        .order_by(RestockRequest.requested_at.desc()).limit(limit)))


def restock_to_json(request: RestockRequest) -> dict:
    """A request as the API shows it and as the ``restock_requested`` event carries it."""
    return {"id": request.id, "number": request.number, "status": request.status,
            "note": request.note, "requested_at": request.requested_at.isoformat(),
            "requested_by": request.requested_by, "transfer_id": request.transfer_id,
            "lines": [{"product_id": line.product_id, "qty": line.qty}
                      for line in request.lines]}
