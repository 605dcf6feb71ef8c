"""One Alembic history that builds exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect

from core.extensions import db
from pos import MIGRATIONS_DIR
from pos.cli import init_command
from tests.conftest import build_app


def test_history_has_one_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_migrations_match_models(tmp_path, database_url):
    app = build_app(tmp_path, database_url=database_url, create_schema=False)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert differences == []


def test_ocop_init_creates_the_schema_on_an_empty_database(tmp_path):
    app = build_app(tmp_path, create_schema=False)
    result = app.test_cli_runner().invoke(init_command)
    assert result.exit_code == 0, result.output
    assert "sẵn sàng" in result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"product", "barcode", "stock_move", "user", "alembic_version"} <= tables
