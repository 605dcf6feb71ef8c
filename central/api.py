"""The central office's JSON endpoints."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from core.auth import OFFICE, allow
from core.extensions import db
from core.models import Booth

bp = Blueprint("central_api", __name__, url_prefix="/api/v1")


@bp.get("/booths")
@allow(*OFFICE)
def list_booths():
    """The booth registry: every booth with its venue."""
    booths = db.session.scalars(select(Booth).where(Booth.kind == "booth").order_by(Booth.code))
    return {"booths": [{"code": b.code, "name": b.name, "active": b.active,
                        "venue": {"code": b.venue.code, "name": b.venue.name,
                                  "kind": b.venue.kind}} for b in booths]}
