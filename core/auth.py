"""Who may call what: sessions for pages, Bearer tokens for the API, deny by default.

Every view declares its audience with ``@allow(...)`` or ``@public``; a view that
declares nothing answers 403 to everyone, so a forgotten decorator fails closed.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import Forbidden, Unauthorized, wants_json
from core.extensions import csrf, db, login
from core.models import User
from core.services import check_user_booth, user_for_token

ALL_ROLES = ("cashier", "manager", "office", "admin")
BOOTH_STAFF = ("cashier", "manager", "admin")
MANAGERS = ("manager", "admin")
OFFICE = ("office", "admin")


def allow(*roles: str) -> Callable:
    """Let only these roles (plus admin) through; everyone else gets 401/403."""
    unknown = set(roles) - set(ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def mark(view):
        view.allowed_roles = frozenset(roles) | {"admin"}
        return view

    return mark


def public(view):
    """Open to anyone, signed in or not (the login page, health checks, static)."""
    view.allowed_roles = None
    return view


@login.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session cookie, while the cookie's session version is current
    (``User.get_id``): signing out ends every copy of the cookie."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 10):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or version != str(user.session_version):
        return None
    return user


def _authenticate_bearer(header: str) -> None:
    """A request with a Bearer header is the token's user, or nobody: the session cookie
    beside it is never looked at, so a cookie plus any Bearer header cannot skip CSRF."""
    user = user_for_token(db.session, header[len("Bearer "):].strip())
    g._login_user = user if user is not None else login.anonymous_user()
    if user is None:
        raise Unauthorized(_("Mã truy cập không hợp lệ hoặc đã bị thu hồi."),
                           code="bad_token")


@login.unauthorized_handler
def unauthorized():
    if wants_json():
        raise Unauthorized(_("Cần đăng nhập hoặc mã truy cập (Bearer) hợp lệ."))
    return redirect(url_for("web.login", next=request.full_path))


def _enforce_access():
    """Runs before every request: who is calling, then CSRF for cookie sessions, then the
    view's roles."""
    if request.endpoint is None:
        return None  # 404/405 are answered by their own handlers
    if request.endpoint == "static" or request.endpoint.endswith(".static"):
        return None
    view = current_app.view_functions[request.endpoint]
    if getattr(view, "booth_credential", False):
        return None  # a booth's sync token, checked by the view itself; no cookie counts
    header = request.headers.get("Authorization", "")
    bearer = header.startswith("Bearer ")
    if bearer:
        _authenticate_bearer(header)
    if current_app.config["OCOP_ROLE"] == "booth" and current_user.is_authenticated:
        # Another booth's staff are refused here as the sign-in page refuses them,
        # whatever proves who they are (token or session).
        check_user_booth(current_user, current_app.config.get("OCOP_BOOTH"))
    roles = getattr(view, "allowed_roles", frozenset())
    if roles is not None and current_user.is_anonymous:
        return login.unauthorized()
    if not bearer:
        csrf.protect()
    if roles is not None and current_user.role not in roles:
        raise Forbidden(_("Bạn không có quyền làm việc này."))
    return None


def init_auth(app: Flask) -> None:
    login.login_view = "web.login"
    login.login_message = None
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked in _enforce_access, not twice
    app.before_request(_enforce_access)
