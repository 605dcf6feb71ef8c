"""ESC/POS print jobs, produced by python-escpos's ``Dummy`` printer.

The bytes are built here once and delivered by :mod:`receipts.printers`, so a job can
be queued, retried, tested and sent to any connection type unchanged.

python-escpos has import-time side effects: it calls ``logging.basicConfig()`` and
writes a capabilities pickle into a fresh temporary folder in every process.
:func:`load_escpos` imports it with both contained.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Literal

from PIL import Image

from .document import ReceiptDocument, ZReportDocument
from .encoding import VIETNAMESE_LETTERS, TextEncoder, get_encoder
from .layout import BlankRow, Row, RuleRow, TextRow, build_rows, fit_rows, monospace_lines
from .raster import paper_style, qr_image, render_image, render_rows

TEXT_COLUMNS = {58: 32, 80: 48}
"""Font A columns per paper width; printer cells, so tone bytes count."""

ESC = b"\x1b"
GS = b"\x1d"
LF = b"\n"
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
DOUBLE_HEIGHT_ON, DOUBLE_HEIGHT_OFF = GS + b"!\x01", GS + b"!\x00"

Mode = Literal["raster", "text"]

_import_lock = threading.Lock()
_escpos_printer: ModuleType | None = None


def _capabilities_cache_dir() -> Path:
    """Choose where python-escpos keeps its capabilities pickle.

    The instance folder when set, else the user's cache; never a shared temp folder,
    since the file is unpickled.
    """
    instance = os.environ.get("OCOP_INSTANCE")
    base = Path(instance) / "cache" if instance else Path.home() / ".cache" / "ocop-pos"
    folder = base / "escpos"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="ocop-escpos-"))
    return folder


def load_escpos() -> ModuleType:
    """Import ``escpos.printer`` once, without its logging and temp-folder side effects."""
    global _escpos_printer
    with _import_lock:
        if _escpos_printer is None:
            configured = os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR")
            if configured:
                Path(configured).mkdir(parents=True, exist_ok=True)
            else:
                os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(_capabilities_cache_dir())
            root = logging.getLogger()
            # basicConfig() only acts on a root logger without handlers.
            guard = logging.NullHandler() if not root.handlers else None
            if guard:
                root.addHandler(guard)
            try:
                import escpos.printer
            finally:
                if guard:
                    root.removeHandler(guard)
            _escpos_printer = escpos.printer
    return _escpos_printer


def _dummy(profile: str, paper_mm: int):
    """Make a Dummy printer whose profile knows the paper width.

    Only this instance's profile is changed: python-escpos shares ``profile_data``
    between all instances of a profile.
    """
    printer_module = load_escpos()
    try:
        printer = printer_module.Dummy(profile=profile)
    except KeyError:
        raise ValueError(f"không có hồ sơ máy in python-escpos tên {profile!r}") from None
    style = paper_style(paper_mm)
    data = dict(printer.profile.profile_data)
    data["media"] = {
        **data.get("media", {}),
        "width": {"mm": int(paper_mm), "pixels": style.width},
    }
    printer.profile.profile_data = data
    return printer


_INVERT = bytes(255 - value for value in range(256))


def raster_commands(image: Image.Image, fragment_height: int = 960) -> bytes:
    """``GS v 0`` commands printing a 1-bit image, in strips of ``fragment_height`` dots.

    The same command python-escpos's ``image()`` sends (its ``bitImageRaster``), built
    straight from the 1-bit picture: its RGBA, grey and invert conversions of a whole
    receipt took longer than drawing it. Pillow packs mode "1" 8 dots a byte with
    1 = white; ESC/POS wants 1 = black, hence the inverted bytes.
    """
    if image.mode != "1":
        image = image.convert("1")
    width_bytes = (image.width + 7) // 8
    out = bytearray()
    for top in range(0, image.height, fragment_height):
        strip = image.crop((0, top, image.width, min(top + fragment_height, image.height)))
        if image.width % 8:  # pad with white, not the black that crop or tobytes would add
            padded = Image.new("1", (width_bytes * 8, strip.height), 1)
            padded.paste(strip, (0, 0))
            strip = padded
        out += GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + strip.height.to_bytes(
            2, "little") + strip.tobytes().translate(_INVERT)
    return bytes(out)


def _write_text(printer, rows: list[Row], paper_mm: int, encoder: TextEncoder) -> None:
    """Lines as encoded text, laid out in printer cells; QR codes as images."""
    columns = TEXT_COLUMNS[int(paper_mm)]
    printer._raw(encoder.setup())
    for line in fit_rows(rows, columns, lambda text, _b, _l: encoder.cells(text), gap=1):
        if line.kind == "qr":
            printer._raw(raster_commands(qr_image(line.payload, paper_mm)))
            continue
        (text,) = monospace_lines([line], columns, encoder.cells)
        on = (BOLD_ON if line.bold else b"") + (DOUBLE_HEIGHT_ON if line.large else b"")
        off = (DOUBLE_HEIGHT_OFF if line.large else b"") + (BOLD_OFF if line.bold else b"")
        printer._raw(on + encoder.encode_line(text) + LF + off)


def escpos_bytes(
    doc: ReceiptDocument | ZReportDocument,
    *,
    mode: Mode = "raster",
    paper_mm: int = 80,
    encoding: str = "cp1258",
    codepage: int = 52,
    profile: str = "default",
    fragment_height: int = 960,
) -> bytes:
    """A complete print job: init, the receipt, cut, and a drawer kick after cash.

    ``mode="raster"`` sends the receipt as one image (works on every printer);
    ``mode="text"`` sends text in ``encoding`` (``cp1258`` on ESC t ``codepage``, or
    ``tcvn3`` on Epson pages 30/31) and the QR code as an image. Lower
    ``fragment_height`` if a cheap printer chokes on tall images.
    """
    printer = _dummy(profile, paper_mm)
    printer.hw("INIT")
    if mode == "raster":
        printer._raw(raster_commands(render_image(doc, paper_mm), fragment_height))
    elif mode == "text":
        _write_text(printer, build_rows(doc), paper_mm, get_encoder(encoding, codepage))
    else:
        raise ValueError(f"chế độ in không hợp lệ: {mode!r} (chọn raster hoặc text)")
    printer.cut()
    if doc.opens_drawer:
        printer.cashdraw(2)
    return printer.output


def selftest_letter_lines() -> list[str]:
    """Every Vietnamese vowel with every tone, lowercase then uppercase, plus đ Đ ₫."""
    per_base = 6
    vowels = [letter for letter in VIETNAMESE_LETTERS if letter not in "đĐ"]
    half = len(vowels) // 2
    lines = []
    for start in range(0, half, per_base):
        lines.append(" ".join(vowels[start : start + per_base]))
        lines.append(" ".join(vowels[half + start : half + start + per_base]))
    lines.append("đ Đ ₫")
    return lines


def selftest_bytes(
    mode: Literal["raster", "text", "both"] = "both",
    *,
    paper_mm: int = 80,
    codepage: int = 52,
    profile: str = "default",
) -> bytes:
    """A test page showing every Vietnamese letter in each way we can print it.

    The raster block is the reference. Below it the same letters come as CP1258 text on
    ESC t ``codepage`` and as TCVN-3 on pages 30/31; the booth sets
    ``OCOP_PRINTER_MODE``/``OCOP_PRINTER_ENCODING`` to a text block that matches the
    picture, or keeps raster if none does. Text headings are ASCII so they print on
    any code page.
    """
    if mode not in ("raster", "text", "both"):
        raise ValueError(f"chế độ in không hợp lệ: {mode!r}")
    letters = selftest_letter_lines()
    printer = _dummy(profile, paper_mm)
    printer.hw("INIT")
    if mode in ("raster", "both"):
        rows: list[Row] = [
            TextRow("KIỂM TRA IN TIẾNG VIỆT", "center", bold=True, large=True),
            TextRow("Mẫu chuẩn (in dạng ảnh). Chọn chế độ chữ nào in giống hệt mẫu này.",
                    "center"),
            RuleRow(),
        ]
        rows += [TextRow(line) for line in letters]
        rows.append(RuleRow())
        printer._raw(raster_commands(render_rows(rows, paper_mm)))
    if mode in ("text", "both"):
        sections = [
            (f"CP1258 / ESC t {codepage}", "OCOP_PRINTER_ENCODING=cp1258",
             get_encoder("cp1258", codepage)),
            ("TCVN-3 / ESC t 30+31", "OCOP_PRINTER_ENCODING=tcvn3", get_encoder("tcvn3")),
        ]
        for heading, setting, encoder in sections:
            section: list[Row] = [TextRow(heading, bold=True), TextRow(setting)]
            section += [TextRow(line) for line in letters]
            _write_text(printer, section + [BlankRow()], paper_mm, encoder)
    printer.cut()
    return printer.output
