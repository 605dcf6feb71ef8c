"""Printer addresses and delivery: bytes arrive intact, failures speak Vietnamese."""

from __future__ import annotations

import os
import socket
import stat
import threading

import pytest

from receipts.escpos_out import escpos_bytes, load_escpos
from receipts.printers import (
    InvalidPrinterAddress,
    PrinterError,
    PrinterTarget,
    PrintSettings,
    parse_printer_url,
    print_document,
    send,
)


@pytest.mark.parametrize("url, expected", [
    ("escpos+network://192.168.1.50:9100", PrinterTarget("network", host="192.168.1.50")),
    ("escpos+network://may-in-quay-1", PrinterTarget("network", host="may-in-quay-1")),
    ("escpos+network://[fe80::1]:9101", PrinterTarget("network", host="fe80::1", port=9101)),
    ("escpos+usb://04b8:0e15", PrinterTarget("usb", vendor_id=0x04B8, product_id=0x0E15)),
    ("escpos+serial:///dev/ttyS0", PrinterTarget("serial", path="/dev/ttyS0")),
    ("escpos+serial:///dev/ttyUSB0?baudrate=19200",
     PrinterTarget("serial", path="/dev/ttyUSB0", baudrate=19200)),
    ("escpos+file:///dev/usb/lp0", PrinterTarget("file", path="/dev/usb/lp0")),
    ("cups://XP80_Quay", PrinterTarget("cups", queue="XP80_Quay")),
    ("pdf:///var/spool/ocop", PrinterTarget("pdf", path="/var/spool/ocop")),
    ("none", PrinterTarget("none")),
    ("", PrinterTarget("none")),
])
def test_printer_urls_are_understood(url, expected):
    assert parse_printer_url(url) == expected


@pytest.mark.parametrize("url", [
    "192.168.1.50", "escpos+network://:9100", "escpos+network://host:99999",
    "escpos+usb://04b8", "escpos+usb://epson:tm20", "escpos+file://", "cups://-o",
    "cups://hang doi", "ftp://printer", "escpos+serial:///dev/ttyS0?baudrate=nhanh",
])
def test_invalid_urls_say_so_in_vietnamese(url):
    with pytest.raises(InvalidPrinterAddress, match="Địa chỉ máy in không hợp lệ") as caught:
        parse_printer_url(url)
    assert isinstance(caught.value, PrinterError) and isinstance(caught.value, ValueError)


class Listener:
    """A one-shot TCP printer on 127.0.0.1 that records what it receives."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            while chunk := conn.recv(65536):
                self.received += chunk

    def close(self) -> None:
        self.server.close()


def test_network_printer_receives_exactly_the_job_then_failure_is_reported(receipt):
    listener = Listener()
    target = parse_printer_url(f"escpos+network://127.0.0.1:{listener.port}")
    job = escpos_bytes(receipt, mode="raster")
    try:
        send(target, job, timeout=5)
        listener.thread.join(timeout=5)
        assert bytes(listener.received) == job
    finally:
        listener.close()
    with pytest.raises(PrinterError, match="từ chối kết nối") as caught:
        send(target, job, timeout=2)
    assert f"127.0.0.1:{listener.port}" in caught.value.message


def test_unknown_host_is_reported():
    target = PrinterTarget("network", host="may-in-khong-ton-tai.invalid")
    with pytest.raises(PrinterError, match="Không tìm thấy máy in"):
        send(target, b"\x1b@", timeout=2)


def test_device_file_gets_the_bytes(tmp_path, receipt):
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    job = escpos_bytes(receipt, mode="text")
    send(parse_printer_url(f"escpos+file://{device}"), job)
    assert device.read_bytes() == job


def test_missing_device_fails_instead_of_creating_a_file(tmp_path):
    device = tmp_path / "lp9"
    with pytest.raises(PrinterError, match="Không tìm thấy thiết bị in"):
        send(PrinterTarget("file", path=str(device)), b"\x1b@")
    assert not device.exists()


def test_a_device_that_never_accepts_data_times_out(tmp_path):
    fifo = tmp_path / "stuck"
    os.mkfifo(fifo)  # opening a FIFO for writing blocks until someone reads it
    try:
        with pytest.raises(PrinterError, match="Hết thời gian chờ"):
            send(PrinterTarget("file", path=str(fifo)), b"\x1b@", timeout=0.2)
    finally:
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # release the writer thread
        os.close(reader)


def test_pdf_folder_receives_a_pdf_file(tmp_path):
    folder = tmp_path / "spool"
    written = send(parse_printer_url(f"pdf://{folder}"), b"%PDF-1.4 test", timeout=1)
    assert written is not None and written.parent == folder
    assert written.suffix == ".pdf" and written.read_bytes() == b"%PDF-1.4 test"
    assert [path.name for path in folder.iterdir()] == [written.name]


def test_pdf_folder_refuses_escpos_bytes(tmp_path):
    with pytest.raises(PrinterError, match="chỉ nhận tài liệu PDF"):
        send(PrinterTarget("pdf", path=str(tmp_path)), b"\x1b@")


def test_unwritable_pdf_folder_is_reported(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(PrinterError, match="Không lưu được PDF"):
        send(PrinterTarget("pdf", path=str(blocker / "spool")), b"%PDF-1.4")


def fake_lp(folder, body: str):
    script = folder / "lp"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_cups_queue_gets_raw_bytes_through_lp(tmp_path, monkeypatch):
    fake_lp(tmp_path, f'echo "$@" > {tmp_path}/args\ncat > {tmp_path}/job\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    send(parse_printer_url("cups://XP80"), b"\x1b@hello", timeout=5)
    assert (tmp_path / "args").read_text().split() == ["-d", "XP80", "-o", "raw"]
    assert (tmp_path / "job").read_bytes() == b"\x1b@hello"


def test_cups_errors_are_reported(tmp_path, monkeypatch):
    fake_lp(tmp_path, 'echo "lp: The printer or class does not exist." >&2\nexit 1\n')
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrinterError, match="CUPS không nhận lệnh in.*does not exist"):
        send(PrinterTarget("cups", queue="XP80"), b"x")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PrinterError, match="chưa cài CUPS"):
        send(PrinterTarget("cups", queue="XP80"), b"x")


@pytest.mark.parametrize("url, cls, extra", [
    ("escpos+usb://04b8:0e15", "Usb", "usb"),
    ("escpos+serial:///dev/ttyS0", "Serial", "serial"),
])
def test_usb_and_serial_need_their_extras(url, cls, extra):
    if getattr(load_escpos(), cls).is_usable():
        pytest.skip(f"python-escpos[{extra}] is installed here")
    with pytest.raises(PrinterError, match=rf"python-escpos\[{extra}\]"):
        send(parse_printer_url(url), b"\x1b@")


def test_settings_from_config_pick_pdf_for_pdf_folders(tmp_path, receipt):
    settings = PrintSettings.from_config({"OCOP_PRINTER": f"pdf://{tmp_path}",
                                          "OCOP_PAPER": "58"})
    written = print_document(settings, receipt)
    assert written is not None and written.read_bytes().startswith(b"%PDF-")


def test_settings_from_config_send_escpos_to_a_network_printer(receipt):
    listener = Listener()
    try:
        settings = PrintSettings.from_config({
            "OCOP_PRINTER": f"escpos+network://127.0.0.1:{listener.port}",
            "OCOP_PRINTER_MODE": "text", "OCOP_PRINTER_ENCODING": "tcvn3",
        })
        print_document(settings, receipt)
        listener.thread.join(timeout=5)
    finally:
        listener.close()
    assert bytes(listener.received) == escpos_bytes(receipt, mode="text", encoding="tcvn3")


def test_no_printer_configured_prints_nothing(receipt):
    assert print_document(PrintSettings.from_config({}), receipt) is None


@pytest.mark.parametrize("config, message", [
    ({"OCOP_PRINTER_MODE": "laser"}, "OCOP_PRINTER_MODE"),
    ({"OCOP_PRINTER_ENCODING": "utf8"}, "OCOP_PRINTER_ENCODING"),
    ({"OCOP_PAPER": "76"}, "OCOP_PAPER"),
    ({"OCOP_PRINTER_CODEPAGE": "x"}, "OCOP_PRINTER_CODEPAGE"),
])
def test_bad_print_settings_are_refused(config, message):
    with pytest.raises(InvalidPrinterAddress, match=message):
        PrintSettings.from_config(config)
