"""Finding 7 (keyed chain): the audit chain is an HMAC with a key kept outside the
database, so someone who can edit the database file but not read the key cannot
recompute the chain after an edit; booths chained before the key are sealed at upgrade."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text

from core.extensions import db
from core.models import AuditEntry, Booth, User
from core.services import audit_fields, entry_mac, legacy_entry_hash, record_audit
from core.types import utcnow
from pos import MIGRATIONS_DIR
from pos.cli import audit_verify_command
from pos.demo import DEMO_PASSWORD
from sync.backup import backup_database
from tests.conftest import build_app, login


def _db_file(app: Flask) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def _record(app: Flask, n: int) -> list[str]:
    """``n`` reprints audited in COOP-01's chain; their ids in order."""
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        cashier = db.session.scalar(select(User).where(User.username == "thungan.coop-01"))
        ids = [record_audit(db.session, action="reprint", actor=cashier, booth=booth,
                            target_type="sale", target_id=f"S{i}", reason="Khách xin lại").id
               for i in range(n)]
        db.session.commit()
    return ids


def _forge(app: Flask, *, from_seq: int, sign, reason: str = "Không có gì",
           through: int | None = None, drop_from: int | None = None,
           booth: str | None = "COOP-01") -> None:
    """What someone holding only the database file does: drop the append-only triggers
    with sqlite3, rewrite the entry at ``from_seq`` and re-chain the entries from it
    (up to ``through``) with ``sign(prev, fields)`` (plain SHA-256, or a key of their
    own); with ``drop_from`` first delete the entries from that seq on."""
    with app.app_context():
        booth_id = db.session.scalar(select(Booth.id).where(Booth.code == booth))
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.booth_id.is_(None) if booth_id is None
            else AuditEntry.booth_id == booth_id).order_by(AuditEntry.seq)).all()
        entries = [e for e in entries if (drop_from is None or e.seq < drop_from)
                   and (through is None or e.seq <= through)]
        prev = next((e.hash for e in entries if e.seq == from_seq - 1), "")
        rewritten = []
        for entry in entries:
            if entry.seq < from_seq:
                continue
            fields = audit_fields(entry)
            if entry.seq == from_seq:
                fields["reason"] = reason
            mac = sign(prev, fields)
            rewritten.append((fields["reason"], prev, mac, entry.id))
            prev = mac
        db.session.rollback()
        db.engine.dispose()
    with sqlite3.connect(_db_file(app)) as conn:
        conn.execute("DROP TRIGGER trg_audit_entry_no_update")
        conn.execute("DROP TRIGGER trg_audit_entry_no_delete")
        if drop_from is not None:
            conn.execute("DELETE FROM audit_entry WHERE booth_id IS ? AND seq >= ?",
                         (booth_id, drop_from))
        conn.executemany("UPDATE audit_entry SET reason = ?, prev_hash = ?, hash = ? "
                         "WHERE id = ?", rewritten)


def test_the_key_lives_in_the_instance_folder_readable_by_its_owner_only(app):
    key_file = Path(app.instance_path) / "audit_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) == 64 and app.config["OCOP_AUDIT_KEY"] == key
    # The same key on the next start, not a new one.
    again = build_app(Path(app.instance_path).parent, create_schema=False)
    assert again.config["OCOP_AUDIT_KEY"] == key


def test_ocop_audit_key_from_the_environment_wins_and_signs_the_chain(tmp_path, monkeypatch):
    monkeypatch.setenv("OCOP_AUDIT_KEY", "khoa-rieng-cua-quay-coop-01-dai-du-32-ky-tu")
    app = build_app(tmp_path)
    assert not (Path(app.instance_path) / "audit_key").exists()
    with app.app_context():
        entry = record_audit(db.session, action="reprint", actor=None, reason="Khách xin lại")
        db.session.commit()
        assert entry.hash == entry_mac("khoa-rieng-cua-quay-coop-01-dai-du-32-ky-tu", "",
                                       audit_fields(entry))


def test_a_chain_recomputed_with_plain_sha256_is_named_and_exits_1(seeded, runner, client):
    chain = _record(seeded, 4)
    _forge(seeded, from_seq=2, sign=legacy_entry_hash)
    result = runner.invoke(audit_verify_command)
    assert result.exit_code == 1
    assert f"mục hỏng đầu tiên là số 2 (id {chain[1]}" in result.output
    assert "không được ký bằng khóa của quầy" in result.output

    login(client, "quanly.coop-01", DEMO_PASSWORD)
    html = client.get("/audit").get_data(as_text=True)
    assert "Chuỗi nhật ký bị hỏng từ mục số 2" in html
    assert "không được ký bằng khóa của quầy" in html
    english = client.get("/audit?lang=en").get_data(as_text=True)
    assert "not signed with the booth's key" in english


def test_a_chain_recomputed_from_its_first_entry_is_detected_too(seeded, runner):
    chain = _record(seeded, 3)
    _forge(seeded, from_seq=1, sign=legacy_entry_hash)
    result = runner.invoke(audit_verify_command, ["--booth", "COOP-01"])
    assert result.exit_code == 1
    assert f"mục hỏng đầu tiên là số 1 (id {chain[0]}" in result.output


def test_a_chain_signed_again_with_another_key_is_detected(seeded, runner):
    _record(seeded, 3)
    _forge(seeded, from_seq=2, sign=lambda prev, fields: entry_mac("khoa-khac", prev, fields))
    result = runner.invoke(audit_verify_command)
    assert result.exit_code == 1
    assert "mục hỏng đầu tiên là số 2" in result.output and "bị sửa" in result.output


def test_a_backup_of_the_database_does_not_hold_the_key(seeded, runner):
    _record(seeded, 2)
    copy = backup_database(seeded)
    key = seeded.config["OCOP_AUDIT_KEY"]
    assert key.encode() not in copy.read_bytes()
    assert not (copy.parent / "audit_key").exists()
    assert runner.invoke(audit_verify_command).exit_code == 0


# --- booths whose chain was written before the key ----------------------------------------


def _legacy_chain(app: Flask, n: int) -> None:
    """``n`` entries chained as before the key (plain SHA-256), written on a database
    at revision 0007."""
    with app.app_context():
        prev = ""
        for seq in range(1, n + 1):
            entry = AuditEntry(id=f"00000000-0000-4000-8000-{seq:012d}", seq=seq,
                               booth_id=None, actor_id=None, approver_id=None,
                               action="reprint", target_type="sale", target_id=f"S{seq}",
                               before=None, after=None, reason="Khách xin lại",
                               at=utcnow())
            entry.prev_hash = prev
            entry.hash = prev = legacy_entry_hash(prev, audit_fields(entry))
            db.session.execute(text(
                "INSERT INTO audit_entry (id, booth_id, seq, at, action, target_type, "
                "target_id, reason, prev_hash, hash) VALUES (:id, NULL, :seq, :at, :action, "
                ":tt, :ti, :reason, :prev, :hash)"),
                {"id": entry.id, "seq": seq, "at": entry.at.replace(tzinfo=None),
                 "action": entry.action, "tt": entry.target_type, "ti": entry.target_id,
                 "reason": entry.reason, "prev": entry.prev_hash, "hash": entry.hash})
        db.session.commit()


def _upgraded(tmp_path, database_url: str | None = None):
    """A booth whose office chain of three entries was written before the key, then
    upgraded to the newest revision (which seals it)."""
    app = build_app(tmp_path, create_schema=False, database_url=database_url)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0007")
    _legacy_chain(app, 3)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def upgraded(tmp_path):
    yield from _upgraded(tmp_path)


@pytest.fixture
def upgraded_anywhere(tmp_path, database_url):
    """The same on SQLite and on PostgreSQL (central's database)."""
    yield from _upgraded(tmp_path, database_url)


def test_an_old_unkeyed_chain_still_verifies_after_the_upgrade_seals_it(upgraded_anywhere):
    upgraded = upgraded_anywhere
    result = upgraded.test_cli_runner().invoke(audit_verify_command)
    assert result.exit_code == 0, result.output
    assert "Văn phòng: 4 mục, chuỗi toàn vẹn." in result.output
    with upgraded.app_context():
        seal = db.session.scalar(select(AuditEntry).where(AuditEntry.seq == 4))
        assert seal.action == "audit_chain_keyed" and seal.after == {"unkeyed_entries": 3}
        # New entries are keyed after the seal.
        record_audit(db.session, action="reprint", actor=None, reason="Khách xin lại")
        db.session.commit()
    assert upgraded.test_cli_runner().invoke(audit_verify_command).exit_code == 0


def test_an_old_entry_edited_after_the_upgrade_breaks_the_seal(upgraded):
    # The old entries are re-chained without a key, as they were written; the seal,
    # signed with the key, no longer follows them.
    _forge(upgraded, booth=None, from_seq=2, through=3, sign=legacy_entry_hash)
    result = upgraded.test_cli_runner().invoke(audit_verify_command)
    assert result.exit_code == 1
    assert "mục hỏng đầu tiên là số 4" in result.output


def test_deleting_the_seal_leaves_an_unsigned_chain_that_is_reported(upgraded):
    with upgraded.app_context():
        db.engine.dispose()
    with sqlite3.connect(_db_file(upgraded)) as conn:
        conn.execute("DROP TRIGGER trg_audit_entry_no_delete")
        conn.execute("DELETE FROM audit_entry WHERE seq = 4")
    result = upgraded.test_cli_runner().invoke(audit_verify_command)
    assert result.exit_code == 1
    assert "mục hỏng đầu tiên là số 1" in result.output
    assert "không được ký bằng khóa của quầy" in result.output
