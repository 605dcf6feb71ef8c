"""The code's names for statuses and kinds are the words the database accepts: a
member the CHECK constraint refuses would fail only when a till first uses it."""

from __future__ import annotations

import re

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from core.enums import (
    CashKind,
    EventType,
    PaymentMethod,
    PrintJobKind,
    PrintJobState,
    SaleKind,
    SaleStatus,
    ShiftStatus,
    StockMoveKind,
)
from core.extensions import db
from pos import MIGRATIONS_DIR
from sync.models import EVENT_TYPES
from tests.conftest import build_app

# (table, column, the enum whose words the column holds)
COLUMNS = [("sale", "status", SaleStatus), ("sale", "kind", SaleKind),
           ("payment", "method", PaymentMethod), ("shift", "status", ShiftStatus),
           ("cash_movement", "kind", CashKind), ("print_job", "state", PrintJobState),
           ("print_job", "kind", PrintJobKind),
           ("stock_move", "kind", StockMoveKind)]


@pytest.fixture(scope="module")
def migrated_checks(tmp_path_factory) -> dict[tuple[str, str], set[str]]:
    """The words each column's CHECK constraint accepts in the schema the Alembic
    history builds (not the models': a migration that lags an enum is what this finds)."""
    app = build_app(tmp_path_factory.mktemp("enums"), create_schema=False)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        tables = dict(db.session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
        db.session.remove()
        db.engine.dispose()
    checks = {}
    for table, column, _enum in COLUMNS:
        found = re.search(rf"CHECK \(\s*{column} IN \(([^)]*)\)", tables[table])
        assert found, (table, column)
        checks[(table, column)] = set(re.findall(r"'([^']*)'", found.group(1)))
    return checks


@pytest.mark.parametrize(("table", "column", "enum"), COLUMNS,
                         ids=[f"{t}.{c}" for t, c, _e in COLUMNS])
def test_each_enum_is_exactly_what_the_migrated_table_accepts(migrated_checks, table, column,
                                                               enum):
    assert {member.value for member in enum} == migrated_checks[(table, column)]


def test_the_event_types_are_those_the_outbox_and_the_ingest_know():
    """Every EventType passes central's ingest schema; another word is refused there."""
    from pydantic import ValidationError

    from sync.ingest import EventIn

    event = {"id": "6b1c1f8e-2f43-4f6e-9a55-5f0e1d2c3b4a", "seq": 1,
             "occurred_at": "2026-12-01T08:00:00+07:00", "hash": "0" * 64, "payload": {}}
    assert {EventIn(**event, type=member).type for member in EventType} == set(EVENT_TYPES)
    with pytest.raises(ValidationError):
        EventIn(**event, type="sale_deleted")


def test_a_member_is_its_word_in_json_and_comparisons():
    import json

    assert SaleStatus.VOIDED == "voided"
    assert json.dumps({"status": SaleStatus.VOIDED}) == '{"status": "voided"}'
