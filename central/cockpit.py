"""The central office's morning view: does every booth's day add up?"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import select

from central.reconciliation import parse_day, reconcile_day, shift_reconciliation
from core.auth import OFFICE, allow
from core.errors import DomainError, NotFound
from core.extensions import db
from core.input import takes_file
from core.models import Venue
from core.types import utcnow
from pos.counter import BUSINESS_TZ
from pos.counter_models import Sale, Shift

api = Blueprint("cockpit_api", __name__, url_prefix="/api/v1")
pages = Blueprint("cockpit", __name__, template_folder="templates")


def _venue_arg() -> str | None:
    venue = request.args.get("venue") or None
    if venue is not None and len(venue) > 20:
        raise DomainError("Mã điểm bán quá dài.", field="venue")
    return venue


@api.get("/reports/reconciliation")
@allow(*OFFICE)
def reconciliation():
    """Per booth of a business day (today by default): reported against recomputed
    totals, cash, stock."""
    day = request.args.get("day")
    return reconcile_day(db.session, venue=_venue_arg(), day=parse_day(day) if day is not None
                         else utcnow().astimezone(BUSINESS_TZ).date())


@pages.get("/cockpit")
@allow(*OFFICE)
def cockpit_page():
    today = utcnow().astimezone(BUSINESS_TZ).date()
    day = parse_day(request.args["day"]) if request.args.get("day") else today
    data = reconcile_day(db.session, day=day, venue=_venue_arg())
    venues = db.session.scalars(select(Venue).where(Venue.kind != "other")
                                .order_by(Venue.code)).all()
    return render_template("central/cockpit.html", data=data, day=day, today=today,
                           previous=day - timedelta(days=1),
                           following=day + timedelta(days=1) if day < today else None,
                           venues=venues)


MAX_STATEMENT_BYTES = 5 * 1024 * 1024


def _statement_bytes() -> bytes:
    request.max_content_length = MAX_STATEMENT_BYTES
    upload = request.files.get("file")
    if upload is None:
        raise DomainError("Chọn tệp sao kê ngân hàng (CSV).", field="file", code="required")
    return upload.read(MAX_STATEMENT_BYTES + 1)


@api.post("/reports/bank-statement")
@allow(*OFFICE)
@takes_file("file")
def bank_statement():
    """Match a CSV bank statement's credits to the booths' VietQR transfers."""
    from central.bank import match_statement, parse_statement

    return match_statement(db.session, lines=parse_statement(_statement_bytes()))


@pages.route("/cockpit/bank", methods=["GET", "POST"])
@allow(*OFFICE)
def bank_page():
    from central.bank import match_statement, parse_statement

    result = None
    if request.method == "POST":
        result = match_statement(db.session, lines=parse_statement(_statement_bytes()))
    return render_template("central/bank.html", result=result)


@pages.get("/cockpit/shifts/<shift_id>")
@allow(*OFFICE)
def shift_page(shift_id: str):
    shift = db.session.get(Shift, shift_id[:36])
    if shift is None:
        raise NotFound("Không tìm thấy ca làm việc.", code="shift_not_found")
    sales = db.session.scalars(select(Sale).where(Sale.shift_id == shift.id)
                               .order_by(Sale.seq)).all()
    return render_template("central/cockpit_shift.html", shift=shift,
                           rec=shift_reconciliation(db.session, shift), sales=sales)
