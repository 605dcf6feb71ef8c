"""Finding 7 (chain head with sync): every push carries the booth's audit chain head, so
central notices when the newest audit entries are deleted at the booth — even by someone
holding the key — and flags it in the booth's health; a restore from a backup (a new
epoch) is not flagged."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from core.extensions import db
from core.models import AuditEntry
from core.services import record_audit
from pos.demo import DEMO_PASSWORD, OFFICE_USERNAME
from sync.backup import backup_database, restore_command
from sync.cli import list_command
from sync.client import CentralClient
from sync.models import BoothHealth, SyncState
from tests.conftest import login
from tests.sync.conftest import booth_row, open_shift, pending, sell, staff, stocked_products


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """Central as a real HTTP server on 127.0.0.1 (a thread of this process)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def audited(app: Flask, n: int) -> None:
    """``n`` reprints audited at the booth."""
    with app.app_context():
        for i in range(n):
            record_audit(db.session, action="reprint", actor=staff(), booth=booth_row(),
                         target_type="sale", target_id=f"S{i}", reason="Khách xin lại")
        db.session.commit()


def head(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(AuditEntry.seq).where(
            AuditEntry.booth_id == booth_row().id).order_by(AuditEntry.seq.desc()).limit(1))


def delete_newest(app: Flask, n: int) -> None:
    """Someone at the booth drops the trigger with sqlite3 and deletes the newest rows."""
    with app.app_context():
        path, booth_id = Path(db.engine.url.database), booth_row().id
        db.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER trg_audit_entry_no_delete")
        conn.execute("DELETE FROM audit_entry WHERE booth_id = ? AND seq > "
                     "(SELECT max(seq) FROM audit_entry WHERE booth_id = ?) - ?",
                     (booth_id, booth_id, n))


def health(central: Flask) -> BoothHealth:
    with central.app_context():
        row = db.session.scalar(select(BoothHealth).join(BoothHealth.booth)
                                .where(BoothHealth.booth.has(code="COOP-01")))
        db.session.expunge(row)
        return row


def office_view(central: Flask) -> dict:
    """COOP-01 as the office sees it in the sync status of every booth."""
    client = central.test_client()
    login(client, OFFICE_USERNAME, DEMO_PASSWORD)
    rows = client.get("/api/v1/sync/booths").get_json()["booths"]
    return next(row for row in rows if row["booth"] == "COOP-01")


def sync(pair, client: CentralClient | None = None) -> None:
    """One sync as the worker runs it (central through its WSGI interface unless
    ``pair.booth`` names a served central)."""
    own = client is None
    if own:
        served_url = pair.booth.config["OCOP_CENTRAL_URL"].startswith("http://127.")
        client = CentralClient(pair.booth) if served_url else pair.client()
    try:
        client.sync_once()
    finally:
        if own:
            client.close()


def test_deleting_the_newest_audit_rows_is_flagged_at_central_over_http(pair):
    open_shift(pair.booth)
    product = stocked_products(pair.booth, 1)[0]
    audited(pair.booth, 5)
    with served(pair.central) as url:
        pair.booth.config["OCOP_CENTRAL_URL"] = url
        sync(pair)
        reported = head(pair.booth)
        assert health(pair.central).audit_seq == reported
        assert office_view(pair.central)["audit_alert"] == ""

        delete_newest(pair.booth, 2)
        sell(pair.booth, [(product, 1)])
        sync(pair)

    # The sale still reaches central; the deletion is flagged for the office.
    assert pending(pair.booth) == 0
    row = office_view(pair.central)
    assert row["audit_alert"] == (
        f"Nhật ký kiểm toán của quầy đã lùi từ mục số {reported} về mục số {reported - 2}: "
        "các mục mới nhất đã bị xóa ở quầy.")
    assert row["audit_alert_at"] is not None and row["audit_head_seq"] == reported
    result = pair.central.test_cli_runner().invoke(list_command)
    assert "CẢNH BÁO nhật ký kiểm toán" in result.output
    # …and on the office's booths page, named above every table and on the booth's row.
    office = pair.central.test_client()
    login(office, OFFICE_USERNAME, DEMO_PASSWORD)
    page = office.get("/booths").get_data(as_text=True)
    assert "Nhật ký kiểm toán bị sửa hoặc xóa ở quầy: <strong>COOP-01</strong>" in page
    assert "đã lùi từ mục số" in page


def test_rows_deleted_then_written_again_past_the_old_head_are_flagged(pair):
    audited(pair.booth, 4)
    sync(pair)
    reported = head(pair.booth)
    with pair.booth.app_context():
        assert db.session.get(SyncState, booth_row().id).audit_seq_at_central == reported
    # Deleted, then the booth goes on auditing beyond the seq central holds: the next
    # push (another run of the sender) says what the booth now holds at that seq.
    delete_newest(pair.booth, 2)
    audited(pair.booth, 3)
    assert head(pair.booth) > reported
    sync(pair)
    alert = health(pair.central).audit_alert
    assert alert.startswith(f"Mục nhật ký kiểm toán số {reported} của quầy không còn như")


def test_the_same_seq_with_another_mac_is_flagged(pair):
    audited(pair.booth, 4)
    sync(pair)
    delete_newest(pair.booth, 1)
    audited(pair.booth, 1)
    sync(pair)
    assert "không còn như lần báo trước" in health(pair.central).audit_alert


def test_a_booth_that_only_adds_entries_is_never_flagged(pair):
    audited(pair.booth, 2)
    for _ in range(3):
        sync(pair)
        audited(pair.booth, 2)
    sync(pair)
    row = health(pair.central)
    assert row.audit_alert == "" and row.audit_seq == head(pair.booth)


def test_a_restore_from_a_backup_starts_over_without_a_flag(pair, tmp_path):
    audited(pair.booth, 3)
    sync(pair)
    backup = backup_database(pair.booth, tmp_path / "old.sqlite3")
    audited(pair.booth, 3)
    sync(pair)
    result = pair.booth.test_cli_runner().invoke(restore_command, [str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    sync(pair)
    row = health(pair.central)
    assert row.audit_alert == "" and row.audit_seq == head(pair.booth)


def test_an_older_booth_without_the_head_is_still_accepted(pair):
    token_header = {"Authorization": f"Bearer {pair.token}"}
    body = {"booth": "COOP-01", "epoch": str(uuid.uuid4()), "events": []}
    response = pair.central.test_client().post("/api/sync/v1/events", json=body,
                                               headers=token_header)
    assert response.status_code == 200
    assert "audit_head" not in response.get_json()
    assert health(pair.central).audit_seq is None


@pytest.mark.parametrize("bad_head", [{"seq": -1, "mac": ""},
                                      {"seq": 3, "mac": "không phải mã"},
                                      {"seq": 3, "mac": ""}, {"seq": 0, "mac": "ab" * 32},
                                      {"seq": 3, "mac": "ab" * 32, "checked_seq": 0}])
def test_a_malformed_head_is_refused_in_vietnamese_and_writes_nothing(pair, bad_head):
    body = {"booth": "COOP-01", "epoch": str(uuid.uuid4()), "events": [],
            "audit_head": bad_head}
    response = pair.central.test_client().post(
        "/api/sync/v1/events", json=body, headers={"Authorization": f"Bearer {pair.token}"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"].startswith("audit_head")
    assert "không hợp lệ" in error["message"] or "phải từ" in error["message"]
    with pair.central.app_context():
        assert db.session.scalar(select(BoothHealth.audit_seq).join(BoothHealth.booth)
                                 .where(BoothHealth.booth.has(code="COOP-01"))) is None
