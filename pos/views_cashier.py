"""The cashier screen: one page; the cart, payment and receipts run on the JSON API."""

from __future__ import annotations

from flask import Blueprint, render_template

from core.auth import BOOTH_STAFF, allow
from pos.context import current_booth

bp = Blueprint("pos", __name__)


@bp.get("/pos")
@allow(*BOOTH_STAFF)
def cashier():
    return render_template("pos/cashier.html", booth=current_booth())
