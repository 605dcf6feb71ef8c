"""The till's JSON API (contract: shifts, sales, refunds, voids, VietQR under /api/v1).

Views read their body as a declared schema (``pos.schemas`` through ``core.input.takes``:
malformed JSON → 400, a wrong type → 422 naming the field, unknown fields ignored), call
one service, commit, answer.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import BOOTH_STAFF, MANAGERS, allow
from core.errors import Conflict, DomainError
from core.extensions import db
from core.input import is_ascii_digits, takes
from pos import counter, schemas
from pos.context import current_booth
from pos.counter.writelock import reads_first
from pos.counter_models import DENOMINATIONS
from pos.vietqr import vietqr_for_till
from receipts import queue

bp = Blueprint("counter_api", __name__, url_prefix="/api/v1")


# --- from the declared bodies (pos.schemas) to the services' arguments ---------------


def _approval(value: str | schemas.ApprovalLogin | None) -> counter.Approval | None:
    """``approved_by``: a manager's API token, or ``{"username", "password"}``."""
    if value is None:
        return None
    device = request.remote_addr or ""
    if isinstance(value, str):
        return counter.Approval(token=value.strip(), device=device)
    return counter.Approval(username=value.username, password=value.password, device=device)


def sale_args(body: schemas.SaleIn) -> dict:
    """The keyword arguments of ``complete_sale``; a line without a barcode needs a
    ``product_id``."""
    lines = []
    for i, line in enumerate(body.lines):
        if line.barcode is None and line.product_id is None:
            raise DomainError(_("Thiếu trường %(f)s.", f=f"lines[{i}].product_id"),
                              field=f"lines[{i}].product_id", code="required")
        lines.append(counter.LineInput(
            barcode=line.barcode, product_id=None if line.barcode is not None
            else line.product_id, qty=line.qty, unit_price=line.unit_price,
            discount=line.discount, discount_percent=line.discount_percent))
    payments = [counter.PaymentInput(method=p.method, amount=p.amount, tendered=p.tendered,
                                     reference=p.reference or "")
                for p in body.payments or []]
    return {"sale_id": body.id, "lines": lines, "payments": payments,
            "discount": body.discount, "discount_percent": body.discount_percent,
            "approval": _approval(body.approved_by), "reason": body.reason or ""}


def close_args(body: schemas.CloseShiftIn) -> dict:
    """The count by denomination (each a known note) or in all, for ``close_shift``."""
    denominations = None
    if body.counted is not None:
        denominations = {}
        for key, count in body.counted.items():
            value = int(key) if is_ascii_digits(key) and len(key) <= 7 else None
            if value not in DENOMINATIONS:
                raise DomainError(_("Mệnh giá không hợp lệ: %(v)s.", v=key[:20]),
                                  field=f"counted.{key[:20]}")
            denominations[value] = count
    elif body.counted_cash is None:
        raise DomainError(_("Thiếu trường %(f)s.", f="counted_cash"), field="counted_cash",
                          code="required")
    return {"counted_cash": body.counted_cash, "denominations": denominations,
            "note": body.note or "", "approval": _approval(body.approved_by)}


# --- shifts -------------------------------------------------------------------------


@bp.post("/shifts")
@allow(*BOOTH_STAFF)
@takes(schemas.OpenShiftIn)
def open_shift(body: schemas.OpenShiftIn):
    """Open the caller's shift with the float in the drawer."""
    shift = counter.open_shift(db.session, booth=current_booth(), cashier=current_user,
                               opening_float=body.opening_float)
    db.session.commit()
    return {"shift": counter.shift_to_json(shift)}, 201


@bp.get("/shifts/current")
@allow(*BOOTH_STAFF)
def current_shift():
    """The caller's open shift at this booth, with its running X-report; null if none."""
    booth = current_booth()
    shift = counter.current_shift(db.session, booth=booth, cashier=current_user)
    if shift is None:
        return {"shift": None, "report": None}
    return {"shift": counter.shift_to_json(shift),
            "report": _blind(counter.shift_report(db.session, shift=shift), shift)}


def _blind(report: dict, shift) -> dict:
    """Cashiers count blind: while the shift is open they do not see the expected cash
    (the same rule as the printed and downloaded reports)."""
    if not counter.expected_cash_visible(shift, current_user):
        return report | {"expected_cash": None}
    return report


@bp.post("/shifts/<id>/cash")
@allow(*BOOTH_STAFF)
@takes(schemas.CashMovementIn)
def move_cash(id: str, body: schemas.CashMovementIn):
    """Cash in or out of the drawer, with a reason."""
    booth = current_booth()
    shift = counter.get_shift(db.session, booth=booth, shift_id=id)
    movement = counter.move_cash(db.session, booth=booth, shift=shift, actor=current_user,
                                 kind=body.kind, amount=body.amount, reason=body.reason)
    db.session.commit()
    return {"id": movement.id, "shift_id": shift.id, "kind": movement.kind,
            "amount": movement.amount, "reason": movement.reason,
            "at": movement.at.isoformat()}, 201


@bp.get("/shifts/<id>/report")
@allow(*BOOTH_STAFF)
def shift_report(id: str):
    """X-report of an open shift, Z-report of a closed one."""
    shift = counter.get_visible_shift(db.session, booth=current_booth(), viewer=current_user,
                                      shift_id=id)
    return _blind(counter.shift_report(db.session, shift=shift), shift)


@bp.post("/shifts/<id>/close")
@allow(*BOOTH_STAFF)
@takes(schemas.CloseShiftIn)
def close_shift(id: str, body: schemas.CloseShiftIn):
    """Blind count, close, Z-report; a big difference needs a manager and a note."""
    booth = current_booth()
    data = close_args(body)
    shift = counter.get_shift(db.session, booth=booth, shift_id=id)
    threshold = int(current_app.config.get("OCOP_CASH_DIFF_THRESHOLD",
                                           counter.DEFAULT_CASH_DIFF_THRESHOLD))
    report = counter.close_shift(db.session, booth=booth, shift=shift, actor=current_user,
                                 threshold=threshold, **data)
    db.session.commit()
    return report


# --- sales --------------------------------------------------------------------------


@bp.post("/sales")
@allow(*BOOTH_STAFF)
@takes(schemas.SaleIn)
@reads_first
def create_sale(body: schemas.SaleIn):
    """Record a sale; the same client ``id`` again answers 200 with the stored sale."""
    order = sale_args(body)
    sale, created = counter.complete_sale(
        db.session, booth=current_booth(), cashier=current_user,
        price_tolerance=current_app.config["OCOP_PRICE_LABEL_TOLERANCE"], **order)
    queue.commit_and_print(db.session)
    return counter.sale_to_json(sale), 201 if created else 200


@bp.get("/sales/<id>")
@allow(*BOOTH_STAFF)
def get_sale(id: str):
    """One sale or refund of this booth."""
    return counter.sale_to_json(counter.get_sale(db.session, booth=current_booth(), sale_id=id))


@bp.post("/sales/<id>/refund")
@allow(*MANAGERS)
@takes(schemas.RefundIn)
def refund_sale(id: str, body: schemas.RefundIn):
    """A refund sale linked to this one; stock back in."""
    booth = current_booth()
    original = counter.get_sale(db.session, booth=booth, sale_id=id)
    refund, created = counter.refund_sale(
        db.session, booth=booth, actor=current_user, original=original, refund_id=body.id,
        lines=[(line.product_id, line.qty) for line in body.lines], reason=body.reason,
        method=body.method)
    queue.commit_and_print(db.session)
    return counter.sale_to_json(refund), 201 if created else 200


@bp.post("/sales/<id>/void")
@allow(*MANAGERS)
@takes(schemas.VoidIn)
def void_sale(id: str, body: schemas.VoidIn):
    """Cancel a sale of a shift that is still open."""
    booth = current_booth()
    sale = counter.get_sale(db.session, booth=booth, sale_id=id)
    sale = counter.void_sale(db.session, booth=booth, actor=current_user, sale=sale,
                             reason=body.reason)
    db.session.commit()
    return counter.sale_to_json(sale)


# --- VietQR -------------------------------------------------------------------------


@bp.get("/vietqr")
@allow(*BOOTH_STAFF)
def vietqr():
    """The NAPAS VietQR payload for this booth's account, to show before a transfer."""
    config = current_app.config
    if not (config.get("OCOP_VIETQR_BIN") and config.get("OCOP_VIETQR_ACCOUNT")):
        raise Conflict(_("Chưa cấu hình tài khoản nhận chuyển khoản (OCOP_VIETQR_BIN, "
                         "OCOP_VIETQR_ACCOUNT)."), code="vietqr_not_configured")
    raw_amount = request.args.get("amount")
    amount = None
    if raw_amount:
        if not (raw_amount.isascii() and raw_amount.isdigit() and len(raw_amount) <= 10) \
                or int(raw_amount) <= 0:
            raise DomainError(_("amount phải là số nguyên dương."), field="amount")
        amount = int(raw_amount)
    ref = request.args.get("ref") or None
    try:
        return vietqr_for_till(bin=config["OCOP_VIETQR_BIN"],
                               account=config["OCOP_VIETQR_ACCOUNT"], amount=amount,
                               ref=ref, name=config.get("OCOP_VIETQR_NAME"))
    except ValueError as err:
        raise DomainError(str(err), code="vietqr_invalid") from None
