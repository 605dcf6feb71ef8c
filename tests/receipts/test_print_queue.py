"""Every sale queues its receipt in its own transaction; a printer that is off never
loses or blocks a sale; receipts come out as text, ESC/POS, PDF and PNG."""

from __future__ import annotations

import io
import socket
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Booth
from core.types import utcnow
from pos.counter_models import Sale
from receipts.models import PrintJob
from receipts.printers import PrintSettings
from receipts.queue import MAX_ATTEMPTS, run_print_queue
from tests.pos.test_counter_support import make_till


class RecordingPrinter:
    """A TCP listener on 127.0.0.1 that keeps every byte sent to it, like port 9100."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while data := conn.recv(65536):
                    chunks.append(data)
                self.received.append(b"".join(chunks))

    def wait_for(self, count: int, timeout: float = 5) -> list[bytes]:
        """The jobs received once ``count`` have arrived (the listener runs in a thread)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received

    def close(self):
        """Stop listening, like a printer switched off (shutdown wakes accept())."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def printer():
    listener = RecordingPrinter()
    yield listener
    listener.close()


@pytest.fixture
def till(app, printer):
    app.config["OCOP_PRINTER"] = f"escpos+network://127.0.0.1:{printer.port}"
    till = make_till(app)
    till.open_shift()
    return till


def _run_queue(app, *, now=None):
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        jobs = run_print_queue(db.session, booth=booth,
                               settings=PrintSettings.from_config(app.config), now=now,
                               timeout=2)
        result = [(job.state, job.attempts, job.last_error) for job in jobs]
        db.session.remove()
    return result


def _jobs(app):
    with app.app_context():
        rows = [(job.sale_id, job.state, job.reprint)
                for job in db.session.scalars(select(PrintJob).order_by(PrintJob.created_at))]
        db.session.remove()
    return rows


def test_a_sale_queues_its_receipt_and_the_printer_gets_escpos(till, printer):
    sale = till.sell(payments=[{"method": "cash", "amount": till.price_of(
        [{"product_id": till.products[0]["id"], "qty": 1}]), "tendered": 500_000}])
    assert _jobs(till.app) == [(sale["id"], "pending", False)]

    assert _run_queue(till.app) == [("done", 1, "")]
    [data] = printer.wait_for(1)
    assert data.startswith(b"\x1b@")          # init
    assert b"\x1dv0" in data                  # the raster receipt (GS v 0)
    assert b"\x1bp" in data                   # a cash sale opens the drawer
    assert b"\x1dV" in data                   # cut
    assert _run_queue(till.app) == []         # nothing printed twice


def test_an_unreachable_printer_fails_the_job_retries_it_and_keeps_the_sale(till, printer):
    printer.close()
    sale = till.sell()
    [(state, attempts, error)] = _run_queue(till.app)
    assert (state, attempts) == ("failed", 1)
    assert "máy in" in error.lower()

    status = till.get("/printer/status").get_json()
    assert status["state"] == "error" and status["failed"][0]["number"] == sale["number"]
    assert till.get(f"/sales/{sale['id']}").status_code == 200  # the sale is committed

    # Not due again until the backoff has passed, then retried.
    assert _run_queue(till.app) == []
    later = utcnow() + timedelta(seconds=3)
    assert [s for s, *_ in _run_queue(till.app, now=later)] == ["failed"]
    with till.app.app_context():
        job = db.session.scalar(select(PrintJob))
        assert job.attempts == 2 and job.next_attempt_at > later
        db.session.remove()

    replacement = RecordingPrinter()  # the printer is back on, on a new port
    try:
        till.app.config["OCOP_PRINTER"] = f"escpos+network://127.0.0.1:{replacement.port}"
        job_id = status["failed"][0]["id"]
        assert till.post(f"/print-jobs/{job_id}/retry").status_code == 200
        assert _run_queue(till.app) == [("done", 1, "")]
        assert len(replacement.wait_for(1)) == 1
    finally:
        replacement.close()


def test_retries_stop_after_the_last_attempt(till, printer):
    printer.close()
    till.sell()
    moment = utcnow()
    for _ in range(MAX_ATTEMPTS):
        moment += timedelta(minutes=6)
        _run_queue(till.app, now=moment)
    assert _run_queue(till.app, now=moment + timedelta(hours=1)) == []
    assert till.get("/printer/status").get_json()["failed"][0]["attempts"] == MAX_ATTEMPTS


def test_reprint_is_queued_and_audited(till):
    sale = till.sell()
    response = till.post(f"/sales/{sale['id']}/print", {"reason": "Khách xin thêm bản"})
    assert response.status_code == 202 and response.get_json()["reprint"] is True
    assert [reprint for _, _, reprint in _jobs(till.app)] == [False, True]
    with till.app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reprint"))
        assert entry.target_id == sale["id"] and entry.reason == "Khách xin thêm bản"
        db.session.remove()


def test_receipt_formats(till, tmp_path):
    product = till.products[0]
    sale = till.sell(lines=[{"product_id": product["id"], "qty": 2}])
    text = till.get(f"/sales/{sale['id']}/receipt?format=text&columns=42")
    assert text.status_code == 200
    body = text.get_data(as_text=True)
    assert sale["number"] in body and product["name"][:20] in body
    assert all(len(line) <= 42 for line in body.splitlines())

    escpos = till.get(f"/sales/{sale['id']}/receipt?format=escpos")
    assert escpos.data.startswith(b"\x1b@") and b"\x1dV" in escpos.data

    pdf = till.get(f"/sales/{sale['id']}/receipt?format=pdf")
    assert pdf.mimetype == "application/pdf"
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf.data)
    extracted = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                               text=True, check=True).stdout
    assert sale["number"] in extracted
    assert product["name"].split()[0] in extracted
    total = f"{sale['total']:,}".replace(",", ".") + " ₫"
    assert total in extracted

    bad = till.get(f"/sales/{sale['id']}/receipt?format=docx")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "format"
    missing = till.get("/sales/00000000-0000-4000-8000-000000000000/receipt")
    assert missing.status_code == 404


def test_png_preview_of_the_receipt(till):
    sale = till.sell()
    response = till.client.get(f"/sales/{sale['id']}/receipt.png",
                               headers={"Authorization": f"Bearer {till.tokens['cashier']}"})
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.width == 576 and image.height > 300
    grey = image.convert("L")
    black = grey.histogram()[:128]
    assert 0.01 < sum(black) / (image.width * image.height) < 0.5


def test_zreport_prints_as_pdf(till, tmp_path):
    till.sell()
    shift = till.get("/shifts/current").get_json()["shift"]
    pdf = till.get(f"/shifts/{shift['id']}/zreport?format=pdf")
    assert pdf.status_code == 200
    path = tmp_path / "z.pdf"
    path.write_bytes(pdf.data)
    extracted = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                               text=True, check=True).stdout
    assert "Tiền mặt" in extracted


def test_sale_stays_whole_when_nothing_can_print(app):
    app.config["OCOP_PRINTER"] = "escpos+network://127.0.0.1:9"  # nothing listens
    till = make_till(app)
    till.open_shift()
    sale = till.sell()
    with app.app_context():
        assert db.session.get(Sale, sale["id"]).number == sale["number"]
        db.session.remove()
