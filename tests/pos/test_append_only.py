"""Finding 7 (part): the books refuse edits in the database itself, on SQLite and
PostgreSQL, whether the schema came from the models or from the migrations."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.extensions import db
from pos import MIGRATIONS_DIR
from tests.conftest import build_app
from tests.pos.test_counter_support import make_till

REFUSED = [
    "UPDATE audit_entry SET reason = 'sửa'",
    "DELETE FROM audit_entry",
    "UPDATE stock_move SET qty = qty - 1",
    "DELETE FROM stock_move",
    "UPDATE sale_line SET amount = 0",
    "DELETE FROM sale_line",
    "UPDATE payment SET amount = 1",
    "DELETE FROM payment",
    "DELETE FROM sale",
    "UPDATE sale SET total = 1",
    "UPDATE sale SET status = 'refunded'",
]


@pytest.fixture(params=["models", "migrations"])
def till(request, tmp_path, database_url):
    app = build_app(tmp_path, database_url=database_url,
                    create_schema=request.param == "models")
    if request.param == "migrations":
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
            db.session.remove()
    till = make_till(app)
    till.open_shift()
    yield till
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _execute(app, statement: str, **params) -> None:
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text(statement), params)


def test_rows_of_the_books_cannot_be_edited_or_deleted(till):
    till.sell(discount=1_000, approved_by=till.tokens["manager"], reason="Khách quen",
              payments=[{"method": "cash",
                         "amount": till.products[0]["price"] - 1_000}])
    before = till.snapshot()
    for statement in REFUSED:
        with pytest.raises(DBAPIError, match="append-only"):
            _execute(till.app, statement)
    assert till.snapshot() == before


def test_a_sale_may_only_be_voided_once(till):
    sale = till.sell()
    voided = till.post(f"/sales/{sale['id']}/void", {"reason": "Bấm nhầm"}, who="manager")
    assert voided.status_code == 200, voided.get_json()
    assert voided.get_json()["status"] == "voided"
    for statement in ("UPDATE sale SET status = 'completed' WHERE id = :id",
                      "UPDATE sale SET void_reason = 'khác' WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            _execute(till.app, statement, id=sale["id"])
