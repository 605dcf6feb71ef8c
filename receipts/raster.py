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
from dataclasses import dataclass
from functools import lru_cache

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

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


class _Painter:
    """Measures and draws text runs (with polygon stars) in one style."""

    def __init__(self, style: RasterStyle) -> None:
        self.style = style

    def font(self, bold: bool, large: bool) -> ImageFont.FreeTypeFont:
        return pil_font(self.style.large_px if large else self.style.text_px, bold or large)

    def advance(self, kind: str, run: str, font: ImageFont.FreeTypeFont) -> float:
        if kind == "star":
            return font.size * 0.9
        if kind == "missing":
            return font.size * 0.7
        return font.getlength(run)

    def measure(self, text: str, bold: bool, large: bool) -> float:
        font = self.font(bold, large)
        return sum(self.advance(kind, run, font) for kind, run in glyph_runs(text))

    def line_height(self, bold: bool, large: bool) -> int:
        ascent, descent = self.font(bold, large).getmetrics()
        return ascent + descent + 2

    def draw(self, draw: ImageDraw.ImageDraw, x: float, y: int, text: str,
             bold: bool, large: bool) -> None:
        font = self.font(bold, large)
        baseline = y + font.getmetrics()[0]
        for kind, run in glyph_runs(text):
            advance = self.advance(kind, run, font)
            if kind == "star":
                centre_y = baseline - font.size * 0.36
                draw.polygon(star_points(x + advance / 2, centre_y, font.size * 0.4), fill=0)
            elif kind == "missing":
                box = (x + advance * 0.15, baseline - font.size * 0.7, x + advance * 0.85, baseline)
                draw.rectangle(box, outline=0, width=max(1, font.size // 12))
            else:
                draw.text((x, y), run, font=font, fill=0, anchor="la")
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


def _draw_qr(draw: ImageDraw.ImageDraw, payload: str, top: int, style: RasterStyle) -> None:
    modules, box = _qr_box(payload, style)
    left = (style.width - len(modules) * box) // 2
    top += box * 2
    for row, cells in enumerate(modules):
        for col, dark in enumerate(cells):
            if dark:
                x, y = left + col * box, top + row * box
                draw.rectangle((x, y, x + box - 1, y + box - 1), fill=0)


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
    image = Image.new("L", (style.width, height), 255)
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
            _draw_qr(draw, line.payload, y, style)
        elif line.kind == "text":
            left_width = painter.measure(line.left, line.bold, line.large)
            if line.align == "center":
                x = style.margin + (usable - left_width) / 2
            elif line.align == "right":
                x = style.width - style.margin - left_width
            else:
                x = style.margin
            painter.draw(draw, x, y, line.left, line.bold, line.large)
            if line.right:
                right_width = painter.measure(line.right, line.bold, line.large)
                painter.draw(draw, style.width - style.margin - right_width, y, line.right,
                             line.bold, line.large)
        y += line_height
    return image.point(_THRESHOLD, "1")


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
    image = Image.new("L", (style.width, _qr_height(payload, style)), 255)
    _draw_qr(ImageDraw.Draw(image), payload, 0, style)
    return image.point(_THRESHOLD, "1")
