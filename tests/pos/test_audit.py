"""The audit trail is append-only and shows when a row was edited behind its back."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core.models import AuditEntry, Booth, User
from core.services import check_audit_chain, record_audit


def test_entries_chain_and_an_edit_is_detected(seeded, session):
    booth = session.scalar(select(Booth).where(Booth.code == "COOP-01"))
    cashier = session.scalar(select(User).where(User.username == "thungan.coop-01"))
    manager = session.scalar(select(User).where(User.username == "quanly.coop-01"))
    entries = [record_audit(session, action="discount", actor=cashier, approver=manager,
                            booth=booth, target_type="sale", target_id=f"S{i}",
                            before={"price": 100_000}, after={"price": 90_000 - i},
                            reason="Khách quen") for i in range(3)]
    session.commit()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].hash
    untouched = check_audit_chain(session, booth_id=booth.id)
    assert untouched.ok and untouched.entries == 3

    # Someone with the database file drops the append-only trigger and edits a row.
    session.execute(text("DROP TRIGGER trg_audit_entry_no_update"))
    session.execute(text("UPDATE audit_entry SET reason = 'Không có gì' WHERE id = :id"),
                    {"id": entries[1].id})
    session.commit()
    session.expire_all()
    check = check_audit_chain(session, booth_id=booth.id)
    assert (check.first_bad.id, check.problem) == (entries[1].id, "edited")


def test_the_orm_refuses_to_edit_or_delete_an_entry(seeded, session):
    cashier = session.scalar(select(User).where(User.username == "thungan.coop-01"))
    entry = record_audit(session, action="reprint", actor=cashier, reason="Khách xin lại")
    session.commit()
    entry.reason = "sửa"
    with pytest.raises(RuntimeError, match="append-only"):
        session.commit()
    session.rollback()
    session.delete(session.get(AuditEntry, entry.id))
    with pytest.raises(RuntimeError, match="append-only"):
        session.commit()
