"""Receipts are drawn once per sale, format and paper and kept: the preview answers 304
to a browser that has it, the printer gets the very bytes the download gives, a void
draws the receipt again; the print queue's status costs the same however long the queue;
with no printer configured, jobs do not pile up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select

from core.extensions import db
from core.models import Booth
from core.types import utcnow
from receipts import rendered
from receipts.models import PrintJob
from receipts.printers import PrintSettings
from receipts.queue import NO_PRINTER_NOTE, PrintWorker, run_print_queue
from tests.pos.test_counter_support import make_till

from .test_print_queue import RecordingPrinter


@pytest.fixture
def till(app):
    till = make_till(app)
    till.open_shift()
    return till


def _kept_files(app) -> list[Path]:
    folder = rendered.cache_folder(app)
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_the_receipt_preview_is_kept_and_answers_304_when_unchanged(till):
    sale = till.sell()
    url = f"/sales/{sale['id']}/receipt.png"
    headers = {"Authorization": f"Bearer {till.tokens['cashier']}"}

    first = till.client.get(url, headers=headers)
    assert first.status_code == 200 and first.mimetype == "image/png"
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    assert len(_kept_files(till.app)) == 1  # drawn once, kept in the instance folder

    again = till.client.get(url, headers=headers)
    assert again.data == first.data and again.headers["ETag"] == etag

    revalidated = till.client.get(url, headers=headers | {"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.data == b""


@pytest.mark.parametrize("fmt", ["escpos", "pdf", "text"])
def test_each_receipt_format_has_an_etag(till, fmt):
    sale = till.sell()
    url = f"/api/v1/sales/{sale['id']}/receipt?format={fmt}"
    first = till.get(url.removeprefix("/api/v1"))
    assert first.status_code == 200 and first.headers.get("ETag")
    again = till.client.get(url, headers={"Authorization": f"Bearer {till.tokens['cashier']}",
                                          "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_printer_gets_the_same_kept_bytes_as_the_download(app, till):
    printer = RecordingPrinter()
    try:
        app.config["OCOP_PRINTER"] = f"escpos+network://127.0.0.1:{printer.port}"
        sale = till.sell()
        download = till.get(f"/sales/{sale['id']}/receipt?format=escpos")
        assert download.status_code == 200
        kept = _kept_files(app)
        assert len(kept) == 1

        with app.app_context():
            booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
            [job] = run_print_queue(db.session, booth=booth,
                                    settings=PrintSettings.from_config(app.config), timeout=2)
            assert job.state == "done"
            db.session.remove()
        [printed] = printer.wait_for(1)
        assert printed == download.data
        assert _kept_files(app) == kept  # the worker drew nothing new
    finally:
        printer.close()


def test_a_voided_receipt_is_drawn_again(till):
    sale = till.sell()
    url = f"/sales/{sale['id']}/receipt.png"
    headers = {"Authorization": f"Bearer {till.tokens['manager']}"}
    before = till.client.get(url, headers=headers)

    voided = till.post(f"/sales/{sale['id']}/void", {"reason": "Khách đổi ý"}, who="manager")
    assert voided.status_code == 200, voided.get_json()

    after = till.client.get(url, headers=headers | {"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"] and after.data != before.data


def test_the_kept_receipts_are_bounded(app):
    folder = rendered.cache_folder(app) / "ab"
    folder.mkdir(parents=True)
    for n in range(5):
        path = folder / f"ab{n}-key"
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 + n, 1_000_000 + n))
    assert rendered.prune(app, max_files=3) == 2
    assert sorted(p.name for p in folder.iterdir()) == ["ab2-key", "ab3-key", "ab4-key"]


def _statements(app, call) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*args, **kwargs):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _add_failed_jobs(app, count: int, start: int = 0) -> None:
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        sale_id = db.session.scalar(select(PrintJob.sale_id))
        db.session.execute(insert(PrintJob), [
            {"id": f"00000000-0000-4000-8000-{start + n:012d}", "booth_id": booth.id,
             "kind": "receipt", "sale_id": sale_id, "reprint": True, "state": "failed",
             "attempts": 1, "last_error": "Máy in từ chối kết nối",
             "next_attempt_at": utcnow(), "created_at": utcnow()} for n in range(count)])
        db.session.commit()
        db.session.remove()


def test_printer_status_costs_the_same_with_a_long_queue(app, till):
    till.sell()
    _add_failed_jobs(app, 2)
    short = _statements(app, lambda: till.get("/printer/status"))
    _add_failed_jobs(app, 80, start=2)
    assert _statements(app, lambda: till.get("/printer/status")) == short
    status = till.get("/printer/status").get_json()
    assert status["state"] == "none" and status["failed_count"] == 82
    assert len(status["failed"]) == 50  # the oldest fifty, each with its receipt number
    assert all(job["number"] for job in status["failed"])


def test_the_printer_page_says_how_many_failures_it_does_not_list(app, till):
    from tests.conftest import TEST_PASSWORD, login

    till.sell()
    _add_failed_jobs(app, 53)
    client = app.test_client()
    login(client, "quanly.coop-01", TEST_PASSWORD)
    html = client.get("/printer").get_data(as_text=True)
    start = html.index('id="failed-jobs"')
    listed = html[start:html.index("</table>", start)]
    assert listed.count("<tr>") == 1 + 50  # the head and the oldest fifty
    assert "Còn 3 lệnh in lỗi khác" in html


def test_with_no_printer_the_queue_does_not_pile_up(app, till):
    assert app.config.get("OCOP_PRINTER") in (None, "", "none")
    for _ in range(3):
        till.sell()
    PrintWorker(app).run_once()
    status = till.get("/printer/status").get_json()
    assert status["state"] == "none" and status["pending"] == 0 and status["failed"] == []
    with app.app_context():
        jobs = db.session.scalars(select(PrintJob)).all()
        assert len(jobs) == 3
        assert {(job.state, job.last_error) for job in jobs} == {("done", NO_PRINTER_NOTE)}
        db.session.remove()
