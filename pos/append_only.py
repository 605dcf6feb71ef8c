"""Database triggers that make the books append-only, whatever writes to the database.

The audit trail, the stock ledger, sale lines and payments refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL). A sale row refuses DELETE and any UPDATE but its one
legal change: ``completed`` → ``voided`` with the void's reason, who and when. A mistake
is corrected by a new row (a compensating move, a refund), never by an edit. The ORM
guard in ``core.models`` catches slips in our code; these catch everything else.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import MetaData, event

APPEND_ONLY_TABLES = ("audit_entry", "stock_move", "sale_line", "payment")
SALE_VOID_COLUMNS = ("status", "void_reason", "voided_by_id", "voided_at")


def _quoted(name: str) -> str:
    return f'"{name}"'


def create_statements(dialect: str, sale_columns: Iterable[str]) -> list[str]:
    """The DDL creating the triggers (``sale_columns``: every column of ``sale``)."""
    fixed = [c for c in sale_columns if c not in SALE_VOID_COLUMNS]
    if dialect == "sqlite":
        statements = [
            f"CREATE TRIGGER trg_{table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            for table in APPEND_ONLY_TABLES for verb in ("UPDATE", "DELETE")]
        changed = " OR ".join(f"NEW.{_quoted(c)} IS NOT OLD.{_quoted(c)}" for c in fixed)
        void_changed = " OR ".join(f"NEW.{_quoted(c)} IS NOT OLD.{_quoted(c)}"
                                   for c in SALE_VOID_COLUMNS)
        statements += [
            "CREATE TRIGGER trg_sale_no_delete BEFORE DELETE ON sale "
            "BEGIN SELECT RAISE(ABORT, 'sale is append-only'); END",
            f"CREATE TRIGGER trg_sale_only_void BEFORE UPDATE ON sale WHEN {changed} "
            f"OR (OLD.status = 'voided' AND ({void_changed})) "
            "OR NEW.status NOT IN ('completed', 'voided') "
            "BEGIN SELECT RAISE(ABORT, 'sale is append-only but for its void'); END",
        ]
        return statements
    if dialect != "postgresql":
        return []
    changed = " OR ".join(f"NEW.{_quoted(c)} IS DISTINCT FROM OLD.{_quoted(c)}"
                          for c in fixed)
    void_changed = " OR ".join(f"NEW.{_quoted(c)} IS DISTINCT FROM OLD.{_quoted(c)}"
                               for c in SALE_VOID_COLUMNS)
    statements = [
        "CREATE OR REPLACE FUNCTION ocop_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; "
        "END $$",
        "CREATE OR REPLACE FUNCTION ocop_sale_only_void() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN IF TG_OP <> 'UPDATE' OR {changed} "
        f"OR (OLD.status = 'voided' AND ({void_changed})) "
        "OR NEW.status NOT IN ('completed', 'voided') THEN "
        "RAISE EXCEPTION USING MESSAGE = 'sale is append-only but for its void'; "
        "END IF; RETURN NEW; END $$",
    ]
    for table in APPEND_ONLY_TABLES:
        statements += [
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ocop_append_only()",
            f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ocop_append_only()"]
    statements += [
        "CREATE TRIGGER trg_sale_only_void BEFORE UPDATE OR DELETE ON sale "
        "FOR EACH ROW EXECUTE FUNCTION ocop_sale_only_void()",
        "CREATE TRIGGER trg_sale_no_truncate BEFORE TRUNCATE ON sale "
        "FOR EACH STATEMENT EXECUTE FUNCTION ocop_append_only()"]
    return statements


def drop_statements(dialect: str) -> list[str]:
    """The DDL removing what ``create_statements`` made."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS trg_{table}_no_{verb}"
                for table in APPEND_ONLY_TABLES for verb in ("update", "delete")] + [
            "DROP TRIGGER IF EXISTS trg_sale_no_delete",
            "DROP TRIGGER IF EXISTS trg_sale_only_void"]
    if dialect != "postgresql":
        return []
    statements = []
    for table in APPEND_ONLY_TABLES:
        statements += [f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}",
                       f"DROP TRIGGER IF EXISTS trg_{table}_no_truncate ON {table}"]
    return statements + ["DROP TRIGGER IF EXISTS trg_sale_only_void ON sale",
                         "DROP TRIGGER IF EXISTS trg_sale_no_truncate ON sale",
                         "DROP FUNCTION IF EXISTS ocop_sale_only_void()",
                         "DROP FUNCTION IF EXISTS ocop_append_only()"]


def attach(metadata: MetaData) -> None:
    """Create the triggers whenever ``metadata.create_all`` builds the tables (tests,
    a fresh database); the migration creates them on databases built by Alembic."""
    if event.contains(metadata, "after_create", _create_triggers):
        return
    event.listen(metadata, "after_create", _create_triggers)


def _create_triggers(metadata: MetaData, connection, **kwargs) -> None:
    if "sale" not in metadata.tables:
        return
    sale_columns = [column.name for column in metadata.tables["sale"].columns]
    dialect = connection.dialect.name
    # create_all on tables that exist already runs this again: replace, never duplicate.
    for statement in drop_statements(dialect) + create_statements(dialect, sale_columns):
        connection.exec_driver_sql(statement)
