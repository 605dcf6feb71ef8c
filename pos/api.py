"""JSON endpoints every instance serves."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from core.auth import ALL_ROLES, allow, public

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/health")
@public
def health():
    return {"status": "ok", "role": current_app.config["OCOP_ROLE"],
            "booth": current_app.config.get("OCOP_BOOTH")}


@bp.get("/v1/me")
@allow(*ALL_ROLES)
def me():
    user = current_user
    return {"id": user.id, "username": user.username, "name": user.display_name,
            "role": user.role, "booth": user.booth.code if user.booth else None,
            "locale": user.locale}


@bp.get("/openapi.json")
@public
def openapi():
    from pos.openapi import build_spec

    return jsonify(build_spec(current_app))
