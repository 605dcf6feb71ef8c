"""Shared fixtures: a fresh database per test, SQLite by default and PostgreSQL on demand.

PostgreSQL tests read the server from ``OCOP_TEST_POSTGRES_URL`` and make a database of
their own per test; in CI (``CI`` set) a missing URL is an error, not a skip.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from core.config import Config
from core.extensions import db
from pos import create_app
from tests.postgres import temporary_database

FAST_HASH = "pbkdf2:sha256:1000"  # tests sign in often; production uses scrypt
TEST_PASSWORD = "mat-khau-thu-9"


def postgres_server_url() -> str | None:
    url = os.environ.get("OCOP_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("OCOP_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI")
    return url


@contextmanager
def fresh_postgres_database():
    """A new, empty database on the test server, dropped afterwards."""
    server = postgres_server_url()
    if not server:
        pytest.skip("OCOP_TEST_POSTGRES_URL not set")
    with temporary_database(server) as url:
        yield url


def build_app(tmp_path, *, role: str = "booth", booth: str = "COOP-01",
              database_url: str | None = None, create_schema: bool = True, **extra):
    instance = tmp_path / f"instance-{role}"
    config = Config(
        OCOP_INSTANCE=str(instance), OCOP_ROLE=role, OCOP_BOOTH=booth if role == "booth" else None,
        DATABASE_URL=database_url or f"sqlite:///{instance / 'ocop.sqlite3'}",
        SECRET_KEY="test-secret", TESTING=True, PASSWORD_HASH_METHOD=FAST_HASH, **extra)
    app = create_app(config)
    if create_schema:
        with app.app_context():
            db.create_all()
    return app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Run a test once on SQLite and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'param.sqlite3'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture
def app(tmp_path):
    """A booth app on a fresh SQLite file. No app context stays pushed: a request made
    through the test client must get its own, as in production (``g`` is per request)."""
    app = build_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app):
    """The database session, in an app context of its own for this test's direct reads."""
    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def seeded(app):
    """The whole demo (registry, catalogue, staff and stock of COOP-01)."""
    from pos.demo import seed_demo

    with app.app_context():
        seed_demo(db.session, booth_code="COOP-01", hash_method=FAST_HASH)
        db.session.commit()
    return app


@pytest.fixture
def make_user(app):
    from werkzeug.security import generate_password_hash

    from core.models import Booth, User

    def make(username: str, role: str = "cashier", booth: str | None = "COOP-01",
             password: str = TEST_PASSWORD, **overrides) -> int:
        with app.app_context():
            booth_row = (db.session.scalar(select(Booth).where(Booth.code == booth))
                         if booth else None)
            user = User(username=username, role=role, booth=booth_row,
                        password_hash=generate_password_hash(password, method=FAST_HASH),
                        **overrides)
            db.session.add(user)
            db.session.commit()
            return user.id

    return make


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


def login(client, username: str, password: str = TEST_PASSWORD, *, follow: bool = False):
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=follow)
