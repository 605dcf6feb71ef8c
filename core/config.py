"""Settings from the environment and ``OCOP_INSTANCE/config.toml``, read once at start-up."""

from __future__ import annotations

import os
import secrets
import tempfile
import tomllib
from pathlib import Path

ROLES = ("booth", "central")


def _instance_dir() -> Path:
    return Path(os.environ.get("OCOP_INSTANCE", "instance")).resolve()


def _file_settings(instance: Path) -> dict:
    path = instance / "config.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _instance_key(instance: Path, name: str) -> str:
    """A random key made once into the instance folder (mode 0600). Written whole to a
    private temporary file, then linked into place: two processes starting at once
    agree on one key, and neither ever reads a half-written file."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=instance, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return path.read_text().strip()


def _secret_key(instance: Path) -> str:
    """The session key, so sessions survive restarts."""
    return _instance_key(instance, "secret_key")


def _audit_key(instance: Path) -> str:
    """The audit chain's HMAC key, never in the database, so a copy of the database alone
    cannot re-sign an edited chain."""
    return _instance_key(instance, "audit_key")


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the driver the project ships with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Configuration of one running instance; the environment wins over config.toml."""

    def __init__(self, **overrides):
        instance = Path(overrides.pop("OCOP_INSTANCE", None) or _instance_dir())
        settings = _file_settings(instance)
        settings.update({k: v for k, v in os.environ.items() if k.startswith(("OCOP_",))})
        for key in ("DATABASE_URL", "SECRET_KEY"):
            if key in os.environ:
                settings[key] = os.environ[key]
        settings.update(overrides)

        self.OCOP_INSTANCE = str(instance)
        self.OCOP_ROLE = settings.get("OCOP_ROLE", "booth")
        if self.OCOP_ROLE not in ROLES:
            raise ValueError(f"OCOP_ROLE phải là booth hoặc central, không phải {self.OCOP_ROLE!r}")
        self.OCOP_BOOTH = settings.get("OCOP_BOOTH")
        self.OCOP_CENTRAL_URL = settings.get("OCOP_CENTRAL_URL")
        self.OCOP_SYNC_TOKEN = settings.get("OCOP_SYNC_TOKEN")
        # Plain HTTP to a central that is not this machine only when explicitly allowed.
        self.OCOP_SYNC_ALLOW_HTTP = str(settings.get("OCOP_SYNC_ALLOW_HTTP", "")).lower() in (
            "1", "true", "yes")
        # A private CA bundle to verify central's certificate with (never no verification).
        self.OCOP_SYNC_CA_BUNDLE = settings.get("OCOP_SYNC_CA_BUNDLE")
        self.OCOP_SYNC_INTERVAL = float(settings.get("OCOP_SYNC_INTERVAL", 5))
        # Acknowledged events are forgotten after this many days.
        self.OCOP_SYNC_RETENTION_DAYS = int(settings.get("OCOP_SYNC_RETENTION_DAYS", 30))
        # A served booth backs itself up this often (hours; 0: never) and keeps N copies.
        self.OCOP_BACKUP_HOURS = float(settings.get("OCOP_BACKUP_HOURS", 24))
        self.OCOP_BACKUP_KEEP = int(settings.get("OCOP_BACKUP_KEEP", 14))
        self.OCOP_PRINTER = settings.get("OCOP_PRINTER", "none")
        self.OCOP_PRINTER_PROFILE = settings.get("OCOP_PRINTER_PROFILE", "default")
        self.OCOP_PRINTER_MODE = settings.get("OCOP_PRINTER_MODE", "raster")
        self.OCOP_PRINTER_ENCODING = settings.get("OCOP_PRINTER_ENCODING", "cp1258")
        self.OCOP_PRINTER_CODEPAGE = int(settings.get("OCOP_PRINTER_CODEPAGE", 52))
        self.OCOP_PAPER = int(settings.get("OCOP_PAPER", 80))
        # What the environment or config.toml set: a manager's setting never overrides it.
        self.OCOP_FIXED_SETTINGS = tuple(sorted(k for k in settings if k.startswith("OCOP_")))
        # A counted cash difference beyond this (đồng) needs a manager's sign-off.
        self.OCOP_CASH_DIFF_THRESHOLD = int(settings.get("OCOP_CASH_DIFF_THRESHOLD", 50_000))
        # A price-embedded label may differ this much (percent) from the catalogue price
        # of a variable-price product before it needs a manager.
        self.OCOP_PRICE_LABEL_TOLERANCE = int(settings.get("OCOP_PRICE_LABEL_TOLERANCE", 20))
        self.OCOP_VIETQR_BIN = settings.get("OCOP_VIETQR_BIN")
        self.OCOP_VIETQR_ACCOUNT = settings.get("OCOP_VIETQR_ACCOUNT")
        self.OCOP_VIETQR_NAME = settings.get("OCOP_VIETQR_NAME")
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            settings.get("DATABASE_URL") or f"sqlite:///{instance / 'ocop.sqlite3'}"
        )
        # How long a writer waits for SQLite's lock before the request answers 503.
        self.OCOP_SQLITE_BUSY_TIMEOUT_MS = int(settings.get("OCOP_SQLITE_BUSY_TIMEOUT_MS",
                                                            5000))
        # A request body beyond this answers 413 before it is read.
        self.MAX_CONTENT_LENGTH = int(settings.get("OCOP_MAX_BODY_BYTES", 1024 * 1024))
        self.SECRET_KEY = settings.get("SECRET_KEY") or _secret_key(instance)
        # Signs the audit chain (HMAC-SHA256); kept outside the database (docs/security.md).
        self.OCOP_AUDIT_KEY = settings.get("OCOP_AUDIT_KEY") or _audit_key(instance)
        self.BABEL_DEFAULT_LOCALE = "vi"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
        self.LANGUAGES = ("vi", "en")
        self.PASSWORD_HASH_METHOD = settings.get("PASSWORD_HASH_METHOD", "scrypt")
        self.LOGIN_MAX_FAILURES = int(settings.get("LOGIN_MAX_FAILURES", 5))
        self.LOGIN_LOCKOUT_SECONDS = int(settings.get("LOGIN_LOCKOUT_SECONDS", 900))
        # Failed sign-ins allowed from one address (Flask-Limiter syntax), whatever names
        # they try; counted in memory per process unless a storage URI is given.
        self.OCOP_LOGIN_IP_LIMIT = settings.get("OCOP_LOGIN_IP_LIMIT", "20 per 15 minutes")
        self.OCOP_RATELIMIT_STORAGE_URI = settings.get("OCOP_RATELIMIT_STORAGE_URI",
                                                       "memory://")
        # Behind a reverse proxy (one hop): trust its X-Forwarded-For/-Proto/-Host, so the
        # client's address is rate-limited and HTTPS gets Secure cookies.
        self.OCOP_BEHIND_PROXY = str(settings.get("OCOP_BEHIND_PROXY", "")).lower() in (
            "1", "true", "yes", "on")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.WTF_CSRF_TIME_LIMIT = None
        self.TESTING = bool(settings.get("TESTING", False))
        # python-escpos writes a capabilities cache at import; keep it inside the instance.
        os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(instance / "cache"))

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
