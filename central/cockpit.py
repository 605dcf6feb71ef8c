"""The central office's morning view: does every booth's day add up?"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from sqlalchemy import select

from central.reconciliation import parse_day, reconcile_day, shift_reconciliation
from pos.auth import OFFICE, allow
from pos.counter import BUSINESS_TZ
from pos.counter_models import Sale, Shift
from pos.errors import DomainError, NotFound
from pos.extensions import db
from pos.models import Venue
from pos.types import utcnow

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
