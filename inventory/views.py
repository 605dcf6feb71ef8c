"""The booth's catalogue page: what is on the shelf, at what price, how many left."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from inventory import services
from pos.auth import ALL_ROLES, allow
from pos.context import current_booth
from pos.extensions import db

bp = Blueprint("inventory", __name__, template_folder="templates")


@bp.get("/catalog")
@allow(*ALL_ROLES)
def catalog():
    query = request.args.get("q", "")
    products = services.search_products(db.session, query=query,
                                        limit=services.MAX_SEARCH_RESULTS)
    booth = current_booth()
    levels = services.on_hand(db.session, booth=booth, product_ids=[p.id for p in products])
    return render_template("inventory/catalog.html", products=products, levels=levels,
                           booth=booth, query=query)
