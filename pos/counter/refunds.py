"""Refunds and voids: money back for returned goods, and a sale cancelled while its
shift is open. Both need a manager and take the booth's write lock first (they are rare,
and read what they change)."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.enums import EventType, PaymentMethod, SaleKind, SaleStatus, ShiftStatus, StockMoveKind
from core.errors import Conflict, DomainError, Forbidden
from core.models import Booth, User
from core.services import record_audit
from inventory.models import Product
from inventory.services import post_move
from pos.counter.common import (
    MAX_QTY,
    NoOpenShift,
    is_manager_of,
    lock_booth,
    normalise_id,
    now,
    require,
)
from pos.counter.sales import next_sale_number, queue_receipt, replay, sale_to_json
from pos.counter.shifts import current_shift
from pos.counter_models import PAYMENT_METHODS, Payment, Sale, SaleLine, Shift
from sync.outbox import append_event, canonical_hash


def _insert_sale(session: Session, build) -> Sale | None:
    """Insert inside a savepoint; if another request inserted the same id first, return
    None so the caller answers with that one."""
    try:
        with session.begin_nested():
            return build()
    except IntegrityError:
        return None


def _insert_or_replay(session: Session, build, *, sale_id: str, request_hash: str,
                      kind: str) -> tuple[Sale, bool]:
    """Insert the new sale or refund; when a concurrent copy of the same request won the
    race, answer with the stored one instead: ``(sale, created)``."""
    sale = _insert_sale(session, build)
    if sale is not None:
        return sale, True
    existing = session.get(Sale, sale_id)
    if existing is None:
        raise Conflict(_("Không ghi được hóa đơn, vui lòng thử lại."), code="retry")
    return replay(existing, request_hash, kind), False


def refund_sale(session: Session, *, booth: Booth, actor: User, original: Sale,
                refund_id: str | None, lines: list[tuple[int, int]], reason: str,
                method: str | None = None) -> tuple[Sale, bool]:
    """Give money back for returned goods: a ``refund`` sale linked to ``original``,
    stock back in. Never more than sold minus already refunded, per product. Paid back by
    ``method`` (cash or one the customer used), by default the original's only method,
    else cash. Needs a manager of this booth."""
    if not is_manager_of(actor, booth):
        raise Forbidden(_("Chỉ quản lý mới được hoàn tiền."))
    refund_id = normalise_id(refund_id)
    reason = require(reason, "reason", _("Cần ghi lý do hoàn tiền."))
    if not lines:
        raise DomainError(_("Cần ít nhất một dòng hàng để hoàn."), field="lines")
    wanted: dict[int, int] = defaultdict(int)
    for i, (product_id, qty) in enumerate(lines):
        if not 1 <= qty <= MAX_QTY:
            raise DomainError(_("Số lượng phải từ 1 đến %(max)d.", max=MAX_QTY),
                              field=f"lines[{i}].qty")
        wanted[product_id] += qty
    request_hash = canonical_hash({"refund_of": original.id, "lines": lines, "reason": reason,
                                  "method": method})
    lock_booth(session, booth)
    existing = session.get(Sale, refund_id)
    if existing is not None:
        return replay(existing, request_hash, SaleKind.REFUND), False
    if original.kind != SaleKind.SALE:
        raise Conflict(_("Không thể hoàn tiền một phiếu hoàn."), code="not_refundable")
    session.refresh(original)
    if original.status != SaleStatus.COMPLETED:
        raise Conflict(_("Hóa đơn đã bị hủy."), code="sale_voided")
    shift = current_shift(session, booth=booth, cashier=actor) or session.scalar(
        select(Shift).where(Shift.booth_id == booth.id, Shift.status == ShiftStatus.OPEN)
        .order_by(Shift.opened_at.desc()).limit(1))
    if shift is None:
        raise NoOpenShift(_("Quầy chưa mở ca: cần một ca đang mở để chi tiền hoàn."))
    methods = {p.method for p in original.payments}
    if method is None:
        method = methods.pop() if len(methods) == 1 else PaymentMethod.CASH
    elif method not in PAYMENT_METHODS:
        raise DomainError(_("Hình thức thanh toán không hợp lệ: %(m)s (cash, transfer, "
                            "card).", m=method), field="method", code="unknown_method")
    elif method != PaymentMethod.CASH and method not in methods:
        raise DomainError(_("Chỉ hoàn theo hình thức khách đã trả hoặc tiền mặt."),
                          field="method")

    sold: dict[int, dict] = {}
    for line in original.lines:
        entry = sold.setdefault(line.product_id, {"qty": 0, "amount": 0, "unit_price": 0,
                                                  "name": line.name,
                                                  "vat_rate": line.vat_rate})
        entry["qty"] += line.qty
        entry["amount"] += line.amount
        entry["unit_price"] = max(entry["unit_price"], line.unit_price)
    refunded = dict(session.execute(
        select(SaleLine.product_id, func.sum(SaleLine.qty)).join(Sale)
        .where(Sale.refund_of_id == original.id, Sale.status == SaleStatus.COMPLETED)
        .group_by(SaleLine.product_id)).all())
    built = []
    for i, (product_id, qty) in enumerate(wanted.items()):
        entry = sold.get(product_id)
        if entry is None:
            raise DomainError(_("Sản phẩm %(id)s không có trong hóa đơn.", id=product_id),
                              field=f"lines[{i}].product_id", code="not_in_sale")
        before = int(refunded.get(product_id, 0))
        if before + qty > entry["qty"]:
            raise DomainError(_("Chỉ còn hoàn được %(n)d.", n=entry["qty"] - before),
                              field=f"lines[{i}].qty", code="refund_exceeds_sold")
        # Cumulative shares, so refunding everything returns exactly what was paid.
        amount = (entry["amount"] * (before + qty) // entry["qty"]
                  - entry["amount"] * before // entry["qty"])
        built.append({"product_id": product_id, "qty": qty, "amount": amount,
                      "unit_price": entry["unit_price"], "name": entry["name"],
                      "vat_rate": entry["vat_rate"],
                      "discount": qty * entry["unit_price"] - amount})
    total = sum(b["amount"] for b in built)

    def build() -> Sale:
        seq, number = next_sale_number(session, booth)
        refund = Sale(id=refund_id, booth_id=booth.id, seq=seq, number=number,
                      shift_id=shift.id, cashier_id=actor.id, created_at=now(),
                      status=SaleStatus.COMPLETED, kind=SaleKind.REFUND,
                      refund_of_id=original.id,
                      total=total, discount_total=sum(b["discount"] for b in built),
                      change=0, approved_by_id=actor.id, reason=reason[:500],
                      request_hash=request_hash)
        refund.lines = [SaleLine(position=i, product_id=b["product_id"], name=b["name"],
                                 qty=b["qty"], unit_price=b["unit_price"],
                                 catalog_price=b["unit_price"], discount=b["discount"],
                                 amount=b["amount"], vat_rate=b["vat_rate"])
                        for i, b in enumerate(built)]
        refund.payments = ([Payment(position=0, method=method, amount=total)]
                           if total else [])
        session.add(refund)
        session.flush()
        for b in built:
            post_move(session, booth=booth, product=session.get(Product, b["product_id"]),
                      qty=b["qty"], kind=StockMoveKind.REFUND, reference=number, by=actor)
        record_audit(session, action="sale_refund", actor=actor, booth=booth, approver=actor,
                     target_type="sale", target_id=original.id,
                     before={"number": original.number, "total": original.total},
                     after={"refund": number, "amount": total, "method": method},
                     reason=refund.reason)
        append_event(session, booth=booth, type=EventType.SALE_REFUNDED, shift_id=shift.id,
                     payload=sale_to_json(refund), occurred_at=refund.created_at)
        queue_receipt(session, sale_id=refund.id, booth_id=booth.id, by_id=actor.id,
                      at=refund.created_at)
        session.flush()
        return refund

    return _insert_or_replay(session, build, sale_id=refund_id, request_hash=request_hash,
                             kind=SaleKind.REFUND)


def void_sale(session: Session, *, booth: Booth, actor: User, sale: Sale, reason: str) -> Sale:
    """Cancel a sale while its shift is still open: stock goes back, the money leaves
    the shift's totals, the receipt stays (status ``voided``). Needs a manager."""
    if not is_manager_of(actor, booth):
        raise Forbidden(_("Chỉ quản lý mới được hủy hóa đơn."))
    reason = require(reason, "reason", _("Cần ghi lý do hủy."))
    lock_booth(session, booth)
    session.refresh(sale)
    session.refresh(sale.shift)
    if sale.kind != SaleKind.SALE:
        raise Conflict(_("Không thể hủy phiếu hoàn."), code="not_voidable")
    if sale.status == SaleStatus.VOIDED:
        raise Conflict(_("Hóa đơn đã bị hủy trước đó."), code="already_voided")
    if sale.shift.status != ShiftStatus.OPEN:
        raise Conflict(_("Chỉ hủy được hóa đơn khi ca bán còn mở; hãy làm phiếu hoàn."),
                       code="shift_closed")
    if session.scalar(select(Sale.id).where(Sale.refund_of_id == sale.id,
                                            Sale.status == SaleStatus.COMPLETED).limit(1)):
        raise Conflict(_("Hóa đơn đã có phiếu hoàn, không hủy được."), code="has_refunds")
    at = now()
    sale.status = SaleStatus.VOIDED
    sale.void_reason = reason[:500]
    sale.voided_by_id = actor.id
    sale.voided_at = at
    sale.__dict__.pop("_json_as_written", None)  # the answer is the voided sale now
    session.flush()
    for line in sale.lines:
        post_move(session, booth=booth, product=session.get(Product, line.product_id),
                  qty=line.qty, kind=StockMoveKind.REFUND, reference=sale.number,
                  note="Hủy hóa đơn", by=actor)
    record_audit(session, action="sale_void", actor=actor, booth=booth, approver=actor,
                 target_type="sale", target_id=sale.id,
                 before={"status": "completed", "total": sale.total},
                 after={"status": "voided"}, reason=sale.void_reason, at=at)
    append_event(session, booth=booth, type=EventType.SALE_VOIDED, shift_id=sale.shift_id,
                 payload={"id": sale.id, "number": sale.number, "reason": sale.void_reason,
                          "by": actor.username, "at": at.isoformat(), "total": sale.total},
                 occurred_at=at)
    session.flush()
    return sale
