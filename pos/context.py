"""Which booth this instance serves."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.errors import DomainError
from core.extensions import db
from core.models import Booth


def booth_by_code(code: str) -> Booth:
    booth = db.session.scalar(select(Booth).where(Booth.code == code))
    if booth is None:
        raise DomainError(_("Quầy %(code)s chưa có trong cơ sở dữ liệu.", code=code),
                          code="unknown_booth", status=500)
    return booth


def current_booth() -> Booth:
    """The booth named by ``OCOP_BOOTH``, else the signed-in staff member's booth."""
    code = current_app.config.get("OCOP_BOOTH")
    if code:
        # Sign-in has the staff member's booth already (a token loads it with the user,
        # the per-request booth check loads it for a session): no second query.
        if current_user.is_authenticated and current_user.booth is not None \
                and current_user.booth.code == code:
            return current_user.booth
        return booth_by_code(code)
    if current_user.is_authenticated and current_user.booth is not None:
        return current_user.booth
    raise DomainError(_("Chưa cấu hình quầy (OCOP_BOOTH)."), code="no_booth", status=409)
