"""The cashier screen: one page; the cart, payment and receipts run on the JSON API."""

from __future__ import annotations

from flask import Blueprint, render_template

from core.auth import BOOTH_STAFF, allow
from pos.context import current_booth
from pos.static_files import STATIC_DIR

bp = Blueprint("pos", __name__)


# The till's ES modules, announced with the page so the browser fetches them at once
# rather than one level of imports at a time.
TILL_MODULES = tuple(f"pos/till/{path.name}"
                     for path in sorted((STATIC_DIR / "pos" / "till").glob("*.js")))


@bp.get("/pos")
@allow(*BOOTH_STAFF)
def cashier():
    return render_template("pos/cashier.html", booth=current_booth(),
                           modules=TILL_MODULES)
