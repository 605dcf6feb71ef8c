"""The OCOP showroom app: ``create_app()`` builds a booth or a central instance."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import format_datetime, get_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from core.config import Config
from core.extensions import babel, csrf, db, login, migrate, sqlite_begin
from core.input import BoundedMap
from core.money import format_vnd
from core.safejson import SafeJSONProvider
from pos import labels
from pos.static_files import STATIC_DIR, serve_static_and_pages_cacheably, static_digest

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")



def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int) -> None:
    """The pysqlite recipe: our own BEGIN, so write transactions start IMMEDIATE and
    never fail half-way with SQLITE_BUSY; WAL and synchronous=FULL so a committed sale
    survives a power cut. A writer waits ``busy_timeout_ms`` for the lock, then the
    request answers 503 (``core.errors``)."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       f"busy_timeout={int(busy_timeout_ms)}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql(sqlite_begin.get())


@event.listens_for(db.session, "after_commit")
def _nothing_after_the_commit_writes(session) -> None:
    """Once a request has committed, what it still reads to build its answer (expired
    attributes, lazy loads) runs in a plain read transaction: it needs no write lock,
    so it cannot wait for one and turn a saved sale into a 5xx."""
    if has_request_context() and not session.in_nested_transaction():  # not a savepoint
        g.ocop_committed = True
        sqlite_begin.set("BEGIN")


@event.listens_for(db.session, "before_flush")
def _refuse_writes_after_the_commit(session, flush_context, instances) -> None:
    """A request writes in one transaction; a write after its commit is a bug. Tests
    fail on it; a served booth logs it (the answer is already decided by then)."""
    if has_request_context() and g.get("ocop_committed") and (
            session.new or session.dirty or session.deleted):
        from flask import current_app

        if current_app.testing:
            raise RuntimeError("a request wrote after its commit")
        current_app.logger.error("a request wrote after its commit: %s", request.path)


def _select_locale() -> str:
    if not has_request_context():
        return os.environ.get("OCOP_LANG", "vi") if os.environ.get("OCOP_LANG") in (
            "vi", "en") else "vi"
    wanted = request.args.get("lang")
    if wanted in ("vi", "en"):
        session["lang"] = wanted
        return wanted
    if session.get("lang") in ("vi", "en"):
        return session["lang"]
    if current_user and not current_user.is_anonymous:
        return current_user.locale
    return "vi"


class OcopSessionInterface(SecureCookieSessionInterface):
    """The signed cookie session, marked ``Secure`` whenever the request came over HTTPS
    (directly, or through a trusted proxy: ``OCOP_BEHIND_PROXY``)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context()
                                                  and request.is_secure)


class OcopFlask(Flask):
    """Flask, reading request JSON through ``SafeJSONProvider``."""

    json_provider_class = SafeJSONProvider
    session_interface = OcopSessionInterface()
    url_map_class = BoundedMap  # no <int:id> past a database integer (404, not 500)


# What a page may load and who may frame it: only this site, no inline scripts (the
# cashier page passes its strings as a JSON data block), nothing frames our pages.
SECURITY_HEADERS = {
    "Content-Security-Policy": "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "connect-src 'self'", "font-src 'self'",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'",
        "frame-ancestors 'none'")),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _stable_csrf_token() -> str:
    """The session's CSRF token, signed once per session and then reused.

    Tokens have no time limit here (``WTF_CSRF_TIME_LIMIT = None``), so one signature
    stays valid; reusing it keeps an unchanged page byte-for-byte the same, which lets
    its ETag answer a reload with a 304."""
    from flask_wtf.csrf import generate_csrf

    raw = session.get("csrf_token")
    kept = session.get("_csrf_signed")
    if raw is None or not kept or kept[0] != raw:
        signed = generate_csrf()
        kept = (session["csrf_token"], signed)
        session["_csrf_signed"] = kept
    return kept[1]


def create_app(config: Config | None = None, **overrides) -> Flask:
    """Build the app for ``OCOP_ROLE``: both roles share models; each serves its own
    blueprints."""
    config = config or Config(**overrides)
    app = OcopFlask(__name__, instance_path=config.OCOP_INSTANCE, instance_relative_config=True,
                    static_url_path=f"/static/{static_digest(STATIC_DIR)}")
    app.config.from_mapping(config.as_dict())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["OCOP_BEHIND_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.after_request(_add_security_headers)
    serve_static_and_pages_cacheably(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    login.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   timezone_selector=lambda: "Asia/Ho_Chi_Minh")

    import central.models  # noqa: F401  (register every table on the metadata)
    import core.models  # noqa: F401
    import inventory.models  # noqa: F401
    import pos.booth_settings  # noqa: F401
    import pos.counter_models  # noqa: F401
    import receipts.models  # noqa: F401
    import sync.feeds  # noqa: F401  (stamps catalogue changes with the feed's version)
    import sync.models  # noqa: F401
    import sync.outbox  # noqa: F401  (keeps the watermark beside a booth's database)
    from pos import append_only

    append_only.attach(db.metadata)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine,
                              busy_timeout_ms=app.config["OCOP_SQLITE_BUSY_TIMEOUT_MS"])

    @app.before_request
    def _reads_need_no_write_lock():
        # Registered first: the first query of the request (loading the user) begins
        # the transaction the whole request shares.
        view = app.view_functions.get(request.endpoint)
        if request.method in ("GET", "HEAD", "OPTIONS") \
                or getattr(view, "ocop_reads_first", False):
            sqlite_begin.set("BEGIN")

    @app.teardown_request
    def _reset_begin_mode(exc):
        sqlite_begin.set("BEGIN IMMEDIATE")
        g.pop("ocop_committed", None)

    from core.auth import init_auth
    from core.errors import register_error_handlers

    init_auth(app)
    register_error_handlers(app)

    # Flask-WTF offers csrf_token() as a global and from a context processor: replace both.
    app.jinja_env.globals.update(csrf_token=_stable_csrf_token)
    app.context_processor(lambda: {"csrf_token": _stable_csrf_token})
    app.jinja_env.globals.update(format_vnd=format_vnd, format_datetime=format_datetime,
                                 get_locale=get_locale,
                                 role_label=labels.role_label,
                                 barcode_kind_label=labels.barcode_kind_label,
                                 venue_kind_label=labels.venue_kind_label)

    @app.context_processor
    def _navigation():
        """Menu entries the signed-in person may open, from the views' own roles."""
        if not has_request_context() or current_user.is_anonymous:
            return {"nav_endpoints": set()}
        allowed = {name for name, view in app.view_functions.items()
                   if current_user.role in (getattr(view, "allowed_roles", None) or ())}
        return {"nav_endpoints": allowed}
    app.jinja_env.filters["vnd"] = format_vnd

    _register_blueprints(app)
    _limit_sign_ins(app)
    return app


def _limit_sign_ins(app: Flask) -> None:
    """Failed sign-ins per client address (``OCOP_LOGIN_IP_LIMIT``), however many names
    they try; the per-name lockout in ``authenticate`` stays as well."""
    limiter = Limiter(get_remote_address, app=app, headers_enabled=False,
                      storage_uri=app.config["OCOP_RATELIMIT_STORAGE_URI"])
    # The one limited view checks its own limit (the decorator below); the hook that
    # init_app adds before every request serves default and application limits, which
    # a booth has none of, and cost every scan at the till a walk of the limit tables.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    app.view_functions["web.login"] = limiter.limit(
        app.config["OCOP_LOGIN_IP_LIMIT"], methods=["POST"],
        deduct_when=lambda response: response.status_code not in (200, 302),
    )(app.view_functions["web.login"])


def _register_blueprints(app: Flask) -> None:
    from pos.api import bp as api_bp
    from pos.views import bp as web_bp

    app.register_blueprint(web_bp)
    app.register_blueprint(api_bp)
    if app.config["OCOP_ROLE"] == "booth":
        from inventory.api import bp as inventory_api
        from inventory.views import bp as inventory_web
        from pos.counter_api import bp as counter_api

        app.register_blueprint(inventory_web)
        app.register_blueprint(inventory_api)
        app.register_blueprint(counter_api)
        from pos.views_cashier import bp as cashier_web

        app.register_blueprint(cashier_web)
        from pos.views_sales import bp as sales_web

        app.register_blueprint(sales_web)
        from pos.home import bp as booth_home

        app.register_blueprint(booth_home)
        from pos.views_audit import bp as audit_web

        app.register_blueprint(audit_web)
        from receipts.api import bp as receipts_api
        from receipts.views import bp as receipts_web

        app.register_blueprint(receipts_web)
        app.register_blueprint(receipts_api)
        from sync.api import booth_bp as sync_booth_api
        from sync.views import booth_bp as sync_booth_web

        app.register_blueprint(sync_booth_api)
        app.register_blueprint(sync_booth_web)
        from inventory.counts_api import bp as counts_api
        from inventory.counts_views import bp as counts_web

        app.register_blueprint(counts_api)
        app.register_blueprint(counts_web)
    else:
        from central.api import bp as central_api
        from central.views import bp as central_web
        from sync.api import central_bp as sync_api
        from sync.api import office_bp as sync_office_api
        from sync.views import office_bp as sync_office_web

        app.register_blueprint(central_web)
        app.register_blueprint(central_api)
        app.register_blueprint(sync_api)
        app.register_blueprint(sync_office_api)
        app.register_blueprint(sync_office_web)
        from central.warehouse import api as warehouse_api
        from central.warehouse import pages as warehouse_pages

        app.register_blueprint(warehouse_api)
        app.register_blueprint(warehouse_pages)
        from central.catalog_api import bp as catalog_api
        from central.catalog_views import bp as catalog_pages

        app.register_blueprint(catalog_api)
        app.register_blueprint(catalog_pages)
        from central.cockpit import api as cockpit_api
        from central.cockpit import pages as cockpit_pages

        app.register_blueprint(cockpit_api)
        app.register_blueprint(cockpit_pages)
        from central.reports_api import api as reports_api
        from central.reports_views import pages as reports_pages

        app.register_blueprint(reports_api)
        app.register_blueprint(reports_pages)
        from central.settlements_api import bp as settlements_api
        from central.settlements_views import bp as settlements_pages

        app.register_blueprint(settlements_api)
        app.register_blueprint(settlements_pages)
