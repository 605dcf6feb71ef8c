"""The central office's warehouse and transfers: receiving from producers on consignment,
shipping to booths (by hand or answering a restock request), what is in transit and what
arrived different from what was shipped."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.auth import OFFICE, allow
from core.errors import DomainError
from core.extensions import db
from core.input import DbIntegers, is_ascii_digits, takes
from core.models import Booth
from inventory.models import (
    Barcode,
    ConsignmentIntake,
    Product,
    RestockRequest,
    StockLevel,
    Transfer,
)
from inventory.transfers import get_transfer, ship_transfer, transfer_differences
from inventory.warehouse import central_warehouse, receive_consignment
from sync.credentials import booth_by_code
from sync.feeds import transfer_to_json

api = Blueprint("warehouse_api", __name__, url_prefix="/api/v1")
pages = Blueprint("warehouse", __name__, template_folder="templates")

TRANSFER_FILTERS = ("shipped", "received", "discrepancy")


class IntakeLine(DbIntegers):
    product_id: int
    qty: int
    agreed_price: int
    lot_code: str = ""
    expires_on: date | None = None


class IntakeIn(DbIntegers):
    producer_id: int
    lines: list[IntakeLine]
    note: str = ""


def intake_to_json(intake: ConsignmentIntake) -> dict:
    return {"id": intake.id, "number": intake.number, "producer_id": intake.producer_id,
            "received_at": intake.received_at.isoformat(), "received_by": intake.received_by,
            "lines": [{"product_id": line.product_id, "qty": line.qty,
                       "agreed_price": line.agreed_price, "lot_code": line.lot_code,
                       "expires_on": line.expires_on.isoformat() if line.expires_on else None}
                      for line in intake.lines]}


@api.post("/consignments")
@allow(*OFFICE)
@takes(IntakeIn)
def create_consignment(body: IntakeIn):
    """Receive a producer's goods into the warehouse on consignment."""
    intake = receive_consignment(db.session, producer_id=body.producer_id, by=current_user,
                                 note=body.note, lines=[line.model_dump() for line in body.lines])
    answer = intake_to_json(intake)
    db.session.commit()
    return answer, 201


class ShipLine(DbIntegers):
    product_id: int
    qty: int


class ShipIn(DbIntegers):
    booth: str
    lines: list[ShipLine]
    note: str = ""
    request_id: str | None = None


@api.post("/transfers")
@allow(*OFFICE)
@takes(ShipIn)
def ship(body: ShipIn):
    """Ship goods to a booth from the warehouse; the booth pulls the transfer at its next
    sync."""
    booth = booth_by_code(db.session, body.booth)
    transfer = ship_transfer(db.session, booth=booth, by=current_user, note=body.note,
                             lines=[(line.product_id, line.qty) for line in body.lines],
                             request_id=body.request_id)
    answer = _transfer_row(transfer)
    db.session.commit()
    return answer, 201


@api.get("/transfers/<transfer_id>")
@allow(*OFFICE)
def get_transfer_report(transfer_id: str):
    """One transfer with each line's shipped and received quantities and differences."""
    return _transfer_row(get_transfer(db.session, booth=None, transfer_id=transfer_id[:64]))


@api.get("/transfers")
@allow(*OFFICE)
def list_transfers():
    """Transfers, newest first; ``status`` shipped (in transit), received or discrepancy."""
    status = request.args.get("status")
    if status is not None and status not in TRANSFER_FILTERS:
        raise DomainError(_("Trạng thái phải là shipped, received hoặc discrepancy."),
                          field="status")
    return {"transfers": [_transfer_row(t) for t in _transfers(status)]}


def _transfers(status: str | None, limit: int = 200) -> list[Transfer]:
    query = select(Transfer).options(selectinload(Transfer.lines)).order_by(
        Transfer.shipped_at.desc()).limit(limit)
    if status:
        query = query.where(Transfer.status == status)
    return db.session.scalars(query).all()


def _transfer_row(transfer: Transfer) -> dict:
    return transfer_to_json(transfer) | {
        "booth": db.session.get(Booth, transfer.booth_id).code,
        "differences": transfer_differences(transfer)}


def _parse_lines(text: str) -> list[tuple[int, int]]:
    """Lines typed as ``code-or-barcode, qty``, one per line (the office's quick form)."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.replace(";", ",").split(",")]
        if len(parts) != 2 or not is_ascii_digits(parts[1]) or len(parts[1]) > 6:
            raise DomainError(_("Dòng %(n)d: cần “mã sản phẩm, số lượng”.", n=number),
                              field="lines")
        code = parts[0]
        product_id = db.session.scalar(select(Product.id).where(Product.code == code.upper()))
        if product_id is None:
            product_id = db.session.scalar(select(Barcode.product_id).where(Barcode.code == code))
        if product_id is None:
            raise DomainError(_("Dòng %(n)d: không có sản phẩm mã %(c)s.", n=number, c=code),
                              field="lines")
        lines.append((product_id, int(parts[1])))
    return lines


@pages.get("/warehouse")
@allow(*OFFICE)
def warehouse_page():
    warehouse = central_warehouse(db.session)
    stock = db.session.execute(
        select(Product.code, Product.name, StockLevel.on_hand)
        .join(StockLevel, StockLevel.product_id == Product.id)
        .where(StockLevel.booth_id == warehouse.id, StockLevel.on_hand != 0)
        .order_by(Product.name)).all()
    requests = db.session.scalars(select(RestockRequest).where(
        RestockRequest.status == "requested").options(selectinload(RestockRequest.lines))
        .order_by(RestockRequest.requested_at)).all()
    booths = {b.id: b.code for b in db.session.scalars(select(Booth))}
    in_transit = db.session.scalar(select(func.count(Transfer.id)).where(
        Transfer.received_at.is_(None)))
    db.session.commit()  # the warehouse row, when this is its first use
    return render_template("central/warehouse.html", stock=stock, requests=requests,
                           booths=booths, in_transit=in_transit,
                           booth_codes=sorted(c for i, c in booths.items()
                                              if i != warehouse.id))


@pages.post("/warehouse/ship")
@allow(*OFFICE)
def ship_page():
    booth = booth_by_code(db.session, request.form.get("booth", ""))
    request_id = request.form.get("request_id") or None
    if request_id:
        restock = db.session.get(RestockRequest, request_id)
        lines = [(line.product_id, line.qty) for line in restock.lines] if restock else []
    else:
        lines = _parse_lines(request.form.get("lines", ""))
    transfer = ship_transfer(db.session, booth=booth, by=current_user, lines=lines,
                             note=request.form.get("note", ""), request_id=request_id)
    db.session.commit()
    flash(_("Đã xuất phiếu chuyển %(n)s tới quầy %(b)s.", n=transfer.number, b=booth.code),
          "info")
    return redirect(url_for("warehouse.transfers_page"), 303)


@pages.get("/transfers")
@allow(*OFFICE)
def transfers_page():
    status = request.args.get("status")
    if status not in TRANSFER_FILTERS:
        status = None
    rows = [_transfer_row(t) for t in _transfers(status)]
    return render_template("central/transfers.html", rows=rows, status=status)
