"""The effects of a booth's events on a database that mirrors the booth: central's own
tables of shifts, sales, lines, payments, cash movements and stock moves per booth (and the
booth's own tables again, when a restored booth reads back what it lost).

Central never reprices or re-decides: it records what the booth did. An event that cannot
be recorded (it names a product central does not know, a shift it never heard of, a
receipt number already used) is not dropped: its problem is returned and the caller keeps
the event as ``needs_review``.

A batch is applied in bulk: every check is made in memory against a few preloaded sets,
then each table gets one multi-row INSERT. ``apply_events`` raises ``IntegrityError`` only
for what the checks could not foresee; the caller then applies the events one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.enums import SaleKind, SaleStatus, ShiftStatus, StockMoveKind
from core.models import Booth, User
from core.types import new_uuid, utcnow
from inventory.models import (
    Product,
    RestockLine,
    RestockRequest,
    StockLevel,
    StockMove,
    Transfer,
    TransferLine,
)
from pos.counter_models import CashMovement, Payment, Sale, SaleLine, Shift

INACTIVE_PASSWORD = "!sync"  # no password hash matches it: the account cannot sign in


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("time without offset")
    return moment


class Problem(Exception):
    """A broken business rule: the event is kept for review, with this reason. Appliers
    raise it before they add anything to the batch."""


class MalformedEvent(Exception):
    """An event whose payload broke an applier half-way (a missing field, a wrong type)."""


@dataclass
class _Batch:
    """Rows to insert and updates to run, collected while the events are checked."""

    booth: Booth
    users: dict[str, int]
    session: Session | None = None  # for the rare look-up the preload cannot foresee
    shifts: dict[str, dict] = field(default_factory=dict)        # new shift rows by id
    known_shifts: dict[str, str] = field(default_factory=dict)   # id → status (stored)
    sales: dict[str, dict] = field(default_factory=dict)         # new sale rows by id
    known_sales: dict[str, str] = field(default_factory=dict)    # id → status (stored)
    sale_seqs: set[int] = field(default_factory=set)
    lines: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    cash: list[dict] = field(default_factory=list)
    moves: list[dict] = field(default_factory=list)
    shift_updates: dict[str, dict] = field(default_factory=dict)
    sale_updates: dict[str, dict] = field(default_factory=dict)
    transfer_lines: dict[int, int] = field(default_factory=dict)  # line id → received
    transfer_updates: dict[str, dict] = field(default_factory=dict)
    shift_reports: list[dict] = field(default_factory=list)
    shift_days: dict[str, date] = field(default_factory=dict)    # id → business day
    # (business day, product) → [qty, amount, receipts, refund qty, refund amount] and
    # business day → [receipts, refund receipts]: the daily summaries' increments.
    daily: dict[tuple[date, int], list[int]] = field(default_factory=dict)
    booth_daily: dict[date, list[int]] = field(default_factory=dict)
    products: set[int] = field(default_factory=set)
    known_requests: set[str] = field(default_factory=set)        # restock request ids/numbers
    requests: list[dict] = field(default_factory=list)
    request_lines: list[dict] = field(default_factory=list)
    stocktakes: set[str] = field(default_factory=set)            # applied in this batch
    rates: object | None = None  # central.settlements.RateBook, loaded by the first sale


def _preload(session: Session, booth: Booth, events: list[dict]) -> _Batch:
    """One query per kind of thing the events name, however many events there are."""
    usernames, shift_ids, sale_ids, seqs, product_ids = set(), set(), set(), set(), set()
    request_keys: set[str] = set()
    for event in events:
        p = event["payload"]
        for key in ("cashier", "approved_by", "by", "closed_by"):
            if isinstance(p.get(key), str):
                usernames.add(p[key])
        if isinstance(p.get("report"), dict) and isinstance(p["report"].get("approved_by"), str):
            usernames.add(p["report"]["approved_by"])
        if event["type"] == "shift_opened":
            shift_ids.add(p.get("id"))
        shift_ids.add(p.get("shift_id"))
        if isinstance(p.get("report"), dict):  # shift_closed names its shift in the report
            shift_ids.add(p["report"].get("shift_id"))
        if event["type"] in ("sale_completed", "sale_refunded", "sale_voided"):
            sale_ids.add(p.get("id"))
            sale_ids.add(p.get("refund_of"))
            seqs.add(p.get("seq"))
        for line in p.get("lines") or ():
            if isinstance(line, dict):
                product_ids.add(line.get("product_id"))
        if isinstance(p.get("move"), dict):
            product_ids.add(p["move"].get("product_id"))
        for move in p.get("moves") or ():
            if isinstance(move, dict):
                product_ids.add(move.get("product_id"))
        if event["type"] == "restock_requested":
            request_keys.update(k for k in (p.get("id"), p.get("number")) if isinstance(k, str))
    usernames.discard(None)
    shift_ids.discard(None)
    sale_ids.discard(None)
    batch = _Batch(booth=booth, users=dict(session.execute(
        select(User.username, User.id).where(User.username.in_(usernames))).all()))
    known = session.execute(select(Shift.id, Shift.status, Shift.business_day).where(
        Shift.id.in_(shift_ids))).all() if shift_ids else []
    batch.known_shifts = {shift_id: status for shift_id, status, _day in known}
    batch.shift_days = {shift_id: day for shift_id, _status, day in known}
    batch.known_sales = dict(session.execute(select(Sale.id, Sale.status).where(
        Sale.id.in_(sale_ids))).all()) if sale_ids else {}
    batch.sale_seqs = set(session.scalars(select(Sale.seq).where(
        Sale.booth_id == booth.id, Sale.seq.in_([s for s in seqs if isinstance(s, int)]))))
    batch.products = set(session.scalars(select(Product.id).where(Product.id.in_(
        [p for p in product_ids if isinstance(p, int)])))) if product_ids else set()
    if request_keys:
        batch.known_requests = {key for row in session.execute(
            select(RestockRequest.id, RestockRequest.number).where(
                RestockRequest.id.in_(request_keys) | RestockRequest.number.in_(request_keys)))
            for key in row}
    missing = usernames - set(batch.users)
    for username in sorted(missing):
        # Staff the booth knows and central does not (made at the booth): kept as
        # accounts that cannot sign in, so every sale still names its cashier.
        user = User(username=username[:64], role="cashier", booth_id=booth.id,
                    full_name=username[:200], password_hash=INACTIVE_PASSWORD, active=False)
        session.add(user)
        session.flush()
        batch.users[username] = user.id
    return batch


def _user(batch: _Batch, username: str | None) -> int | None:
    return batch.users.get(username) if username else None


def _shift_status(batch: _Batch, shift_id: str | None) -> str | None:
    if shift_id in batch.shifts:
        return batch.shifts[shift_id]["status"]
    if shift_id in batch.shift_updates:
        return batch.shift_updates[shift_id].get("status", batch.known_shifts.get(shift_id))
    return batch.known_shifts.get(shift_id)


def _move(batch: _Batch, *, product_id: int, qty: int, kind: str, reference: str,
          by: int | None, at: datetime, note: str = "") -> None:
    batch.moves.append({"id": new_uuid(), "booth_id": batch.booth.id, "product_id": product_id,
                        "qty": qty, "kind": kind, "reference": reference[:100],
                        "note": note[:300], "reason": "", "by_id": by, "at": at})


def _shift_day(batch: _Batch, shift_id: str) -> date:
    if shift_id in batch.shifts:
        return batch.shifts[shift_id]["business_day"]
    day = batch.shift_days.get(shift_id)
    if day is None:
        day = batch.session.scalar(select(Shift.business_day).where(Shift.id == shift_id))
        batch.shift_days[shift_id] = day
    return day


def _daily(batch: _Batch, day: date, kind: str, lines: list[dict], sign: int) -> None:
    """Add a receipt's lines (``sign`` -1: take them back out, for a void) to the daily
    summaries the batch writes with the sale rows. Quantities and amounts are net (a
    refund subtracts, and its own columns keep what it paid back); a receipt counts once
    per product it holds and once for its booth."""
    refund = kind == SaleKind.REFUND
    for line in lines:
        row = batch.daily.setdefault((day, line["product_id"]), [0, 0, 0, 0, 0])
        qty, amount = sign * int(line["qty"]), sign * int(line["amount"])
        row[0] += -qty if refund else qty
        row[1] += -amount if refund else amount
        if refund:
            row[3] += qty
            row[4] += amount
    if not refund:
        for product_id in {line["product_id"] for line in lines}:
            batch.daily[(day, product_id)][2] += sign
    booth = batch.booth_daily.setdefault(day, [0, 0])
    booth[1 if refund else 0] += sign


def _shift_opened(batch: _Batch, p: dict, event: dict) -> None:
    if p["id"] in batch.known_shifts or p["id"] in batch.shifts:
        raise Problem(f"Ca {p['id']} đã có ở trung tâm.")
    cashier = _user(batch, p["cashier"])
    opened = [s for s in batch.shifts.values() if s["cashier_id"] == cashier
              and s["status"] == ShiftStatus.OPEN]
    if opened:
        raise Problem(f"Thu ngân {p['cashier']} còn một ca chưa đóng.")
    batch.shifts[p["id"]] = {
        "id": p["id"], "booth_id": batch.booth.id, "cashier_id": cashier,
        "status": ShiftStatus.OPEN,
        "opened_at": parse_time(p["opened_at"]), "closed_at": None,
        "business_day": date.fromisoformat(p["business_day"]),
        "opening_float": int(p["opening_float"]), "counted_cash": None,
        "counted_denominations": None, "expected_cash": None, "difference": None,
        "closed_by_id": None, "approved_by_id": None, "note": ""}


def _shift_closed(batch: _Batch, p: dict, event: dict) -> None:
    report = p["report"]
    shift_id = report["shift_id"]
    status = _shift_status(batch, shift_id)
    if status is None:
        raise Problem(f"Đóng ca {shift_id} mà trung tâm chưa có ca này.")
    if status == ShiftStatus.CLOSED:
        raise Problem(f"Ca {shift_id} đã đóng trước đó.")
    values = {"status": ShiftStatus.CLOSED, "closed_at": parse_time(report["closed_at"]),
              "counted_cash": report["counted_cash"],
              "counted_denominations": report.get("counted_denominations"),
              "expected_cash": report["expected_cash"], "difference": report["difference"],
              "closed_by_id": _user(batch, p.get("closed_by")),
              "approved_by_id": _user(batch, report.get("approved_by")),
              "note": (report.get("note") or "")[:500]}
    if shift_id in batch.shifts:
        batch.shifts[shift_id].update(values)
    else:
        batch.shift_updates.setdefault(shift_id, {}).update(values)
    batch.shift_reports.append({
        "shift_id": shift_id, "booth_id": batch.booth.id,
        "business_day": date.fromisoformat(report["business_day"]),
        "closed_by": (p.get("closed_by") or "")[:64], "report": report,
        "manifest": p.get("manifest") or {}, "received_at": utcnow()})


def _cash_moved(batch: _Batch, p: dict, event: dict) -> None:
    if _shift_status(batch, p["shift_id"]) is None:
        raise Problem(f"Thu chi tiền mặt của ca {p['shift_id']} mà trung tâm chưa có.")
    batch.cash.append({"id": p["id"], "shift_id": p["shift_id"], "kind": p["kind"],
                       "amount": int(p["amount"]), "reason": (p.get("reason") or "")[:300],
                       "by_id": _user(batch, p.get("by")), "at": parse_time(p["at"])})


def _sale(batch: _Batch, p: dict, event: dict) -> None:
    kind = "refund" if event["type"] == "sale_refunded" else "sale"
    if p["id"] in batch.known_sales or p["id"] in batch.sales:
        raise Problem(f"Hóa đơn {p['number']} đã có ở trung tâm.")
    if p["seq"] in batch.sale_seqs:
        raise Problem(f"Số hóa đơn {p['number']} đã được dùng cho một hóa đơn khác.")
    if _shift_status(batch, p["shift_id"]) is None:
        raise Problem(f"Hóa đơn {p['number']} thuộc ca {p['shift_id']} mà trung tâm chưa có.")
    if kind == SaleKind.REFUND and p.get("refund_of") not in batch.known_sales \
            and p.get("refund_of") not in batch.sales:
        raise Problem(f"Phiếu hoàn {p['number']} của một hóa đơn trung tâm chưa có.")
    unknown = [line["product_id"] for line in p["lines"]
               if line["product_id"] not in batch.products]
    if unknown:
        raise Problem(f"Sản phẩm {unknown} không có trong danh mục trung tâm.")
    created = parse_time(p["created_at"])
    cashier = _user(batch, p["cashier"])
    batch.sales[p["id"]] = {
        "id": p["id"], "booth_id": batch.booth.id, "seq": int(p["seq"]), "number": p["number"],
        "shift_id": p["shift_id"], "cashier_id": cashier, "created_at": created,
        "status": SaleStatus.COMPLETED, "kind": kind,
        "refund_of_id": p.get("refund_of") if kind == SaleKind.REFUND else None,
        "total": int(p["total"]), "discount_total": int(p["discount_total"]),
        "change": int(p["change"]), "approved_by_id": _user(batch, p.get("approved_by")),
        "reason": (p.get("reason") or "")[:500], "void_reason": "", "voided_by_id": None,
        "voided_at": None, "request_hash": event["hash"]}
    batch.sale_seqs.add(int(p["seq"]))
    sign = -1 if kind == SaleKind.SALE else 1
    day = _shift_day(batch, p["shift_id"])
    rates = _frozen_rates(batch, p, kind, created)
    _daily(batch, day, kind, p["lines"], 1)
    for position, line in enumerate(p["lines"]):
        batch.lines.append({
            "sale_id": p["id"], "position": position, "product_id": line["product_id"],
            "barcode": line.get("barcode") or "", "name": line["name"][:200],
            "qty": int(line["qty"]), "unit_price": int(line["unit_price"]),
            "catalog_price": int(line["catalog_price"]), "discount": int(line["discount"]),
            "amount": int(line["amount"]), "vat_rate": int(line["vat_rate"]),
            **rates(line["product_id"])})
        _move(batch, product_id=line["product_id"], qty=sign * int(line["qty"]), kind=kind,
              reference=p["number"], by=cashier, at=created)
    for position, pay in enumerate(p["payments"]):
        batch.payments.append({
            "sale_id": p["id"], "position": position, "method": pay["method"],
            "amount": int(pay["amount"]), "tendered": pay.get("tendered"),
            "reference": (pay.get("reference") or "")[:100]})


def _frozen_rates(batch: _Batch, p: dict, kind: str, created: datetime):
    """The commission rates to freeze on the sale's lines (``product_id → columns``): those
    in force when it was sold, a refund its original's, so later terms never rewrite it."""
    from central.settlements import RateBook, snapshot_rates

    if batch.rates is None and kind == SaleKind.SALE:
        batch.rates = RateBook(batch.session, product_ids=batch.products,
                               venue_ids=[batch.booth.venue_id])
    return snapshot_rates(batch.session, rates=batch.rates, kind=kind,
                          refund_of=p.get("refund_of"), venue_id=batch.booth.venue_id,
                          created=created, pending=batch.lines)


def _sale_voided(batch: _Batch, p: dict, event: dict) -> None:
    sale_id = p["id"]
    values = {"status": SaleStatus.VOIDED, "void_reason": (p.get("reason") or "")[:500],
              "voided_by_id": _user(batch, p.get("by")), "voided_at": parse_time(p["at"])}
    if sale_id in batch.sales:
        row = batch.sales[sale_id]
        if row["status"] == SaleStatus.VOIDED:
            raise Problem(f"Hóa đơn {p.get('number')} đã bị hủy trước đó.")
        row.update(values)
        lines = [line for line in batch.lines if line["sale_id"] == sale_id]
    elif (batch.known_sales.get(sale_id) == SaleStatus.COMPLETED
          and sale_id not in batch.sale_updates):
        batch.sale_updates[sale_id] = values
        lines = None
    else:
        raise Problem(f"Hủy hóa đơn {p.get('number')} mà trung tâm chưa có hoặc đã hủy.")
    batch.known_sales[sale_id] = "voided"
    if lines is None:
        lines = [{"product_id": pid, "qty": qty, "amount": amount}
                 for pid, qty, amount in batch.session.execute(
                     select(SaleLine.product_id, SaleLine.qty, SaleLine.amount)
                     .where(SaleLine.sale_id == sale_id))]
        shift_id = batch.session.scalar(select(Sale.shift_id).where(Sale.id == sale_id))
    else:
        shift_id = batch.sales[sale_id]["shift_id"]
    _daily(batch, _shift_day(batch, shift_id), "sale", lines, -1)  # only sales are voided
    for line in lines:
        _move(batch, product_id=line["product_id"], qty=int(line["qty"]), kind=StockMoveKind.REFUND,
              reference=p.get("number") or "", by=values["voided_by_id"],
              at=values["voided_at"], note="Hủy hóa đơn")


def _transfer_received(batch: _Batch, p: dict, event: dict) -> None:
    transfer = batch.session.get(Transfer, p["transfer_id"])
    if transfer is None or transfer.booth_id != batch.booth.id:
        raise Problem(f"Phiếu chuyển {p['transfer_id']} không gửi tới quầy này.")
    if transfer.received_at is not None or transfer.id in batch.transfer_updates:
        raise Problem(f"Phiếu chuyển {transfer.number} đã được nhận trước đó.")
    by_product = {line.product_id: line for line in transfer.lines}
    received = {int(line["product_id"]): int(line["received"]) for line in p["lines"]}
    strangers = set(received) - set(by_product)
    if strangers:
        raise Problem(f"Phiếu chuyển {transfer.number} không có sản phẩm {sorted(strangers)}.")
    at = parse_time(p["at"])
    by = _user(batch, p.get("by"))
    exact = True
    for product_id, line in by_product.items():
        qty = received.get(product_id, 0)
        batch.transfer_lines[line.id] = qty
        exact = exact and qty == line.qty
        if qty:
            _move(batch, product_id=product_id, qty=qty, kind=StockMoveKind.TRANSFER_IN,
                  reference=transfer.number, by=by, at=at)
    batch.transfer_updates[transfer.id] = {
        "status": "received" if exact else "discrepancy", "received_at": at,
        "received_by": (p.get("by") or "")[:64]}


def _stock_adjusted(batch: _Batch, p: dict, event: dict) -> None:
    move = p["move"]
    if move["product_id"] not in batch.products:
        raise Problem(f"Sản phẩm {move['product_id']} không có trong danh mục trung tâm.")
    batch.moves.append({
        "id": move["id"], "booth_id": batch.booth.id, "product_id": move["product_id"],
        "qty": int(move["qty"]), "kind": move["kind"], "reference": move["reference"][:100],
        "note": (move.get("note") or "")[:300], "reason": move.get("reason") or "",
        "by_id": _user(batch, p.get("by")), "at": parse_time(move["at"])})


def _stocktake_committed(batch: _Batch, p: dict, event: dict) -> None:
    """The booth's count moves, as booked, so central's stock per booth equals the
    booth's."""
    moves = p["moves"]
    unknown = sorted({m["product_id"] for m in moves} - batch.products)
    if unknown:
        raise Problem(f"Sản phẩm {unknown} không có trong danh mục trung tâm.")
    ids = [m["id"] for m in moves]
    if p["id"] in batch.stocktakes or (ids and batch.session.scalar(
            select(StockMove.id).where(StockMove.id.in_(ids)).limit(1))):
        raise Problem(f"Phiếu kiểm kê {p.get('number')} đã được ghi ở trung tâm.")
    batch.stocktakes.add(p["id"])
    by = _user(batch, p.get("by"))
    for move in moves:
        batch.moves.append({
            "id": move["id"], "booth_id": batch.booth.id, "product_id": move["product_id"],
            "qty": int(move["qty"]), "kind": "count", "reference": move["reference"][:100],
            "note": (move.get("note") or "")[:300], "reason": move.get("reason") or "",
            "by_id": by, "at": parse_time(move["at"])})


def _restock_requested(batch: _Batch, p: dict, event: dict) -> None:
    """Central's copy of the booth's request, for the office to ship against."""
    if p["id"] in batch.known_requests or p["number"] in batch.known_requests:
        raise Problem(f"Yêu cầu bổ sung hàng {p['number']} đã có ở trung tâm.")
    unknown = sorted({int(line["product_id"]) for line in p["lines"]} - batch.products)
    if unknown:
        raise Problem(f"Sản phẩm {unknown} không có trong danh mục trung tâm.")
    batch.known_requests.update((p["id"], p["number"]))
    batch.requests.append({
        "id": p["id"], "booth_id": batch.booth.id, "number": p["number"][:40],
        "status": "requested", "note": (p.get("note") or "")[:300],
        "requested_at": parse_time(p["requested_at"]),
        "requested_by": (p.get("by") or "")[:64], "transfer_id": None})
    for position, line in enumerate(p["lines"]):
        batch.request_lines.append({"request_id": p["id"], "position": position,
                                    "product_id": int(line["product_id"]),
                                    "qty": int(line["qty"])})


APPLIERS = {
    "shift_opened": _shift_opened, "shift_closed": _shift_closed, "cash_moved": _cash_moved,
    "sale_completed": _sale, "sale_refunded": _sale, "sale_voided": _sale_voided,
    "transfer_received": _transfer_received, "stock_adjusted": _stock_adjusted,
    "stocktake_committed": _stocktake_committed, "restock_requested": _restock_requested,
}


def apply_events(session: Session, *, booth: Booth, events: list[dict]) -> dict[str, str]:
    """Record the effects of ``events`` (dicts with id, type, hash, payload) in bulk.
    Returns the problems of the events that broke a rule (id → reason); the others are
    applied when this returns. Flushes; never commits."""
    batch = _preload(session, booth, events)
    batch.session = session
    problems: dict[str, str] = {}
    for event in events:
        try:
            APPLIERS[event["type"]](batch, event["payload"], event)
        except Problem as problem:  # raised before the applier added anything
            problems[event["id"]] = str(problem)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            # A payload that breaks half-way may have left rows in the batch: the caller
            # applies the events one at a time, and this one alone is kept for review.
            if len(events) > 1:
                raise MalformedEvent(event["id"]) from err
            return {event["id"]: f"Dữ liệu sự kiện không đủ hoặc sai kiểu: {err!r}"[:500]}
    _write(session, batch)
    return problems


def _write(session: Session, batch: _Batch) -> None:
    """One multi-row statement per table, parents first. Shifts already stored are
    closed before new ones are inserted: a cashier's next shift may only open once the
    previous one is closed (one open shift per cashier)."""
    for shift_id, values in batch.shift_updates.items():
        session.execute(update(Shift).where(Shift.id == shift_id).values(**values))
    for model, rows in ((Shift, list(batch.shifts.values())), (Sale, list(batch.sales.values())),
                        (SaleLine, batch.lines), (Payment, batch.payments),
                        (CashMovement, batch.cash), (StockMove, batch.moves),
                        (RestockRequest, batch.requests), (RestockLine, batch.request_lines)):
        if rows:
            session.execute(insert(model), rows)
    if batch.shift_reports:
        from central.models import ShiftReport

        session.execute(insert(ShiftReport), batch.shift_reports)
    for sale_id, values in batch.sale_updates.items():
        session.execute(update(Sale).where(Sale.id == sale_id).values(**values))
    for line_id, received in batch.transfer_lines.items():
        session.execute(update(TransferLine).where(TransferLine.id == line_id)
                        .values(received=received))
    for transfer_id, values in batch.transfer_updates.items():
        session.execute(update(Transfer).where(Transfer.id == transfer_id).values(**values))
    _add_to_levels(session, batch)
    _add_to_daily(session, batch)
    # The ORM's identity map may hold rows changed above behind its back.
    session.expire_all()


def _upsert_adding(session: Session, model, keys: list[str], rows: list[dict],
                   added: list[str]) -> None:
    """``INSERT … ON CONFLICT DO UPDATE SET col = col + excluded.col`` for many rows."""
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(model)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c: getattr(model, c) + getattr(statement.excluded, c) for c in added})
    session.execute(statement, rows)


def _add_to_daily(session: Session, batch: _Batch) -> None:
    from central.models import SalesDaily, SalesDailyBooth, SalesMonthly

    rows = [{"business_day": day, "booth_id": batch.booth.id, "product_id": pid, "qty": qty,
             "amount": amount, "receipts": receipts, "refund_qty": refund_qty,
             "refund_amount": refund_amount}
            for (day, pid), (qty, amount, receipts, refund_qty, refund_amount)
            in batch.daily.items()]
    added = ["qty", "amount", "receipts", "refund_qty", "refund_amount"]
    if rows:
        _upsert_adding(session, SalesDaily, ["business_day", "booth_id", "product_id"], rows,
                       added)
        monthly: dict[tuple[date, int], dict] = {}
        for row in rows:
            month = row["business_day"].replace(day=1)
            target = monthly.setdefault((month, row["product_id"]), {
                "month": month, "booth_id": batch.booth.id, "product_id": row["product_id"]}
                | dict.fromkeys(added, 0))
            for name in added:
                target[name] += row[name]
        _upsert_adding(session, SalesMonthly, ["month", "booth_id", "product_id"],
                       list(monthly.values()), added)
    rows = [{"business_day": day, "booth_id": batch.booth.id, "receipts": receipts,
             "refund_receipts": refunds}
            for day, (receipts, refunds) in batch.booth_daily.items()]
    if rows:
        _upsert_adding(session, SalesDailyBooth, ["business_day", "booth_id"], rows,
                       ["receipts", "refund_receipts"])


def _add_to_levels(session: Session, batch: _Batch) -> None:
    """Add the batch's moves to the cached levels in one upsert."""
    delta: dict[int, int] = defaultdict(int)
    for move in batch.moves:
        delta[move["product_id"]] += move["qty"]
    rows = [{"booth_id": batch.booth.id, "product_id": pid, "on_hand": qty,
             "updated_at": utcnow()} for pid, qty in delta.items() if qty]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(StockLevel)
    statement = statement.on_conflict_do_update(
        index_elements=["booth_id", "product_id"],
        set_={"on_hand": StockLevel.on_hand + statement.excluded.on_hand,
              "updated_at": statement.excluded.updated_at})
    session.execute(statement, rows)
