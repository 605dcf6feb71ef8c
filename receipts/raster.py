"""Receipts as 1-bit images: the default thermal path and the screen preview.

Printing pixels works on every ESC/POS printer regardless of its code pages, so this
is what ``OCOP_PRINTER_MODE=raster`` sends. The image is exactly the printable width
(384 dots on 58 mm paper, 576 on 80 mm) and thresholded here at 128, because
python-escpos would otherwise Floyd–Steinberg-dither the grey anti-aliasing into
speckled letters.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw

from .document import ReceiptDocument, ZReportDocument
from .fonts import glyph_runs, pil_font
from .layout import Line, Row, build_rows, fit_rows

PAPER_DOTS = {58: 384, 80: 576}
_THRESHOLD = [0] * 128 + [255] * 128


@dataclass(frozen=True)
class RasterStyle:
    """Sizes in printer dots (203 dpi: 8 dots per mm) for one paper width."""

    width: int
    margin: int
    text_px: int
    large_px: int
    qr_module: int


STYLES = {
    58: RasterStyle(width=384, margin=6, text_px=20, large_px=26, qr_module=5),
    80: RasterStyle(width=576, margin=8, text_px=24, large_px=30, qr_module=6),
}


def paper_style(paper_mm: int) -> RasterStyle:
    """Style for ``OCOP_PAPER`` (58 or 80); anything else is a configuration error."""
    try:
        return STYLES[int(paper_mm)]
    except (KeyError, ValueError):
        raise ValueError(f"khổ giấy không hỗ trợ: {paper_mm} mm (chọn 58 hoặc 80)") from None


def star_points(cx: float, cy: float, radius: float,
                y_down: bool = True) -> list[tuple[float, float]]:
    """Vertices of a five-pointed star centred at (cx, cy), first point upwards."""
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.42
        angle = -math.pi / 2 + i * math.pi / 5
        dy = r * math.sin(angle)
        points.append((cx + r * math.cos(angle), cy + dy if y_down else cy - dy))
    return points


class _Glyph(NamedTuple):
    """One character drawn once: its 1-bit mask, where it sits and how far it advances."""

    mask: Image.Image | None
    dx: int
    dy: int
    advance: float


_glyph_lock = threading.Lock()


@lru_cache(maxsize=8192)
def _glyph(size: int, bold: bool, char: str) -> _Glyph:
    """Render one character once per size and weight, thresholded to 1 bit.

    Drawing a receipt is then a paste per character instead of a FreeType layout and
    an anti-aliased render per run (the slow part of a raster receipt); the 1-bit mask
    matches what the old render-then-threshold-at-128 printed.
    """
    with _glyph_lock:  # a FreeType face is not safe to use from two threads at once
        font = pil_font(size, bold)
        advance = font.getlength(char)
        left, top, right, bottom = font.getbbox(char, anchor="la")
        if right <= left or bottom <= top:
            return _Glyph(None, 0, 0, advance)
        canvas = Image.new("L", (right - left, bottom - top), 0)
        ImageDraw.Draw(canvas).text((-left, -top), char, font=font, fill=255, anchor="la")
    return _Glyph(canvas.point(_THRESHOLD, "1"), left, top, advance)


def warm_glyphs(paper_mm: int = 80) -> None:
    """Draw every letter a receipt usually needs in advance (about a tenth of a second),
    so the first receipt after a start prints as fast as the others."""
    from .encoding import VIETNAMESE_LETTERS

    style = paper_style(paper_mm)
    chars = set(VIETNAMESE_LETTERS) | {chr(code) for code in range(32, 127)} | set("₫·–×")
    for size in (style.text_px, style.large_px):
        for bold in (False, True):
            for char in chars:
                _glyph(size, bold, char)


class _Painter:
    """Measures and draws text runs (with polygon stars) in one style."""

    def __init__(self, style: RasterStyle) -> None:
        self.style = style

    def size(self, large: bool) -> int:
        return self.style.large_px if large else self.style.text_px

    def advance(self, kind: str, run: str, size: int, bold: bool) -> float:
        if kind == "star":
            return size * 0.9
        if kind == "missing":
            return size * 0.7
        return sum(_glyph(size, bold, char).advance for char in run)

    def measure(self, text: str, bold: bool, large: bool) -> float:
        size, bold = self.size(large), bold or large
        return sum(self.advance(kind, run, size, bold) for kind, run in glyph_runs(text))

    def line_height(self, bold: bool, large: bool) -> int:
        ascent, descent = pil_font(self.size(large), bold or large).getmetrics()
        return ascent + descent + 2

    def draw(self, image: Image.Image, draw: ImageDraw.ImageDraw, x: float, y: int,
             text: str, bold: bool, large: bool) -> None:
        size, bold = self.size(large), bold or large
        baseline = y + pil_font(size, bold).getmetrics()[0]
        for kind, run in glyph_runs(text):
            advance = self.advance(kind, run, size, bold)
            if kind == "star":
                centre_y = baseline - size * 0.36
                draw.polygon(star_points(x + advance / 2, centre_y, size * 0.4), fill=0)
            elif kind == "missing":
                box = (x + advance * 0.15, baseline - size * 0.7, x + advance * 0.85, baseline)
                draw.rectangle(box, outline=0, width=max(1, size // 12))
            else:
                pen = x
                for char in run:
                    glyph = _glyph(size, bold, char)
                    if glyph.mask is not None:
                        image.paste(0, (int(pen) + glyph.dx, y + glyph.dy), glyph.mask)
                    pen += glyph.advance
            x += advance


@lru_cache(maxsize=64)
def qr_modules(payload: str) -> tuple[tuple[bool, ...], ...]:
    """QR modules (error correction M, no quiet zone: the paper margin provides it)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def _qr_box(payload: str, style: RasterStyle) -> tuple[tuple[tuple[bool, ...], ...], int]:
    """Modules and the module size that fits the paper (shrunk for very long payloads)."""
    modules = qr_modules(payload)
    box = style.qr_module
    while len(modules) * box > style.width - 2 * style.margin and box > 1:
        box -= 1
    return modules, box


def _qr_height(payload: str, style: RasterStyle) -> int:
    modules, box = _qr_box(payload, style)
    return (len(modules) + 4) * box


def _draw_qr(image: Image.Image, payload: str, top: int, style: RasterStyle) -> None:
    """Paste the code as one scaled image (a rectangle per module cost milliseconds)."""
    modules, box = _qr_box(payload, style)
    size = len(modules)
    code = Image.new("1", (size, size), 1)
    code.putdata([0 if dark else 1 for row in modules for dark in row])
    left = (style.width - size * box) // 2
    image.paste(code.resize((size * box, size * box), Image.Resampling.NEAREST),
                (left, top + box * 2))


def _line_height(painter: _Painter, line: Line) -> int:
    if line.kind == "rule":
        return 14
    if line.kind == "qr":
        return _qr_height(line.payload, painter.style)
    return painter.line_height(line.bold, line.large)


def render_rows(rows: list[Row], paper_mm: int = 80) -> Image.Image:
    """Draw layout rows into a 1-bit image exactly as wide as the paper's print area."""
    style = paper_style(paper_mm)
    painter = _Painter(style)
    usable = style.width - 2 * style.margin
    lines = fit_rows(rows, usable, painter.measure, gap=style.text_px)
    height = style.margin * 2 + sum(_line_height(painter, line) for line in lines)
    image = Image.new("1", (style.width, height), 1)
    draw = ImageDraw.Draw(image)
    y = style.margin
    for line in lines:
        line_height = _line_height(painter, line)
        if line.kind == "rule":
            middle = y + line_height // 2
            for x in range(style.margin, style.width - style.margin, 10):
                draw.rectangle((x, middle - 1, min(x + 5, style.width - style.margin), middle),
                               fill=0)
        elif line.kind == "qr":
            _draw_qr(image, line.payload, y, style)
        elif line.kind == "text":
            left_width = painter.measure(line.left, line.bold, line.large)
            if line.align == "center":
                x = style.margin + (usable - left_width) / 2
            elif line.align == "right":
                x = style.width - style.margin - left_width
            else:
                x = style.margin
            painter.draw(image, draw, x, y, line.left, line.bold, line.large)
            if line.right:
                right_width = painter.measure(line.right, line.bold, line.large)
                painter.draw(image, draw, style.width - style.margin - right_width, y,
                             line.right, line.bold, line.large)
        y += line_height
    return image


def render_image(doc: ReceiptDocument | ZReportDocument, paper_mm: int = 80) -> Image.Image:
    """The whole receipt (or Z report), QR included, as one 1-bit image."""
    return render_rows(build_rows(doc), paper_mm)


def render_png(doc: ReceiptDocument | ZReportDocument, paper_mm: int = 80) -> bytes:
    """PNG preview of exactly what a raster-mode printer prints."""
    buffer = io.BytesIO()
    render_image(doc, paper_mm).save(buffer, format="PNG")
    return buffer.getvalue()


def qr_image(payload: str, paper_mm: int = 80) -> Image.Image:
    """A QR code centred on a paper-wide 1-bit strip, for text-mode receipts."""
    style = paper_style(paper_mm)
    image = Image.new("1", (style.width, _qr_height(payload, style)), 1)
    _draw_qr(image, payload, 0, style)
    return image
