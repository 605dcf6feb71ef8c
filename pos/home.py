"""The booth manager's home: what needs looking at today, on one screen.

Today's takings, the shifts still open, the stock that is low or sold below zero (the
till never blocks a sale, so negative stock is the manager's to sort out), and the
printer and sync state, each with a link to the page that deals with it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.auth import allow
from core.enums import ShiftStatus
from core.extensions import db
from core.models import Booth
from inventory import services as inventory_services
from pos.context import current_booth
from pos.counter_models import Shift
from pos.labels import METHOD_LABELS
from pos.sale_history import day_totals, today

bp = Blueprint("home", __name__)

STOCK_ROWS = 10  # per list on the home page; the stock page has the rest


def open_shifts(session: Session, *, booth: Booth) -> list[Shift]:
    return list(session.scalars(
        select(Shift).where(Shift.booth_id == booth.id, Shift.status == ShiftStatus.OPEN)
        .options(selectinload(Shift.cashier)).order_by(Shift.opened_at)))


@bp.get("/home")
@allow("manager")
def booth_home():
    """The manager's start page after signing in."""
    from pos.booth_settings import print_settings_or_reason
    from receipts import queue
    from sync.status import sync_status

    booth = current_booth()
    day = today()
    settings, printer_error = print_settings_or_reason(db.session, booth, current_app.config)
    negative = inventory_services.list_stock(db.session, booth=booth, negative=True,
                                             sort="on_hand", descending=False,
                                             per_page=STOCK_ROWS)
    low = inventory_services.list_stock(db.session, booth=booth, low=True, not_negative=True,
                                        sort="on_hand", descending=False, per_page=STOCK_ROWS)
    return render_template(
        "pos/home.html", booth=booth, day=day, methods=METHOD_LABELS,
        totals=day_totals(db.session, booth=booth, day=day, viewer=current_user),
        shifts=open_shifts(db.session, booth=booth), negative=negative, low_rows=low.rows,
        printer=queue.printer_status(db.session, booth=booth, settings=settings),
        printer_error=printer_error,
        sync=sync_status(db.session, booth=booth,
                         configured=bool(current_app.config.get("OCOP_CENTRAL_URL"))))
