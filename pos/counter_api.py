"""The till's JSON API (contract: shifts, sales, refunds, voids, VietQR under /api/v1).

Views parse strictly (malformed JSON → 400, a wrong type → 422 naming the field,
unknown fields ignored), call one service, commit, answer.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from pos import counter
from pos.auth import BOOTH_STAFF, MANAGERS, allow
from pos.context import current_booth
from pos.counter_models import DENOMINATIONS
from pos.errors import Conflict, DomainError, Malformed
from pos.extensions import db
from pos.vietqr import build_vietqr
from receipts import queue

bp = Blueprint("counter_api", __name__, url_prefix="/api/v1")

_MISSING = object()


# --- strict parsing -----------------------------------------------------------------


def _body() -> dict:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise Malformed(_("Nội dung yêu cầu phải là một đối tượng JSON hợp lệ."))
    return data


def _int(data: dict, key: str, field: str, *, required: bool = True) -> int | None:
    value = data.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise DomainError(_("Thiếu trường %(f)s.", f=field), field=field, code="required")
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise DomainError(_("%(f)s phải là số nguyên.", f=field), field=field,
                          code="invalid_type")
    return value


def _str(data: dict, key: str, field: str, *, required: bool = False,
         max_length: int = 500) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise DomainError(_("Thiếu trường %(f)s.", f=field), field=field, code="required")
        return None
    if not isinstance(value, str):
        raise DomainError(_("%(f)s phải là chuỗi ký tự.", f=field), field=field,
                          code="invalid_type")
    if len(value) > max_length:
        raise DomainError(_("%(f)s quá dài.", f=field), field=field)
    return value


def _list(data: dict, key: str, *, required: bool = True) -> list:
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise DomainError(_("%(f)s phải là một danh sách.", f=key), field=key,
                          code="invalid_type")
    return value


def _obj(value, field: str) -> dict:
    if not isinstance(value, dict):
        raise DomainError(_("%(f)s phải là một đối tượng.", f=field), field=field,
                          code="invalid_type")
    return value


def _approval(data: dict) -> counter.Approval | None:
    """``approved_by``: a manager's API token, or ``{"username", "password"}``."""
    value = data.get("approved_by")
    if value is None:
        return None
    device = request.remote_addr or ""
    if isinstance(value, str) and value.strip():
        return counter.Approval(token=value.strip(), device=device)
    if isinstance(value, dict):
        username = _str(value, "username", "approved_by.username", required=True, max_length=64)
        password = _str(value, "password", "approved_by.password", required=True,
                        max_length=200)
        return counter.Approval(username=username, password=password, device=device)
    raise DomainError(_("approved_by phải là mã truy cập của quản lý hoặc "
                        "{username, password}."), field="approved_by", code="invalid_type")


def parse_sale(data: dict) -> dict:
    """Type-check a POST /sales body into the keyword arguments of ``complete_sale``.
    A line names a ``barcode`` (which wins) or a ``product_id``."""
    lines = []
    raw_lines = _list(data, "lines")
    for i, raw in enumerate(raw_lines):
        field = f"lines[{i}]"
        raw = _obj(raw, field)
        barcode = _str(raw, "barcode", f"{field}.barcode", max_length=100)
        product_id = None if barcode is not None else _int(raw, "product_id",
                                                             f"{field}.product_id")
        lines.append(counter.LineInput(
            barcode=barcode, product_id=product_id, qty=_int(raw, "qty", f"{field}.qty"),
            unit_price=_int(raw, "unit_price", f"{field}.unit_price", required=False),
            discount=_int(raw, "discount", f"{field}.discount", required=False),
            discount_percent=_int(raw, "discount_percent", f"{field}.discount_percent",
                                  required=False)))
    payments = []
    for i, raw in enumerate(_list(data, "payments", required=False)):
        field = f"payments[{i}]"
        raw = _obj(raw, field)
        payments.append(counter.PaymentInput(
            method=_str(raw, "method", f"{field}.method", required=True, max_length=20),
            amount=_int(raw, "amount", f"{field}.amount"),
            tendered=_int(raw, "tendered", f"{field}.tendered", required=False),
            reference=_str(raw, "reference", f"{field}.reference", max_length=100) or ""))
    return {
        "sale_id": _str(data, "id", "id", max_length=36),
        "lines": lines, "payments": payments,
        "discount": _int(data, "discount", "discount", required=False),
        "discount_percent": _int(data, "discount_percent", "discount_percent",
                                 required=False),
        "approval": _approval(data),
        "reason": _str(data, "reason", "reason") or "",
    }


def parse_refund(data: dict) -> dict:
    """Type-check a refund body: ``{id?, lines: [{product_id, qty}], reason, method?}``."""
    lines = []
    for i, raw in enumerate(_list(data, "lines")):
        raw = _obj(raw, f"lines[{i}]")
        lines.append((_int(raw, "product_id", f"lines[{i}].product_id"),
                      _int(raw, "qty", f"lines[{i}].qty")))
    return {"refund_id": _str(data, "id", "id", max_length=36), "lines": lines,
            "reason": _str(data, "reason", "reason", required=True) or "",
            "method": _str(data, "method", "method", max_length=20)}


def parse_close(data: dict) -> dict:
    """Type-check a close body: ``counted`` by denomination, or ``counted_cash``."""
    denominations = None
    counted = data.get("counted")
    if counted is not None:
        counted = _obj(counted, "counted")
        denominations = {}
        for key in counted:
            field = f"counted.{key}"
            try:
                value = int(key)
            except ValueError:
                value = None
            if value not in DENOMINATIONS:
                raise DomainError(_("Mệnh giá không hợp lệ: %(v)s.", v=key), field=field)
            denominations[value] = _int(counted, key, field)
    return {"counted_cash": _int(data, "counted_cash", "counted_cash",
                                 required=counted is None),
            "denominations": denominations, "note": _str(data, "note", "note") or "",
            "approval": _approval(data)}


# --- shifts -------------------------------------------------------------------------


@bp.post("/shifts")
@allow(*BOOTH_STAFF)
def open_shift():
    """Open the caller's shift with the float in the drawer."""
    data = _body()
    shift = counter.open_shift(db.session, booth=current_booth(), cashier=current_user,
                               opening_float=_int(data, "opening_float", "opening_float"))
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
def move_cash(id: str):
    """Cash in or out of the drawer, with a reason."""
    booth = current_booth()
    data = _body()
    shift = counter.get_shift(db.session, booth=booth, shift_id=id)
    movement = counter.move_cash(db.session, booth=booth, shift=shift, actor=current_user,
                                 kind=_str(data, "kind", "kind", required=True, max_length=3),
                                 amount=_int(data, "amount", "amount"),
                                 reason=_str(data, "reason", "reason", required=True))
    db.session.commit()
    return {"id": movement.id, "shift_id": shift.id, "kind": movement.kind,
            "amount": movement.amount, "reason": movement.reason,
            "at": movement.at.isoformat()}, 201


@bp.get("/shifts/<id>/report")
@allow(*BOOTH_STAFF)
def shift_report(id: str):
    """X-report of an open shift, Z-report of a closed one."""
    shift = counter.get_shift(db.session, booth=current_booth(), shift_id=id)
    return _blind(counter.shift_report(db.session, shift=shift), shift)


@bp.post("/shifts/<id>/close")
@allow(*BOOTH_STAFF)
def close_shift(id: str):
    """Blind count, close, Z-report; a big difference needs a manager and a note."""
    booth = current_booth()
    data = parse_close(_body())
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
def create_sale():
    """Record a sale; the same client ``id`` again answers 200 with the stored sale."""
    order = parse_sale(_body())
    sale, created = counter.complete_sale(
        db.session, booth=current_booth(), cashier=current_user,
        price_tolerance=current_app.config["OCOP_PRICE_LABEL_TOLERANCE"], **order)
    db.session.commit()
    queue.wake_print_worker(current_app)
    return counter.sale_to_json(sale), 201 if created else 200


@bp.get("/sales/<id>")
@allow(*BOOTH_STAFF)
def get_sale(id: str):
    """One sale or refund of this booth."""
    return counter.sale_to_json(counter.get_sale(db.session, booth=current_booth(), sale_id=id))


@bp.post("/sales/<id>/refund")
@allow(*MANAGERS)
def refund_sale(id: str):
    """A refund sale linked to this one; stock back in."""
    booth = current_booth()
    data = parse_refund(_body())
    original = counter.get_sale(db.session, booth=booth, sale_id=id)
    refund, created = counter.refund_sale(db.session, booth=booth, actor=current_user,
                                          original=original, **data)
    db.session.commit()
    queue.wake_print_worker(current_app)
    return counter.sale_to_json(refund), 201 if created else 200


@bp.post("/sales/<id>/void")
@allow(*MANAGERS)
def void_sale(id: str):
    """Cancel a sale of a shift that is still open."""
    booth = current_booth()
    data = _body()
    sale = counter.get_sale(db.session, booth=booth, sale_id=id)
    sale = counter.void_sale(db.session, booth=booth, actor=current_user, sale=sale,
                             reason=_str(data, "reason", "reason", required=True) or "")
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
        payload = build_vietqr(bin=config["OCOP_VIETQR_BIN"],
                               account=config["OCOP_VIETQR_ACCOUNT"], amount=amount,
                               purpose=ref, name=config.get("OCOP_VIETQR_NAME"))
    except ValueError as err:
        raise DomainError(str(err), code="vietqr_invalid") from None
    return {"payload": payload, "amount": amount, "ref": ref}
