"""The booth's stocktakes, lots and restock requests as JSON (contract: ``/api/v1``).

Counting is open to all booth staff (it is blind); seeing the differences, committing,
writing off and asking central for goods are the manager's.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import BOOTH_STAFF, MANAGERS, allow
from core.errors import DomainError
from core.extensions import db
from core.input import is_ascii_digits, takes
from inventory import lots as lot_service
from inventory import restock, stocktakes
from inventory.adjustments import move_to_json
from inventory.schemas import CommitIn, CountsIn, OneShotIn, RestockIn, StartIn, WriteOffIn
from pos.context import current_booth

bp = Blueprint("counts_api", __name__, url_prefix="/api/v1")

MAX_ID = 36


def _client_id(value: str | None) -> str | None:
    if value is not None and not 1 <= len(value) <= MAX_ID:
        raise DomainError(_("Mã do máy khách đặt phải dài từ 1 đến %(n)d ký tự.", n=MAX_ID),
                          field="id", code="invalid")
    return value


def _scope(body: StartIn) -> dict:
    """``scope`` is ``all``, ``producer`` (with ``producer_id``) or ``products`` (with
    ``product_ids``); giving the id or the list alone says the same."""
    if body.scope not in ("all", "producer", "products"):
        raise DomainError(_("Phạm vi kiểm kê phải là all, producer hoặc products."),
                          field="scope", code="bad_scope")
    if body.scope == "producer" and body.producer_id is None:
        raise DomainError(_("Cần chọn chủ thể (producer_id)."), field="producer_id",
                          code="bad_scope")
    if body.scope == "products" and body.product_ids is None:
        raise DomainError(_("Cần danh sách sản phẩm (product_ids)."), field="product_ids",
                          code="bad_scope")
    return {"producer_id": body.producer_id, "product_ids": body.product_ids}


@bp.post("/stocktakes/start")
@allow(*MANAGERS)
@takes(StartIn)
def start_stocktake(body: StartIn):
    """Open a stocktake (whole booth, one producer, or a list) with its lines to count."""
    stocktake, created = stocktakes.start_stocktake(
        db.session, booth=current_booth(), by=current_user,
        stocktake_id=_client_id(body.id), **_scope(body))
    answer = stocktakes.stocktake_to_json(stocktake)
    db.session.commit()
    return answer, 201 if created else 200


@bp.post("/stocktakes")
@allow(*MANAGERS)
@takes(OneShotIn)
def take_stocktake(body: OneShotIn):
    """Start, count and commit in one transaction; idempotent on ``id``."""
    booth = current_booth()
    stocktake, moves, created = stocktakes.take_stocktake(
        db.session, booth=booth, by=current_user, counts=body.counts, reason=body.reason,
        stocktake_id=_client_id(body.id))
    answer = stocktakes.stocktake_to_json(stocktake) | {
        "moves": [move_to_json(m) for m in moves],
        "differences": stocktakes.stocktake_differences(db.session, booth=booth,
                                                        stocktake=stocktake)["totals"]}
    db.session.commit()
    return answer, 201 if created else 200


@bp.get("/stocktakes/<stocktake_id>")
@allow(*BOOTH_STAFF)
def get_stocktake(stocktake_id: str):
    """The stocktake and its counts (blind: no system quantities while open)."""
    stocktake = stocktakes.get_stocktake(db.session, booth=current_booth(),
                                         stocktake_id=stocktake_id)
    return stocktakes.stocktake_to_json(stocktake)


@bp.post("/stocktakes/<stocktake_id>/counts")
@allow(*BOOTH_STAFF)
@takes(CountsIn)
def record_counts(stocktake_id: str, body: CountsIn):
    """Enter counts by ``product_id`` or ``barcode``; repeatable, the last count wins."""
    booth = current_booth()
    stocktake = stocktakes.get_stocktake(db.session, booth=booth, stocktake_id=stocktake_id)
    stocktakes.record_counts(db.session, booth=booth, stocktake=stocktake,
                             counts=body.counts, by=current_user)
    answer = stocktakes.stocktake_to_json(stocktake)
    db.session.commit()
    return answer


@bp.get("/stocktakes/<stocktake_id>/differences")
@allow(*MANAGERS)
def stocktake_differences(stocktake_id: str):
    """Per line the books, the count and the difference in quantity and value, totals."""
    booth = current_booth()
    stocktake = stocktakes.get_stocktake(db.session, booth=booth, stocktake_id=stocktake_id)
    return stocktakes.stocktake_differences(db.session, booth=booth, stocktake=stocktake)


@bp.post("/stocktakes/<stocktake_id>/commit")
@allow(*MANAGERS)
@takes(CommitIn)
def commit_stocktake(stocktake_id: str, body: CommitIn):
    """Book the differences as ``count`` moves with the reason."""
    booth = current_booth()
    stocktake = stocktakes.get_stocktake(db.session, booth=booth, stocktake_id=stocktake_id)
    moves = stocktakes.commit_stocktake(db.session, booth=booth, stocktake=stocktake,
                                        reason=body.reason, by=current_user)
    answer = stocktakes.stocktake_to_json(stocktake) | {
        "moves": [move_to_json(m) for m in moves],
        "differences": stocktakes.stocktake_differences(db.session, booth=booth,
                                                        stocktake=stocktake)}
    db.session.commit()
    return answer


def _days_arg() -> int:
    raw = request.args.get("days", "3")
    if not is_ascii_digits(raw) or len(raw) > 4:
        raise DomainError(_("Tham số days phải là số nguyên không âm."), field="days",
                          status=400, code="malformed")
    return int(raw)


@bp.get("/lots/expiring")
@allow(*MANAGERS)
def expiring_lots():
    """Lots with stock left expiring within ``days`` (default 3) or expired, FEFO hints."""
    return lot_service.expiring_lots(db.session, booth=current_booth(), days=_days_arg())


@bp.post("/lots/<int:lot_id>/write-off")
@allow(*MANAGERS)
@takes(WriteOffIn)
def write_off_lot(lot_id: int, body: WriteOffIn):
    """Write off what is left of an expired lot (reason ``expired``)."""
    booth = current_booth()
    lot = lot_service.get_lot(db.session, booth=booth, lot_id=lot_id)
    move = lot_service.write_off_lot(db.session, booth=booth, lot=lot, by=current_user,
                                     note=body.note[:300])
    answer = {"lot": lot_service.lot_to_json(lot, remaining=0), "move": move_to_json(move)}
    db.session.commit()
    return answer, 201


@bp.get("/restock-requests/suggestions")
@allow(*MANAGERS)
def restock_suggestions():
    """What to reorder: low or under a week of cover, with a suggested quantity."""
    return {"suggestions": restock.restock_suggestions(db.session, booth=current_booth())}


@bp.get("/restock-requests")
@allow(*MANAGERS)
def list_restock_requests():
    """This booth's requests, newest first."""
    return {"requests": [restock.restock_to_json(r) for r in
                         restock.list_requests(db.session, booth=current_booth())]}


@bp.post("/restock-requests")
@allow(*MANAGERS)
@takes(RestockIn)
def create_restock_request(body: RestockIn):
    """Ask central for goods; it goes up with the next sync. Idempotent on ``id``."""
    request_row, created = restock.create_restock_request(
        db.session, booth=current_booth(), lines=body.lines, by=current_user,
        note=body.note, request_id=_client_id(body.id))
    answer = restock.restock_to_json(request_row)
    db.session.commit()
    return answer, 201 if created else 200
