"""The managers' printer page: settings, the queue's failures with “In lại”, a self-test."""

from __future__ import annotations

import html as html_lib
import re
import socket
import time

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Booth
from pos.demo import DEMO_PASSWORD
from receipts.models import PrintJob
from receipts.printers import PrintSettings
from receipts.queue import run_print_queue
from tests.conftest import csrf_token, login
from tests.pos.test_counter_support import make_till
from tests.receipts.test_print_queue import RecordingPrinter

MANAGER, CASHIER = "quanly.coop-01", "thungan.coop-01"
FLASH = re.compile(r'<div class="flash (\w+)" role="alert">([^<]+)</div>')


def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def till(app):
    return make_till(app)  # demo booth; the manager signs in with TEST_PASSWORD


@pytest.fixture
def manager(till, client):
    login(client, MANAGER)
    return client


@pytest.fixture
def listener():
    printer = RecordingPrinter()
    yield printer
    printer.close()


def received(listener: RecordingPrinter, *, timeout: float = 5) -> list[bytes]:
    """What the listener got: the view returns once the bytes are in the kernel's
    buffers, maybe before the listener thread has accepted, so wait for it."""
    deadline = time.monotonic() + timeout
    while not listener.received and time.monotonic() < deadline:
        time.sleep(0.01)
    return listener.received


def _flashes(response) -> list[tuple[str, str]]:
    return [(kind, html_lib.unescape(text))
            for kind, text in FLASH.findall(response.get_data(as_text=True))]


def _selftest(client, mode: str = "both", *, token: bool = True):
    data = {"mode": mode}
    if token:
        data["csrf_token"] = csrf_token(client, "/printer")
    return client.post("/printer/selftest", data=data)


def test_a_manager_sees_the_printer_settings_and_the_menu_link(app, manager):
    app.config.update(OCOP_PRINTER="escpos+network://192.168.1.50:9100",
                      OCOP_PRINTER_MODE="text", OCOP_PAPER=58, OCOP_PRINTER_CODEPAGE=30,
                      OCOP_PRINTER_ENCODING="tcvn3")
    page = manager.get("/printer")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "máy in mạng 192.168.1.50:9100" in html
    assert "text – in chữ theo bảng mã của máy" in html
    assert "58 mm" in html and "tcvn3 · trang mã 30" in html
    assert 'data-state="ok"' in html and "Không có lệnh in nào bị lỗi." in html
    assert 'id="printer-howto"' not in html
    assert '<a href="/printer">Máy in</a>' in html


def test_without_a_printer_the_page_explains_ocop_printer(manager):
    html = manager.get("/printer").get_data(as_text=True)
    assert "Chưa cấu hình máy in" in html
    assert 'id="printer-howto"' in html
    assert "OCOP_PRINTER=escpos+network://" in html

    response = _selftest(manager)
    assert response.status_code == 303
    [(kind, message)] = _flashes(manager.get(response.location))
    assert kind == "error" and "OCOP_PRINTER" in message


def test_a_cashier_is_refused_and_has_no_menu_link(till, client):
    login(client, CASHIER, DEMO_PASSWORD)
    assert client.get("/printer").status_code == 403
    assert 'href="/printer"' not in client.get("/catalog").get_data(as_text=True)


@pytest.mark.parametrize("mode", ["raster", "text"])
def test_the_self_test_reaches_a_network_printer(app, manager, listener, mode):
    app.config["OCOP_PRINTER"] = f"escpos+network://127.0.0.1:{listener.port}"
    response = _selftest(manager, mode)
    assert response.status_code == 303 and response.location.endswith("/printer")
    [data] = received(listener)
    assert data.startswith(b"\x1b@")
    assert (b"\x1dv0" in data) == (mode == "raster")  # the raster block is GS v 0
    [(kind, message)] = _flashes(manager.get("/printer"))
    assert kind == "info"
    assert message.startswith(f"Đã gửi trang in thử tới máy in mạng 127.0.0.1:{listener.port}")


def test_a_pdf_folder_gets_a_pdf_self_test_page(app, manager, tmp_path):
    folder = tmp_path / "pdf-printer"
    app.config["OCOP_PRINTER"] = f"pdf://{folder}"
    assert _selftest(manager, "raster").status_code == 303
    [saved] = folder.glob("*.pdf")
    assert saved.read_bytes().startswith(b"%PDF-")
    [(kind, message)] = _flashes(manager.get("/printer"))
    assert kind == "info" and saved.name in message


def test_an_unreachable_printer_is_a_flashed_vietnamese_error(app, manager):
    port = closed_port()
    app.config["OCOP_PRINTER"] = f"escpos+network://127.0.0.1:{port}"
    response = _selftest(manager)
    assert response.status_code == 303
    page = manager.get(response.location)
    assert page.status_code == 200
    [(kind, message)] = _flashes(page)
    assert kind == "error"
    assert message.startswith("Không in thử được: ")
    assert f"127.0.0.1:{port}" in message and "máy in" in message.lower()


def test_a_wrong_printer_setting_shows_on_the_page_not_as_a_500(app, manager):
    app.config["OCOP_PRINTER"] = "escpos+network://"
    page = manager.get("/printer")
    assert page.status_code == 200
    assert "Cấu hình máy in sai:" in page.get_data(as_text=True)
    response = _selftest(manager)
    assert response.status_code == 303
    [(kind, message)] = _flashes(manager.get("/printer"))
    assert kind == "error" and "Địa chỉ máy in không hợp lệ" in message


def test_a_self_test_without_csrf_or_with_a_bad_mode_prints_nothing_at_all(app, manager, listener):
    app.config["OCOP_PRINTER"] = f"escpos+network://127.0.0.1:{listener.port}"
    assert _selftest(manager, token=False).status_code == 400
    response = _selftest(manager, "colour")
    assert response.status_code == 303
    [(kind, message)] = _flashes(manager.get("/printer"))
    assert kind == "error" and message == "Kiểu in thử phải là raster, text hoặc both."
    assert _selftest(manager, "text").status_code == 303  # the one that may print
    time.sleep(0.2)
    assert len(received(listener)) == 1


def _failed_job(app, till) -> tuple[str, str]:
    """A real sale whose receipt failed to print: (job id, sale number)."""
    app.config["OCOP_PRINTER"] = f"escpos+network://127.0.0.1:{closed_port()}"
    till.open_shift()
    sale = till.sell()
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        [job] = run_print_queue(db.session, booth=booth,
                                settings=PrintSettings.from_config(app.config), timeout=2)
        assert job.state == "failed"
        job_id = job.id
        db.session.remove()
    return job_id, sale["number"]


def test_a_failed_job_is_listed_with_its_error_and_put_back_by_in_lai(app, till, manager):
    job_id, number = _failed_job(app, till)
    page = manager.get("/printer")
    html = page.get_data(as_text=True)
    assert 'data-state="error"' in html
    assert number in html and "từ chối kết nối" in html
    assert re.search(r"<td>\d{2}/\d{2}/\d{4} \d{2}:\d{2}</td>", html)  # local time
    assert f'action="/printer/jobs/{job_id}/retry"' in html and "In lại" in html

    assert manager.post(f"/printer/jobs/{job_id}/retry").status_code == 400  # no CSRF
    response = manager.post(f"/printer/jobs/{job_id}/retry",
                            data={"csrf_token": csrf_token(manager, "/printer")})
    assert response.status_code == 303
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        assert (job.state, job.attempts) == ("pending", 0)
        db.session.remove()
    page = manager.get("/printer")
    assert ("info", f"Đã đưa lệnh in {number} trở lại hàng đợi.") in _flashes(page)
    assert "Không có lệnh in nào bị lỗi." in page.get_data(as_text=True)


def test_retrying_an_unknown_job_is_a_flashed_error(manager):
    response = manager.post("/printer/jobs/no-such-job/retry",
                            data={"csrf_token": csrf_token(manager, "/printer")})
    assert response.status_code == 303
    assert ("error", "Không có lệnh in này.") in _flashes(manager.get("/printer"))
