"""The central office's pages."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from core.auth import OFFICE, allow
from core.extensions import db
from core.models import Booth, User, Venue

bp = Blueprint("central", __name__, template_folder="templates")


@bp.get("/booths")
@allow(*OFFICE)
def booths():
    venues = db.session.scalars(select(Venue).where(Venue.booths.any(Booth.kind == "booth"))
                                .order_by(Venue.code)).all()
    staff = dict(db.session.execute(
        select(User.booth_id, func.count(User.id)).where(User.booth_id.is_not(None))
        .group_by(User.booth_id)).all())
    from sync.status import booth_health_rows

    health = {row["booth"]: row for row in booth_health_rows(db.session)}
    silent = [row for row in health.values() if row["silent"] and not row["never_synced"]]
    return render_template("central/booths.html", venues=venues, staff=staff, health=health,
                           silent=silent)
