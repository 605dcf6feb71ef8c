"""Where print jobs go: ``OCOP_PRINTER`` URLs and byte delivery.

Jobs are bytes made elsewhere (:mod:`receipts.escpos_out` or :mod:`receipts.pdf`);
this module only parses the configured address and delivers, turning every failure
into one :class:`PrinterError` whose message a cashier can read.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from .document import ReceiptDocument, ZReportDocument

TargetKind = Literal["network", "usb", "serial", "file", "cups", "pdf", "none"]

DEFAULT_PORT = 9100
SUPPORTED = ("escpos+network://HOST:9100, escpos+usb://VID:PID, escpos+serial:///dev/ttyS0, "
             "escpos+file:///dev/usb/lp0, cups://QUEUE, pdf://DIR, none")


class PrinterError(Exception):
    """Printing failed; ``message`` is Vietnamese and meant for the cashier."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPrinterAddress(PrinterError, ValueError):
    """``OCOP_PRINTER`` cannot be understood."""


@dataclass(frozen=True)
class PrinterTarget:
    """A parsed ``OCOP_PRINTER``. Only the fields of its ``kind`` are set."""

    kind: TargetKind
    host: str = ""
    port: int = DEFAULT_PORT
    vendor_id: int = 0
    product_id: int = 0
    path: str = ""
    queue: str = ""
    baudrate: int = 9600

    @property
    def wants_pdf(self) -> bool:
        """pdf:// folders take PDF documents, every other target ESC/POS bytes."""
        return self.kind == "pdf"

    def describe(self) -> str:
        """Short human description for messages and the settings page."""
        return {
            "network": f"máy in mạng {self.host}:{self.port}",
            "usb": f"máy in USB {self.vendor_id:04x}:{self.product_id:04x}",
            "serial": f"máy in cổng nối tiếp {self.path}",
            "file": f"thiết bị in {self.path}",
            "cups": f"hàng đợi CUPS {self.queue}",
            "pdf": f"thư mục PDF {self.path}",
            "none": "không có máy in",
        }[self.kind]


def _invalid(url: str, why: str) -> InvalidPrinterAddress:
    return InvalidPrinterAddress(
        f"Địa chỉ máy in không hợp lệ: {url!r} ({why}). Dạng được hỗ trợ: {SUPPORTED}"
    )


def _hex_id(text: str, url: str) -> int:
    text = text.lower().removeprefix("0x")
    if not re.fullmatch(r"[0-9a-f]{1,4}", text):
        raise _invalid(url, f"mã USB phải là số hex 4 chữ số, nhận {text!r}")
    return int(text, 16)


def parse_printer_url(url: str | None) -> PrinterTarget:
    """Parse ``OCOP_PRINTER``; raise InvalidPrinterAddress with a Vietnamese reason."""
    text = (url or "").strip()
    if text.lower() in ("", "none"):
        return PrinterTarget("none")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if not parts.scheme or "://" not in text:
        raise _invalid(text, "thiếu phần loại kết nối, ví dụ escpos+network://")
    location = unquote(parts.netloc)
    path = unquote(parts.path)
    if scheme == "escpos+network":
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            raise _invalid(text, "cổng phải là số từ 1 đến 65535") from None
        if not host:
            raise _invalid(text, "thiếu tên hoặc địa chỉ IP máy in")
        if port == 0:
            raise _invalid(text, "cổng phải là số từ 1 đến 65535")
        return PrinterTarget("network", host=host, port=port or DEFAULT_PORT)
    if scheme == "escpos+usb":
        vendor, sep, product = location.partition(":")
        if not sep or path.strip("/"):
            raise _invalid(text, "cần dạng VID:PID, ví dụ escpos+usb://04b8:0e15")
        return PrinterTarget("usb", vendor_id=_hex_id(vendor, text),
                             product_id=_hex_id(product, text))
    if scheme in ("escpos+serial", "escpos+file"):
        device = location + path if location else path
        if not device:
            raise _invalid(text, "thiếu đường dẫn thiết bị")
        if scheme == "escpos+file":
            return PrinterTarget("file", path=device)
        baud = parse_qs(parts.query).get("baudrate", ["9600"])[0]
        if not baud.isdigit() or int(baud) <= 0:
            raise _invalid(text, f"tốc độ baud không hợp lệ: {baud!r}")
        return PrinterTarget("serial", path=device, baudrate=int(baud))
    if scheme == "cups":
        queue = location or path.strip("/")
        if not queue or queue.startswith("-") or re.search(r"[\s/#]", queue):
            raise _invalid(text, "tên hàng đợi CUPS không hợp lệ")
        return PrinterTarget("cups", queue=queue)
    if scheme == "pdf":
        folder = location + path if location else path
        if not folder:
            raise _invalid(text, "thiếu thư mục lưu PDF")
        return PrinterTarget("pdf", path=folder)
    raise _invalid(text, f"không hỗ trợ loại {parts.scheme!r}")


def send(target: PrinterTarget, data: bytes, *, timeout: float = 5) -> Path | None:
    """Deliver one job; return the file written for ``pdf://``, else None.

    ``data`` is ESC/POS bytes, or a PDF document for a ``pdf://`` target. Raises
    PrinterError when the printer is unreachable, refuses, times out or is not ours to
    write to.
    """
    if target.kind == "none":
        return None
    if target.kind == "network":
        _send_network(target, data, timeout)
    elif target.kind == "file":
        _send_file(target, data, timeout)
    elif target.kind == "pdf":
        return _save_pdf(target, data)
    elif target.kind == "cups":
        _send_cups(target, data, timeout)
    elif target.kind == "usb":
        _send_usb(target, data, timeout)
    elif target.kind == "serial":
        _send_serial(target, data, timeout)
    return None


def _send_network(target: PrinterTarget, data: bytes, timeout: float) -> None:
    where = f"{target.host}:{target.port}"
    try:
        with socket.create_connection((target.host, target.port), timeout=timeout) as conn:
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
    except ConnectionRefusedError:
        raise PrinterError(f"Máy in {where} từ chối kết nối: máy in đã bật và đúng cổng chưa?"
                           ) from None
    except TimeoutError:
        raise PrinterError(f"Hết thời gian chờ máy in {where} ({timeout:g} giây).") from None
    except socket.gaierror:
        raise PrinterError(f"Không tìm thấy máy in tên {target.host}.") from None
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            raise PrinterError(f"Không tới được máy in {where}: kiểm tra dây mạng hoặc wifi."
                               ) from None
        raise PrinterError(f"Không kết nối được máy in {where}: {exc.strerror or exc}.") from None


def _send_file(target: PrinterTarget, data: bytes, timeout: float) -> None:
    """Write to a device file.

    A stalled device blocks in the kernel, so the write runs in a daemon thread and the
    cashier gets an answer after ``timeout`` regardless.
    """
    failure: list[BaseException] = []

    def write() -> None:
        try:
            # No O_CREAT: a missing device must fail, not become a regular file.
            descriptor = os.open(target.path, os.O_WRONLY | os.O_APPEND)
            with open(descriptor, "ab") as device:
                device.write(data)
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)

    worker = threading.Thread(target=write, name="ocop-print-file", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise PrinterError(f"Hết thời gian chờ {target.describe()} ({timeout:g} giây).")
    if failure:
        exc = failure[0]
        if isinstance(exc, PermissionError):
            raise PrinterError(f"Không có quyền ghi vào {target.describe()}.")
        if isinstance(exc, FileNotFoundError):
            raise PrinterError(f"Không tìm thấy {target.describe()}: máy in đã cắm chưa?")
        raise PrinterError(f"Không in được ra {target.describe()}: {exc}.")


def _save_pdf(target: PrinterTarget, data: bytes) -> Path:
    if not data.startswith(b"%PDF-"):
        raise PrinterError("Máy in pdf:// chỉ nhận tài liệu PDF, không nhận lệnh ESC/POS.")
    folder = Path(target.path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    final = folder / f"hoa-don-{stamp}-{uuid.uuid4().hex[:8]}.pdf"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a watcher never picks up half a file.
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
            part.write(data)
        os.replace(part.name, final)
    except PermissionError:
        raise PrinterError(f"Không có quyền ghi vào thư mục PDF {folder}.") from None
    except OSError as exc:
        raise PrinterError(f"Không lưu được PDF vào {folder}: {exc.strerror or exc}.") from None
    return final


def _send_cups(target: PrinterTarget, data: bytes, timeout: float) -> None:
    lp = shutil.which("lp")
    if lp is None:
        raise PrinterError("Không tìm thấy lệnh lp: máy này chưa cài CUPS.")
    try:
        result = subprocess.run([lp, "-d", target.queue, "-o", "raw"], input=data,
                                capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PrinterError(f"Hết thời gian chờ {target.describe()} ({timeout:g} giây).") from None
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip()
        raise PrinterError(f"CUPS không nhận lệnh in cho hàng đợi {target.queue}: {detail}")


def _escpos_device(kind: str, extra: str):
    """Import a python-escpos printer class, failing clearly when its extra is missing."""
    from .escpos_out import load_escpos

    printer_class = getattr(load_escpos(), kind)
    if not printer_class.is_usable():
        raise PrinterError(
            f"Thiếu thư viện cho máy in {kind}: cài thêm gói python-escpos[{extra}]."
        )
    return printer_class


def _deliver_with(printer, target: PrinterTarget, data: bytes) -> None:
    try:
        printer.open()
        printer._raw(data)
    except PrinterError:
        raise
    except PermissionError:
        raise PrinterError(f"Không có quyền mở {target.describe()}.") from None
    except Exception as exc:  # python-escpos and its backends raise many kinds
        raise PrinterError(f"Không in được ra {target.describe()}: {exc}") from None
    finally:
        try:
            printer.close()
        except Exception:  # noqa: BLE001 - closing a dead device must not hide the error
            pass


def _send_usb(target: PrinterTarget, data: bytes, timeout: float) -> None:
    usb_class = _escpos_device("Usb", "usb")
    printer = usb_class(target.vendor_id, target.product_id, timeout=int(timeout * 1000))
    _deliver_with(printer, target, data)


def _send_serial(target: PrinterTarget, data: bytes, timeout: float) -> None:
    serial_class = _escpos_device("Serial", "serial")
    printer = serial_class(target.path, baudrate=target.baudrate, timeout=timeout)
    _deliver_with(printer, target, data)


@dataclass(frozen=True)
class PrintSettings:
    """The printing part of the configuration (``OCOP_PRINTER*``, ``OCOP_PAPER``)."""

    target: PrinterTarget
    mode: Literal["raster", "text"] = "raster"
    paper_mm: int = 80
    encoding: str = "cp1258"
    codepage: int = 52
    profile: str = "default"

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> PrintSettings:
        """Read the contract's settings from a mapping such as ``app.config``."""
        mode = str(config.get("OCOP_PRINTER_MODE") or "raster").lower()
        if mode not in ("raster", "text"):
            raise InvalidPrinterAddress(f"OCOP_PRINTER_MODE phải là raster hoặc text: {mode!r}")
        encoding = str(config.get("OCOP_PRINTER_ENCODING") or "cp1258").lower()
        if encoding not in ("cp1258", "tcvn3"):
            raise InvalidPrinterAddress(
                f"OCOP_PRINTER_ENCODING phải là cp1258 hoặc tcvn3: {encoding!r}")
        numbers = {}
        for key, default, allowed in (("OCOP_PAPER", 80, (58, 80)),
                                      ("OCOP_PRINTER_CODEPAGE", 52, range(256))):
            raw = config.get(key) or default
            try:
                numbers[key] = int(raw)  # type: ignore[call-overload]
            except (TypeError, ValueError):
                numbers[key] = -1
            if numbers[key] not in allowed:
                raise InvalidPrinterAddress(f"{key} không hợp lệ: {raw!r}")
        return cls(
            target=parse_printer_url(str(config.get("OCOP_PRINTER") or "none")),
            mode=mode,  # type: ignore[arg-type]
            paper_mm=numbers["OCOP_PAPER"],
            encoding=encoding,
            codepage=numbers["OCOP_PRINTER_CODEPAGE"],
            profile=str(config.get("OCOP_PRINTER_PROFILE") or "default"),
        )


def render_job(settings: PrintSettings, doc: ReceiptDocument | ZReportDocument) -> bytes:
    """The bytes this printer wants for ``doc``: a PDF for pdf://, else ESC/POS."""
    from .rendered import job_format, render_format

    return render_format(doc, job_format(settings), settings)


def print_document(settings: PrintSettings, doc: ReceiptDocument | ZReportDocument, *,
                   timeout: float = 5) -> Path | None:
    """Render and deliver in one call; raises PrinterError (Vietnamese message)."""
    if settings.target.kind == "none":
        return None
    return send(settings.target, render_job(settings, doc), timeout=timeout)
