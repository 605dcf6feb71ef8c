"""Fixtures shared by the till tests."""

from __future__ import annotations

import pytest

from core.extensions import db
from tests.conftest import build_app
from tests.pos.test_counter_support import make_till


@pytest.fixture
def quick_till(tmp_path):
    """A till whose writers give up on SQLite's lock after 50 ms instead of 5 s."""
    app = build_app(tmp_path, OCOP_SQLITE_BUSY_TIMEOUT_MS=50)
    till = make_till(app)
    yield till
    with app.app_context():
        db.engine.dispose()
