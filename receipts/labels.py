"""Shelf and product labels on A4 sheets, with an EAN-13 barcode and, when the catalogue
knows the product's OCOP origin page, a small QR code linking to it.

Every barcode is checked with python-stdnum before anything is drawn: reportlab's
EAN-13 widget silently recomputes a wrong check digit, which would print a label that
scans as a different product.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.eanbc import Ean13BarcodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from stdnum import ean
from stdnum.exceptions import ValidationError

from core.money import format_vnd

from .layout import STAR, wrap
from .pdf import _draw_qr, draw_runs, font_name, run_width
from .raster import qr_modules


class LabelError(ValueError):
    """A label cannot be printed as asked (bad barcode, unknown layout, bad count)."""


@dataclass(frozen=True)
class LabelSheet:
    """Geometry of one A4 label stock (no gaps between labels unless given)."""

    key: str
    title: str
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float
    top: float
    padding: float
    name_size: float
    detail_size: float
    price_size: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


LABEL_LAYOUTS: dict[str, LabelSheet] = {
    "3x8": LabelSheet("3x8", "A4 – 3 × 8 nhãn (70 × 37 mm)", 3, 8, 70 * mm, 37 * mm,
                      left=0, top=(297 - 8 * 37) / 2 * mm, padding=2.5 * mm,
                      name_size=9, detail_size=6.5, price_size=12),
    "4x10": LabelSheet("4x10", "A4 – 4 × 10 nhãn (52,5 × 29,7 mm)", 4, 10, 52.5 * mm,
                       29.7 * mm, left=0, top=0, padding=2 * mm,
                       name_size=7, detail_size=5.5, price_size=9),
}
"""Label stocks by key, with a Vietnamese title for a form's choices."""


@dataclass(frozen=True)
class LabelItem:
    """What one label shows. ``barcode`` must be a valid EAN-13; ``origin_url`` (the
    product's OCOP origin page), when set, is printed as a QR code beside it."""

    name: str
    price: int
    barcode: str
    stars: int = 0
    producer: str = ""
    district: str = ""
    origin_url: str = ""

    @property
    def detail(self) -> str:
        parts = [f"OCOP {STAR * self.stars}"] if self.stars else []
        origin = ", ".join(part for part in (self.producer, self.district) if part)
        if origin:
            parts.append(origin)
        return " · ".join(parts)


def validate_ean13(code: str, name: str = "") -> str:
    """Return the 13 digits of a valid EAN-13, or raise LabelError saying what is wrong."""
    digits = ean.compact(str(code))
    what = f" của “{name}”" if name else ""
    if len(digits) != 13 or not digits.isdigit():
        raise LabelError(f"Mã vạch{what} phải có đúng 13 chữ số (EAN-13): {code!r}")
    try:
        ean.validate(digits)
    except ValidationError:
        expected = ean.calc_check_digit(digits[:12])
        raise LabelError(
            f"Mã vạch{what} sai số kiểm tra: {digits} (số cuối phải là {expected})"
        ) from None
    return digits


def make_instore_ean13(item_number: int, prefix: str = "20") -> str:
    """An in-store EAN-13 (GS1 restricted prefix 20–29) for goods without a GTIN.

    Such codes are only meaningful inside our shops; never put them on goods sold on.
    """
    if len(prefix) != 2 or not prefix.isdigit() or prefix[0] != "2":
        raise LabelError(f"Tiền tố mã nội bộ phải từ 20 đến 29: {prefix!r}")
    if not isinstance(item_number, int) or not 0 <= item_number < 10**10:
        raise LabelError(f"Số hiệu hàng phải từ 0 đến 9.999.999.999: {item_number!r}")
    body = f"{prefix}{item_number:010d}"
    return body + ean.calc_check_digit(body)


def _ellipsize(text: str, width: float, font: str, size: float) -> str:
    if run_width(text, font, size) <= width:
        return text
    while text and run_width(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _draw_barcode(canvas: Canvas, digits: str, x: float, y: float, width: float,
                  height: float) -> None:
    widget = Ean13BarcodeWidget(digits[:12])
    widget.barWidth = 1
    natural_width = widget.getBounds()[2]
    widget.barWidth = width / natural_width
    widget.barHeight = height
    widget.fontSize = min(widget.barWidth * 8, height * 0.3)
    widget.fontName = font_name(False)
    drawing = Drawing(width, height)
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _draw_label(canvas: Canvas, sheet: LabelSheet, item: LabelItem, digits: str,
                left: float, bottom: float) -> None:
    inner = sheet.label_width - 2 * sheet.padding
    x = left + sheet.padding
    top = bottom + sheet.label_height - sheet.padding
    bold, regular = font_name(True), font_name(False)

    name_lines = wrap(item.name, inner, lambda t: run_width(t, bold, sheet.name_size))
    if len(name_lines) > 2:
        rest = " ".join(name_lines[1:])
        name_lines = [name_lines[0], _ellipsize(rest, inner, bold, sheet.name_size)]
    for line in name_lines:
        top -= sheet.name_size * 1.15
        draw_runs(canvas, x, top, line, bold, sheet.name_size)
    if item.detail:
        top -= sheet.detail_size * 1.35
        draw_runs(canvas, x, top, _ellipsize(item.detail, inner, regular, sheet.detail_size),
                  regular, sheet.detail_size)
    price = format_vnd(item.price)
    top -= sheet.price_size * 1.2
    draw_runs(canvas, x + inner - run_width(price, bold, sheet.price_size), top, price, bold,
              sheet.price_size)

    barcode_bottom = bottom + sheet.padding
    barcode_height = top - sheet.price_size * 0.25 - barcode_bottom
    qr_size = qr_box_size(sheet, barcode_height) if item.origin_url else 0
    if qr_size:
        modules = len(qr_modules(item.origin_url))
        _draw_qr(canvas, item.origin_url, x + inner - qr_size / 2, barcode_bottom + qr_size,
                 qr_size / modules)
        inner -= qr_size + QR_GAP
    barcode_width = min(inner, 40 * mm)
    _draw_barcode(canvas, digits, x + (inner - barcode_width) / 2, barcode_bottom,
                  barcode_width, barcode_height)


QR_MAX = 14 * mm
QR_GAP = 1.5 * mm


def qr_box_size(sheet: LabelSheet, barcode_height: float) -> float:
    """Side of the origin QR code: as tall as the barcode, at most 14 mm, bottom-right."""
    return min(barcode_height, QR_MAX, sheet.label_width / 3)


def labels_pdf(items: Iterable[tuple[LabelItem, int]], layout: str = "3x8", *,
               skip: int = 0) -> bytes:
    """A4 label sheets: each (item, copies) repeated ``copies`` times, in order.

    ``skip`` leaves that many labels blank at the start, to reuse a partly used sheet.
    All barcodes are validated first, so a bad one raises before any page is made.
    """
    if layout not in LABEL_LAYOUTS:
        raise LabelError(f"Khổ nhãn không có: {layout!r} (chọn {', '.join(LABEL_LAYOUTS)})")
    sheet = LABEL_LAYOUTS[layout]
    if not 0 <= skip < sheet.per_page:
        raise LabelError(f"Số nhãn bỏ qua phải từ 0 đến {sheet.per_page - 1}: {skip}")
    queue: list[tuple[LabelItem, str]] = []
    for item, copies in items:
        if not isinstance(copies, int) or copies < 0:
            raise LabelError(f"Số bản in của “{item.name}” không hợp lệ: {copies!r}")
        queue += [(item, validate_ean13(item.barcode, item.name))] * copies
    if not queue:
        raise LabelError("Chưa có nhãn nào để in.")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle("Nhãn sản phẩm OCOP")
    canvas.setCreator("OCOP POS Thanh Hóa")
    page_height = A4[1]
    position = skip
    for item, digits in queue:
        if position == sheet.per_page:
            canvas.showPage()
            position = 0
        row, column = divmod(position, sheet.columns)
        left = sheet.left + column * sheet.label_width
        bottom = page_height - sheet.top - (row + 1) * sheet.label_height
        _draw_label(canvas, sheet, item, digits, left, bottom)
        position += 1
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
