"""Ringing up a sale: read and price with no lock, then write in one short transaction.

``complete_sale`` runs as named steps. Everything that needs no lock comes first: check
the request, answer a retry from the stored sale, find the open shift and the products
(one query each), price and settle (pure functions), check a manager's approval (a
password hash is slow). Only then does it take the booth's write lock (SQLite
``BEGIN IMMEDIATE``; PostgreSQL the booth row ``FOR UPDATE``) and hold it for the
inserts: the sale with its lines and payments, the stock moves and levels, the audit
entries, the outbox event and the print job, in one transaction, then the commit. The
answer is built from what was written, so nothing is read back after the commit.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload

from core.enums import EventType, PrintJobKind, SaleKind, SaleStatus, ShiftStatus, StockMoveKind
from core.errors import Conflict, DomainError, NotFound
from core.models import Booth, User
from core.services import record_audit
from core.types import new_uuid
from inventory.barcodes import BarcodeError, parse_scan
from inventory.models import Barcode, Product, StockLevel, StockMove
from pos.counter.approvals import resolve_approver
from pos.counter.common import (
    DEFAULT_PRICE_TOLERANCE,
    MAX_ID,
    MAX_LINES,
    MAX_PAYMENTS,
    Approval,
    IdReused,
    LineInput,
    NeedsManager,
    NoOpenShift,
    PaymentInput,
    check_staff,
    normalise_id,
    now,
)
from pos.counter.payments import Settlement, settle
from pos.counter.pricing import PricedSale, ProductSnapshot, check_quantities, price_sale
from pos.counter.writelock import take_write_lock
from pos.counter_models import Payment, Sale, SaleLine, Shift
from receipts.models import PrintJob
from sync.models import OutboxEvent, SyncState
from sync.outbox import canonical_hash, note_written_mark, sync_state

# --- reading (no lock) ------------------------------------------------------------------


def check_sale_request(*, lines: list[LineInput], payments: list[PaymentInput],
                       discount: int | None, discount_percent: int | None,
                       reason: str) -> str:
    """Shape checks that need nothing but the request; returns the request's hash, which
    tells a retry of this sale from a different sale reusing its id."""
    if not lines:
        raise DomainError(_("Hóa đơn phải có ít nhất một dòng hàng."), field="lines")
    if len(lines) > MAX_LINES:
        raise DomainError(_("Hóa đơn có quá nhiều dòng."), field="lines")
    if len(payments) > MAX_PAYMENTS:
        raise DomainError(_("Có quá nhiều khoản thanh toán."), field="payments")
    check_quantities(lines)
    return canonical_hash({
        "lines": [asdict(line) for line in lines], "payments": [asdict(p) for p in payments],
        "discount": discount, "discount_percent": discount_percent, "reason": reason})


def replay(existing: Sale, request_hash: str, kind: str) -> Sale:
    """The stored sale for a retried request, or 409 when the id was used otherwise."""
    if existing.request_hash != request_hash or existing.kind != kind:
        raise IdReused(_("Mã hóa đơn %(id)s đã được dùng cho một giao dịch khác.",
                         id=existing.id), field="id")
    return existing


# The sale's statements are built once (building a select costs more than running it).
_SNAPSHOT = (Product.id, Product.name, Product.price, Product.vat_rate,
             Product.variable_price)
_BY_CODE = (select(Barcode.code, *_SNAPSHOT).join(Product, Barcode.product_id == Product.id)
            .where(Barcode.code.in_(bindparam("codes", expanding=True))))
_BY_ID = select(*_SNAPSHOT).where(Product.id.in_(bindparam("ids", expanding=True)))
_SALE_STORED = select(Sale.id).where(Sale.id == bindparam("id"))
_OPEN_SHIFT = select(Shift.id).where(Shift.cashier_id == bindparam("cashier"),
                                     Shift.booth_id == bindparam("booth"),
                                     Shift.status == ShiftStatus.OPEN)


def find_products(session: Session, lines: list[LineInput]
                  ) -> list[tuple[LineInput, ProductSnapshot, int | None, str]]:
    """Each line with its product as read now, the price its label carries (if any) and
    the scanned code: two queries however many lines; the first bad line is named."""
    scans: dict[int, object] = {}
    for i, line in enumerate(lines):
        if line.barcode is not None:
            try:
                scans[i] = parse_scan(line.barcode)
            except BarcodeError as err:
                scans[i] = err
    codes = {s.lookup_code for s in scans.values() if not isinstance(s, BarcodeError)}
    ids = {line.product_id for line in lines if line.barcode is None
           and line.product_id is not None and 0 < line.product_id <= MAX_ID}
    conn = session.connection()
    by_code = {row[0]: ProductSnapshot(*row[1:]) for row in conn.execute(
        _BY_CODE, {"codes": sorted(codes)})} if codes else {}
    by_id = {row[0]: ProductSnapshot(*row) for row in conn.execute(
        _BY_ID, {"ids": sorted(ids)})} if ids else {}
    found = []
    for i, line in enumerate(lines):
        if line.barcode is not None:
            scan, field = scans[i], f"lines[{i}].barcode"
            if isinstance(scan, BarcodeError):
                raise DomainError(scan.message, field=field, code=scan.code,
                                  status=scan.status)
            product = by_code.get(scan.lookup_code)
            if product is None:
                raise DomainError(_("Không tìm thấy sản phẩm có mã vạch %(code)s.",
                                    code=scan.code), field=field, code="unknown_barcode")
            found.append((line, product, scan.embedded_price, scan.code))
            continue
        product = by_id.get(line.product_id)
        if product is None:
            raise DomainError(_("Không có sản phẩm mã số %(id)s.", id=line.product_id),
                              field=f"lines[{i}].product_id", code="unknown_product")
        found.append((line, product, None, ""))
    return found


def approve(session: Session, *, booth: Booth, cashier: User, priced: PricedSale,
            approval: Approval | None) -> User | None:
    """The manager who approves a price change or discount (409 without one); an
    approval sent with a plain sale is still checked, so a wrong password never passes
    unnoticed."""
    if priced.needs_approval:
        approver = resolve_approver(session, booth=booth, actor=cashier, approval=approval)
        if approver is None:
            raise NeedsManager(_("Đổi giá hoặc giảm giá cần quản lý duyệt."),
                               field="approved_by")
        return approver
    if approval is not None:
        resolve_approver(session, booth=booth, actor=cashier, approval=approval)
    return None


@dataclass(frozen=True)
class SaleDraft:
    """Everything the insert needs, as plain values: the lock is taken after this."""

    id: str
    request_hash: str
    booth_id: int
    booth_code: str
    shift_id: str
    cashier_id: int
    cashier: str
    approver_id: int | None
    approver: str | None
    reason: str
    priced: PricedSale
    settlement: Settlement


# --- writing (under the lock) -----------------------------------------------------------


@dataclass(frozen=True)
class Heads:
    """Where the booth's numbering stands, read once under the lock."""

    epoch: str
    epoch_no: int
    sale_seq: int  # the last receipt number issued, restores included
    event_seq: int  # the last outbox seq of the current epoch
    sale_taken: bool = False  # the sale's id is already stored
    shift_open: bool = True  # the sale's shift is still open


@cache
def _heads_query():
    state_ref = SyncState.__table__.c
    last_sale = (select(func.max(Sale.seq)).where(Sale.booth_id == state_ref.booth_id)
                 .scalar_subquery())
    last_event = (select(func.max(OutboxEvent.seq))
                  .where(OutboxEvent.booth_id == state_ref.booth_id,
                         OutboxEvent.epoch == state_ref.epoch).scalar_subquery())
    taken = (select(func.count(Sale.id)).where(Sale.id == bindparam("sale_id"))
             .scalar_subquery())
    shift = select(Shift.status).where(Shift.id == bindparam("shift_id")).scalar_subquery()
    return select(state_ref.epoch, state_ref.epoch_no, state_ref.sale_seq_floor,
                  last_sale, last_event, taken, shift).where(
                      state_ref.booth_id == bindparam("booth_id"))


def read_heads(session: Session, booth_id: int, *, sale_id: str = "",
               shift_id: str = "") -> Heads:
    """The booth's receipt and outbox counters in one query (valid while the booth's
    write lock is held), with what may have changed since the sale was priced: whether
    its id was stored meanwhile, whether its shift is still open."""
    params = {"booth_id": booth_id, "sale_id": sale_id, "shift_id": shift_id}
    row = session.connection().execute(_heads_query(), params).first()
    if row is None:  # a booth's first event: its sync state starts now
        sync_state(session, session.get(Booth, booth_id))
        row = session.execute(_heads_query(), params).one()
    epoch, epoch_no, floor, sale_seq, event_seq, taken, status = row
    return Heads(epoch=epoch, epoch_no=epoch_no, sale_seq=max(floor or 0, sale_seq or 0),
                 event_seq=event_seq or 0, sale_taken=bool(taken),
                 shift_open=status == ShiftStatus.OPEN)


def _sale_json(draft: SaleDraft, *, seq: int, number: str, created_at: datetime) -> dict:
    """The contract's sale shape (``sale_to_json``), from the values being written."""
    return {
        "id": draft.id, "number": number, "seq": seq, "booth": draft.booth_code,
        "shift_id": draft.shift_id, "cashier": draft.cashier,
        "created_at": created_at.isoformat(), "status": str(SaleStatus.COMPLETED),
        "kind": str(SaleKind.SALE), "refund_of": None, "total": draft.priced.total,
        "discount_total": draft.priced.discount_total, "change": draft.settlement.change,
        "approved_by": draft.approver, "reason": draft.reason,
        "lines": [{"product_id": line.product_id, "name": line.name, "qty": line.qty,
                   "unit_price": line.unit_price, "catalog_price": line.catalog_price,
                   "discount": line.discount, "amount": line.amount,
                   "vat_rate": line.vat_rate, "barcode": line.barcode or None}
                  for line in draft.priced.lines],
        "payments": [{"method": str(p.method), "amount": p.amount, "tendered": p.tendered,
                      "reference": p.reference} for p in draft.settlement.rows],
        "void": None,
    }


def move_stock(conn: Connection, *, booth_id: int, by_id: int | None, kind: str,
               reference: str, moves: list[tuple[int, int]], note: str = "",
               at: datetime | None = None) -> None:
    """The stock moves of a sale and their cached levels: one multi-row insert
    and one upsert, whatever the number of lines (``inventory.services.post_move`` does
    the same for one product)."""
    at = at or now()
    conn.execute(insert(StockMove.__table__), [
        {"id": new_uuid(), "booth_id": booth_id, "product_id": product_id, "qty": qty,
         "kind": kind, "reference": reference, "note": note, "by_id": by_id, "at": at}
        for product_id, qty in moves])
    totals: dict[int, int] = {}
    for product_id, qty in moves:
        totals[product_id] = totals.get(product_id, 0) + qty
    conn.execute(_level_upsert(conn.dialect.name),
                 [{"booth_id": booth_id, "product_id": product_id, "on_hand": qty}
                  for product_id, qty in totals.items()])


@cache
def _level_upsert(dialect: str):
    """Add to the cached stock levels, inserting a product's first level."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    levels = StockLevel.__table__
    statement = upsert(levels)
    return statement.on_conflict_do_update(
        index_elements=[levels.c.booth_id, levels.c.product_id],
        set_={"on_hand": levels.c.on_hand + statement.excluded.on_hand})


def queue_receipt(session: Session, *, sale_id: str, booth_id: int, by_id: int | None,
                  at: datetime) -> None:
    """The receipt's print job, in the sale's transaction: printed only after the commit
    (``receipts.queue`` prints it)."""
    session.execute(insert(PrintJob.__table__), [
        {"id": new_uuid(), "booth_id": booth_id, "kind": PrintJobKind.RECEIPT,
         "sale_id": sale_id, "reprint": False, "requested_by_id": by_id,
         "next_attempt_at": at, "created_at": at}])


def add_event(conn: Connection, *, booth_id: int, heads: Heads, type: EventType,
              shift_id: str, payload: dict, at: datetime) -> int:
    """The outbox event (``sync.outbox.append_event`` without reading the seq again);
    returns its seq."""
    seq = heads.event_seq + 1
    conn.execute(insert(OutboxEvent.__table__), [
        {"id": new_uuid(), "booth_id": booth_id, "epoch": heads.epoch, "seq": seq,
         "type": type, "shift_id": shift_id, "occurred_at": at, "payload": payload,
         "hash": canonical_hash(payload)}])
    return seq


def write_sale(session: Session, *, booth: Booth, cashier: User, approver: User | None,
               draft: SaleDraft, heads: Heads) -> Sale | None:
    """Insert the sale and everything that goes with it; None when a concurrent copy of
    the same request inserted the id first. On SQLite the booth's lock and the id
    checked under it exclude that race; elsewhere a savepoint catches it."""
    seq = heads.sale_seq + 1
    number = f"{draft.booth_code}-{seq:06d}"
    created_at = now()
    priced, settlement = draft.priced, draft.settlement
    row = {"id": draft.id, "booth_id": draft.booth_id, "seq": seq, "number": number,
           "shift_id": draft.shift_id, "cashier_id": draft.cashier_id,
           "created_at": created_at, "status": SaleStatus.COMPLETED, "kind": SaleKind.SALE,
           "refund_of_id": None, "total": priced.total,
           "discount_total": priced.discount_total, "change": settlement.change,
           "approved_by_id": draft.approver_id, "reason": draft.reason, "void_reason": "",
           "voided_by_id": None, "voided_at": None, "request_hash": draft.request_hash}
    payload = _sale_json(draft, seq=seq, number=number, created_at=created_at)
    try:
        with (session.begin_nested() if session.get_bind().dialect.name != "sqlite"
              else nullcontext()):
            conn = session.connection()  # Core rows only: no ORM flush to wait for
            conn.execute(insert(Sale.__table__), [row])
            conn.execute(insert(SaleLine.__table__), [
                {"sale_id": draft.id, "position": i, "product_id": line.product_id,
                 "barcode": line.barcode, "name": line.name, "qty": line.qty,
                 "unit_price": line.unit_price, "catalog_price": line.catalog_price,
                 "discount": line.discount, "amount": line.amount, "vat_rate": line.vat_rate}
                for i, line in enumerate(priced.lines)])
            conn.execute(insert(Payment.__table__), [
                {"sale_id": draft.id, "position": i, "method": p.method, "amount": p.amount,
                 "tendered": p.tendered, "reference": p.reference}
                for i, p in enumerate(settlement.rows)])
            move_stock(conn, booth_id=draft.booth_id, by_id=draft.cashier_id,
                       kind=StockMoveKind.SALE, reference=number, at=created_at,
                       moves=[(line.product_id, -line.qty) for line in priced.lines])
            for adjustment in priced.adjustments:
                record_audit(session, action="sale_line_adjusted", actor=cashier,
                             booth=booth, approver=approver, target_type="sale",
                             target_id=draft.id,
                             before=adjustment.before | {"product_id": adjustment.product_id},
                             after=adjustment.after | {"line": adjustment.line},
                             reason=draft.reason)
            if priced.sale_discount:
                record_audit(session, action="sale_discount", actor=cashier, booth=booth,
                             approver=approver, target_type="sale", target_id=draft.id,
                             before={"subtotal": priced.subtotal},
                             after={"discount": priced.sale_discount, "total": priced.total},
                             reason=draft.reason)
            event_seq = add_event(conn, booth_id=draft.booth_id, heads=heads,
                                  type=EventType.SALE_COMPLETED, shift_id=draft.shift_id,
                                  payload=payload, at=created_at)
            queue_receipt(session, sale_id=draft.id, booth_id=draft.booth_id,
                          by_id=draft.cashier_id, at=created_at)
    except IntegrityError:
        return None
    # The commit moves the watermark to what was just written, without reading it back.
    note_written_mark(session, draft.booth_id, {
        "booth": draft.booth_code, "epoch": heads.epoch, "epoch_no": heads.epoch_no,
        "seq": event_seq, "sale_seq": seq})
    # The caller gets the row just written as a Sale in the session, without reading
    # it back (its lines and payments load if asked for).
    sale = Sale(**row)
    make_transient_to_detached(sale)
    session.add(sale)
    sale.__dict__["_json_as_written"] = payload
    return sale


# --- the sale ---------------------------------------------------------------------------


def complete_sale(session: Session, *, booth: Booth, cashier: User, sale_id: str | None,
                  lines: list[LineInput], payments: list[PaymentInput],
                  discount: int | None = None, discount_percent: int | None = None,
                  approval: Approval | None = None, reason: str = "",
                  price_tolerance: int = DEFAULT_PRICE_TOLERANCE) -> tuple[Sale, bool]:
    """Record a sale: lines with snapshots, payments, stock moves, audit entries for
    price overrides and discounts, the outbox event and the print job, in one
    transaction.

    Returns ``(sale, created)``; the same ``sale_id`` with the same body returns the
    stored sale with ``created=False`` and no second effect.
    """
    check_staff(booth, cashier)
    sale_id = normalise_id(sale_id)
    request_hash = check_sale_request(lines=lines, payments=payments, discount=discount,
                                      discount_percent=discount_percent, reason=reason)
    conn = session.connection()  # plain reads: no ORM objects to build
    if conn.scalar(_SALE_STORED, {"id": sale_id}) is not None:  # a retry
        return replay(session.get(Sale, sale_id), request_hash, SaleKind.SALE), False
    shift_id = conn.scalar(_OPEN_SHIFT, {"cashier": cashier.id, "booth": booth.id})
    if shift_id is None:
        raise NoOpenShift(_("Chưa mở ca: hãy mở ca trước khi bán."))
    priced = price_sale(find_products(session, lines), discount=discount,
                        discount_percent=discount_percent, tolerance_percent=price_tolerance)
    approver = approve(session, booth=booth, cashier=cashier, priced=priced,
                       approval=approval)
    draft = SaleDraft(
        id=sale_id, request_hash=request_hash, booth_id=booth.id, booth_code=booth.code,
        shift_id=shift_id, cashier_id=cashier.id, cashier=cashier.username,
        approver_id=approver.id if approver else None,
        approver=approver.username if approver else None, reason=(reason or "")[:500],
        priced=priced, settlement=settle(priced.total, payments))

    take_write_lock(session, booth_id=draft.booth_id)
    heads = read_heads(session, draft.booth_id, sale_id=sale_id, shift_id=draft.shift_id)
    sale = None
    if not heads.sale_taken:
        if not heads.shift_open:  # closed while the sale was priced
            raise NoOpenShift(_("Chưa mở ca: hãy mở ca trước khi bán."))
        sale = write_sale(session, booth=booth, cashier=cashier, approver=approver,
                          draft=draft, heads=heads)
    if sale is not None:
        return sale, True
    existing = session.get(Sale, sale_id)
    if existing is None:
        raise Conflict(_("Không ghi được hóa đơn, vui lòng thử lại."), code="retry")
    return replay(existing, request_hash, SaleKind.SALE), False


def get_sale(session: Session, *, booth: Booth, sale_id: str) -> Sale:
    """A sale or refund of this booth, or 404 ``sale_not_found``."""
    try:
        key = str(uuid.UUID(sale_id))
    except ValueError:
        key = None
    sale = session.get(Sale, key, options=[selectinload(Sale.lines),
                                           selectinload(Sale.payments)]) if key else None
    if sale is None or sale.booth_id != booth.id:
        raise NotFound(_("Không tìm thấy hóa đơn %(id)s.", id=sale_id), code="sale_not_found")
    return sale


def sale_to_json(sale: Sale) -> dict:
    """The contract's sale shape, plus kind, refund link, cashier and void details. A
    sale just written answers with what was written, read from nothing."""
    written = sale.__dict__.get("_json_as_written")
    if written is not None:
        return written
    return {
        "id": sale.id, "number": sale.number, "seq": sale.seq, "booth": sale.booth.code,
        "shift_id": sale.shift_id, "cashier": sale.cashier.username,
        "created_at": sale.created_at.isoformat(), "status": sale.status, "kind": sale.kind,
        "refund_of": sale.refund_of_id, "total": sale.total,
        "discount_total": sale.discount_total, "change": sale.change,
        "approved_by": sale.approved_by.username if sale.approved_by else None,
        "reason": sale.reason,
        "lines": [{"product_id": line.product_id, "name": line.name, "qty": line.qty,
                   "unit_price": line.unit_price, "catalog_price": line.catalog_price,
                   "discount": line.discount, "amount": line.amount,
                   "vat_rate": line.vat_rate, "barcode": line.barcode or None}
                  for line in sale.lines],
        "payments": [{"method": p.method, "amount": p.amount, "tendered": p.tendered,
                      "reference": p.reference} for p in sale.payments],
        "void": None if sale.status != SaleStatus.VOIDED else {
            "reason": sale.void_reason,
            "by": sale.voided_by.username if sale.voided_by else None,
            "at": sale.voided_at.isoformat() if sale.voided_at else None},
    }


def next_sale_number(session: Session, booth: Booth) -> tuple[int, str]:
    """The next gap-free receipt number, above every one issued before a restore."""
    seq = read_heads(session, booth.id).sale_seq + 1
    return seq, f"{booth.code}-{seq:06d}"
