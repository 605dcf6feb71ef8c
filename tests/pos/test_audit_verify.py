"""Finding 7 (part): ``ocop audit verify`` and the manager's audit page check the chain
and name the first bad entry."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core.extensions import db
from core.models import AuditEntry, Booth, User
from core.services import record_audit
from pos.cli import audit_verify_command
from pos.demo import DEMO_PASSWORD
from tests.conftest import login


@pytest.fixture
def chain(seeded):
    """Four entries in COOP-01's chain; returns their ids in order."""
    with seeded.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        cashier = db.session.scalar(select(User).where(User.username == "thungan.coop-01"))
        ids = [record_audit(db.session, action="reprint", actor=cashier, booth=booth,
                            target_type="sale", target_id=f"S{i}", reason="Khách xin lại").id
               for i in range(4)]
        db.session.commit()
    return ids


def _tamper(app, statement: str, trigger: str, **params) -> None:
    """What someone holding the database file could do: drop a trigger, then edit."""
    with app.app_context():
        db.session.execute(text(f"DROP TRIGGER {trigger}"))
        db.session.execute(text(statement), params)
        db.session.commit()


def test_an_untouched_chain_verifies(seeded, runner, chain):
    result = runner.invoke(audit_verify_command)
    assert result.exit_code == 0, result.output
    assert "Quầy COOP-01: 4 mục, chuỗi toàn vẹn." in result.output


def test_an_edited_entry_is_named_and_exits_1(seeded, runner, chain):
    _tamper(seeded, "UPDATE audit_entry SET reason = 'sửa' WHERE id = :id",
            "trg_audit_entry_no_update", id=chain[1])
    result = runner.invoke(audit_verify_command)
    assert result.exit_code == 1
    assert f"mục hỏng đầu tiên là số 2 (id {chain[1]}" in result.output
    assert "bị sửa" in result.output


def test_a_deleted_entry_is_found_at_the_next_one(seeded, runner, chain):
    _tamper(seeded, "DELETE FROM audit_entry WHERE id = :id", "trg_audit_entry_no_delete",
            id=chain[2])
    result = runner.invoke(audit_verify_command, ["--booth", "coop-01"])
    assert result.exit_code == 1
    assert f"số 4 (id {chain[3]}" in result.output and "đã bị xóa" in result.output


def test_the_manager_page_shows_the_chain_and_the_first_bad_entry(seeded, client, chain):
    login(client, "quanly.coop-01", DEMO_PASSWORD)
    page = client.get("/audit").get_data(as_text=True)
    assert "Chuỗi nhật ký toàn vẹn: 4 mục" in page
    _tamper(seeded, "UPDATE audit_entry SET reason = 'sửa' WHERE id = :id",
            "trg_audit_entry_no_update", id=chain[2])
    response = client.get("/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Chuỗi nhật ký bị hỏng từ mục số 3" in html and "bị sửa" in html
    english = client.get("/audit?lang=en").get_data(as_text=True)
    assert "Audit log" in english


def test_cashiers_do_not_see_the_audit_page(seeded, client, chain):
    login(client, "thungan.coop-01", DEMO_PASSWORD)
    assert client.get("/audit").status_code == 403
    with seeded.app_context():
        assert db.session.scalar(select(AuditEntry.id).limit(1)) is not None
