"""Pages every instance serves: sign in and out, the start page of each role, the icon."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from core import services
from core.auth import ALL_ROLES, allow, public
from core.errors import DomainError
from core.extensions import db
from pos.forms import LoginForm

bp = Blueprint("web", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow local paths after login, never another site. Browsers drop tabs and
    newlines from a URL and read a backslash as a slash, so ``/<TAB>/evil`` and
    ``/<BACKSLASH>evil`` would leave the site: control characters, spaces and
    backslashes are refused."""
    if (target and target.startswith("/") and not target.startswith("//")
            and not any(ord(c) <= 32 or ord(c) == 127 or c == "\\" for c in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session, username=form.username.data, password=form.password.data,
                remote_addr=request.remote_addr or "",
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lockout=timedelta(seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"]),
                booth_code=current_app.config["OCOP_BOOTH"]
                if current_app.config["OCOP_ROLE"] == "booth" else None,
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            )
        except DomainError as err:
            db.session.commit()  # keep the failure count; nothing else was written
            flash(err.message, "error")
            status = err.status
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("pos/login.html", form=form), status


@bp.post("/logout")
@allow(*ALL_ROLES)
def logout():
    services.end_sessions(db.session, user=current_user)
    db.session.commit()
    logout_user()
    flash(_("Đã đăng xuất."), "info")
    return redirect(url_for("web.login"))


@bp.get("/")
@allow(*ALL_ROLES)
def home():
    """Where each person starts: the office on the reconciliation cockpit, a cashier at
    the till, a booth manager on the booth's home (today, shifts, stock, printer, sync)."""
    if current_app.config["OCOP_ROLE"] == "central":
        return redirect(url_for("cockpit.cockpit_page"))
    if current_user.role == "cashier":
        return redirect(url_for("pos.cashier"))
    if current_user.role in ("manager", "admin"):
        return redirect(url_for("home.booth_home"))
    return redirect(url_for("inventory.catalog"))


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers ask for ``/favicon.ico`` on every page; answer with the star (4 KB, read
    once), cached for a week."""
    response = current_app.response_class(_favicon_bytes(),
                                          mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response


@cache
def _favicon_bytes() -> bytes:
    return (Path(__file__).parent / "static" / "favicon.ico").read_bytes()
