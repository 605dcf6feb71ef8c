"""Finding 2: the blind count stays blind in every format.

An open shift's report is an X-report (never headed "(Z)"); the cashier's copy leaves
out the expected cash whether it is read as JSON, text, ESC/POS or PDF, or printed.
"""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Booth
from receipts.printers import PrintSettings
from receipts.queue import run_print_queue
from tests.conftest import build_app
from tests.pos.test_counter_support import make_till
from tests.receipts.escpos_stream import parse

EXPECTED = "dự kiến"


@pytest.fixture
def till(tmp_path):
    app = build_app(tmp_path, OCOP_PRINTER_MODE="text", OCOP_PRINTER_ENCODING="cp1258",
                    OCOP_PRINTER=f"pdf://{tmp_path / 'printed'}")
    (tmp_path / "printed").mkdir()
    till = make_till(app)
    yield till
    with app.app_context():
        db.engine.dispose()


def _report_text(till, shift_id: str, fmt: str, who: str, pdftotext) -> str:
    response = till.get(f"/shifts/{shift_id}/zreport?format={fmt}", who=who)
    assert response.status_code == 200, response.get_data(as_text=True)
    if fmt == "text":
        return response.get_data(as_text=True)
    if fmt == "pdf":
        return pdftotext(response.data)
    job = parse(response.data)  # CP1258 writes some letters as base + combining mark
    return unicodedata.normalize("NFC", "\n".join(
        b"".join(part for _, part in line.segments).decode("cp1258") for line in job.lines))


@pytest.mark.parametrize("fmt", ["text", "escpos", "pdf"])
def test_an_open_shift_report_is_an_x_report_blind_for_the_cashier(till, fmt, pdftotext):
    shift = till.open_shift()
    till.sell()
    cashier = _report_text(till, shift["id"], fmt, "cashier", pdftotext)
    assert "(X)" in cashier and "(Z)" not in cashier
    assert EXPECTED not in cashier and "đếm được" not in cashier
    manager = _report_text(till, shift["id"], fmt, "manager", pdftotext)
    assert "(X)" in manager and "(Z)" not in manager
    assert "Tiền mặt dự kiến" in manager


def test_a_printed_x_report_asked_by_the_cashier_is_blind(till, tmp_path, pdftotext):
    shift = till.open_shift()
    till.sell()
    assert till.post(f"/shifts/{shift['id']}/print").status_code == 202
    with till.app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        settings = PrintSettings.from_config(till.app.config)
        run_print_queue(db.session, booth=booth, settings=settings)
        db.session.remove()
    printed = [pdftotext(path.read_bytes()) for path in (tmp_path / "printed").glob("*.pdf")]
    reports = [text for text in printed if "BÁO CÁO" in text]
    assert len(reports) == 1
    assert "(X)" in reports[0] and EXPECTED not in reports[0]


def test_a_closed_shift_report_is_the_z_report_with_the_count(till, pdftotext):
    shift = till.open_shift()
    till.sell()
    closed = till.post(f"/shifts/{shift['id']}/close",
                       {"counted_cash": 500_000 + till.products[0]["price"]})
    assert closed.status_code == 200, closed.get_json()
    text = _report_text(till, shift["id"], "text", "cashier", pdftotext)
    assert "(Z)" in text and "Tiền mặt dự kiến" in text and "Chênh lệch" in text
