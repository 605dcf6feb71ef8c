"""Finding 9: a receipt never stays stuck in "printing".

A worker's claim on a job is a lease: if the worker dies (or hangs) the job is due again
once the lease runs out; any error, not only a printer's, is retried with backoff.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import receipts.queue
import receipts.rendered
from core.extensions import db
from core.models import Booth
from core.types import utcnow
from receipts.models import PrintJob
from receipts.printers import PrintSettings
from receipts.queue import LEASE, MAX_ATTEMPTS, run_print_queue
from tests.conftest import build_app
from tests.pos.test_counter_support import make_till


@pytest.fixture
def till(tmp_path):
    (tmp_path / "printed").mkdir()
    app = build_app(tmp_path, OCOP_PRINTER=f"pdf://{tmp_path / 'printed'}")
    till = make_till(app)
    till.open_shift()
    yield till
    with app.app_context():
        db.engine.dispose()


def _set_job(app, **fields) -> str:
    with app.app_context():
        job = db.session.scalar(select(PrintJob))
        for name, value in fields.items():
            setattr(job, name, value)
        db.session.commit()
        return job.id


def _run(app, now):
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        tried = [job.id for job in run_print_queue(
            db.session, booth=booth, settings=PrintSettings.from_config(app.config), now=now)]
        db.session.remove()
    return tried


def _job(app, job_id) -> PrintJob:
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        db.session.expunge(job)
        return job


def test_a_job_whose_worker_died_is_printed_once_its_lease_runs_out(till, tmp_path):
    till.sell()
    now = utcnow()
    # What a worker killed mid-print leaves behind: claimed, lease still running.
    job_id = _set_job(till.app, state="printing", attempts=1,
                      next_attempt_at=now + timedelta(seconds=30))
    assert _run(till.app, now) == []  # another worker may still be printing it
    later = now + timedelta(seconds=31)
    assert _run(till.app, later) == [job_id]
    job = _job(till.app, job_id)
    assert job.state == "done" and job.attempts == 2
    assert len(list((tmp_path / "printed").glob("*.pdf"))) == 1


def test_a_claim_is_a_lease_of_limited_length(till):
    till.sell()
    now = utcnow()
    job_id = _set_job(till.app)
    original = receipts.queue.send

    def die_while_printing(*args, **kwargs):
        raise KeyboardInterrupt  # the process stops here, the claim stays in the database

    receipts.queue.send = die_while_printing
    try:
        with pytest.raises(KeyboardInterrupt):
            _run(till.app, now)
    finally:
        receipts.queue.send = original
    job = _job(till.app, job_id)
    assert job.state == "printing" and job.next_attempt_at == now + LEASE
    assert _run(till.app, now + LEASE) == [job_id]
    assert _job(till.app, job_id).state == "done"


def test_a_non_printer_error_is_retried_with_backoff(till, monkeypatch):
    till.sell()
    now = utcnow()

    def broken_render(doc, fmt, settings, columns=None):
        raise ValueError("phông chữ hỏng")

    monkeypatch.setattr(receipts.rendered, "render_format", broken_render)
    [job_id] = _run(till.app, now)
    job = _job(till.app, job_id)
    assert job.state == "failed" and "phông chữ hỏng" in job.last_error
    assert job.next_attempt_at > now
    monkeypatch.undo()
    assert _run(till.app, job.next_attempt_at) == [job_id]
    assert _job(till.app, job_id).state == "done"


def test_an_abandoned_job_with_no_tries_left_shows_as_failed(till):
    till.sell()
    now = utcnow()
    job_id = _set_job(till.app, state="printing", attempts=MAX_ATTEMPTS,
                      next_attempt_at=now - timedelta(seconds=1))
    assert _run(till.app, now) == []
    job = _job(till.app, job_id)
    assert job.state == "failed" and job.last_error
    status = till.get("/printer/status").get_json()
    assert [failed["id"] for failed in status["failed"]] == [job_id]
