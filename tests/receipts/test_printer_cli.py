"""``ocop printer test``: the Vietnamese self-test page sent to OCOP_PRINTER."""

from __future__ import annotations

import socket
import threading

import pytest

from receipts.cli import printer_group
from receipts.encoding import encode_cp1258
from receipts.escpos_out import selftest_letter_lines

ESC_INIT = b"\x1b@"
RASTER_IMAGE = b"\x1dv0"  # GS v 0: print raster bit image


class RecordingPrinter:
    """A TCP listener on 127.0.0.1 that keeps every byte of one connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(10)
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            while chunk := conn.recv(65536):
                self.received += chunk

    def data(self) -> bytes:
        self.thread.join(timeout=10)
        return bytes(self.received)

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=10)


@pytest.fixture
def printer():
    recorder = RecordingPrinter()
    yield recorder
    recorder.close()


def run(app, url: str, *args: str):
    app.config["OCOP_PRINTER"] = url
    return app.test_cli_runner().invoke(printer_group, ["test", *args])


def test_raster_self_test_reaches_a_network_printer(app, printer):
    result = run(app, f"escpos+network://127.0.0.1:{printer.port}", "--mode", "raster")

    assert result.exit_code == 0, result.output
    assert f"Đã gửi trang thử tiếng Việt (dạng ảnh) tới máy in mạng 127.0.0.1:{printer.port}" \
        in result.output
    data = printer.data()
    assert data.startswith(ESC_INIT)
    assert RASTER_IMAGE in data


def test_text_self_test_sends_the_letters_as_text(app, printer):
    result = run(app, f"escpos+network://127.0.0.1:{printer.port}", "--mode", "text")

    assert result.exit_code == 0, result.output
    data = printer.data()
    assert data.startswith(ESC_INIT)
    assert RASTER_IMAGE not in data
    assert b"CP1258 / ESC t 52" in data and b"TCVN-3 / ESC t 30+31" in data
    for line in selftest_letter_lines()[:-1]:  # the last line holds ₫, outside CP1258
        assert encode_cp1258(line) in data


def test_both_is_the_default(app, printer):
    result = run(app, f"escpos+network://127.0.0.1:{printer.port}")
    assert result.exit_code == 0, result.output
    data = printer.data()
    assert data.startswith(ESC_INIT)
    assert RASTER_IMAGE in data and b"CP1258 / ESC t 52" in data


def test_an_unreachable_printer_is_a_clear_error(app):
    with socket.create_server(("127.0.0.1", 0)) as spare:
        port = spare.getsockname()[1]  # closed again: nothing listens there now

    result = run(app, f"escpos+network://127.0.0.1:{port}", "--timeout", "2")

    assert result.exit_code == 1
    assert f"Lỗi: Máy in 127.0.0.1:{port} từ chối kết nối" in result.output


@pytest.mark.parametrize("url, message", [
    ("none", "Lỗi: Chưa cấu hình máy in (OCOP_PRINTER=none)"),
    ("máy-in", "Lỗi: Địa chỉ máy in không hợp lệ: 'máy-in'"),
    ("escpos+network://127.0.0.1:99999", "cổng phải là số từ 1 đến 65535"),
])
def test_no_printer_or_a_bad_address_is_refused(app, url, message):
    result = run(app, url)
    assert result.exit_code == 1
    assert message in result.output


def test_a_pdf_folder_gets_a_pdf_test_page(app, tmp_path, pdftotext):
    folder = tmp_path / "in-pdf"
    result = run(app, f"pdf://{folder}")

    assert result.exit_code == 0, result.output
    assert "Đã lưu trang thử tiếng Việt dạng PDF" in result.output
    [written] = folder.glob("*.pdf")
    text = pdftotext(written.read_bytes())
    assert "KIỂM TRA IN TIẾNG VIỆT" in text
    assert "ăằẳẵắặ" in text and "ƯỪỬỮỨỰ" in text


def test_the_command_is_part_of_ocop():
    from pos.cli import main

    assert main.get_command(None, "printer") is printer_group
