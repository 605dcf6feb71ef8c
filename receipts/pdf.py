"""PDF receipts and reports with reportlab and the embedded Vietnamese font.

* :func:`receipt_pdf_80mm`: the thermal receipt as a roll page whose height fits the
  content (``pdf://`` printers, e-mail, archive).
* :func:`receipt_pdf_a5`: an invoice-style A5 page with a product table.
* :func:`zreport_pdf`: the end-of-shift report on A5 pages for the office file.

Text is drawn in runs so that ★ (missing from the fonts) becomes a drawn star and any
other missing glyph a visible box, exactly as in the raster renderer.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from core.money import format_vnd

from .document import ReceiptDocument, ReceiptLine, ZReportDocument, format_local
from .fonts import glyph_runs, register_pdf_fonts
from .layout import TITLES, TOTAL_LABELS, Line, Row, build_rows, fit_rows, wrap
from .raster import qr_modules, star_points

ROLL_WIDTH = 80 * mm
LINE_SPACING = 1.45  # leading / font size: room for stacked marks such as Ấ, Ỗ


def font_name(bold: bool) -> str:
    """Registered reportlab name of the regular or bold receipt font."""
    regular, bold_name = register_pdf_fonts()
    return bold_name if bold else regular


def run_width(text: str, font: str, size: float) -> float:
    """Width in points of ``text`` as :func:`draw_runs` draws it."""
    total = 0.0
    for kind, run in glyph_runs(text):
        if kind == "star":
            total += size * 0.9
        elif kind == "missing":
            total += size * 0.7
        else:
            total += stringWidth(run, font, size)
    return total


def draw_runs(canvas: Canvas, x: float, baseline: float, text: str, font: str,
              size: float) -> None:
    """Draw text left-aligned at ``x``: real glyphs, polygon stars, boxes for the rest."""
    for kind, run in glyph_runs(text):
        if kind == "star":
            advance = size * 0.9
            points = star_points(x + advance / 2, baseline + size * 0.36, size * 0.4,
                                 y_down=False)
            path = canvas.beginPath()
            path.moveTo(*points[0])
            for point in points[1:]:
                path.lineTo(*point)
            path.close()
            canvas.drawPath(path, stroke=0, fill=1)
        elif kind == "missing":
            advance = size * 0.7
            canvas.setLineWidth(size / 14)
            canvas.rect(x + advance * 0.15, baseline, advance * 0.7, size * 0.7, stroke=1, fill=0)
        else:
            advance = stringWidth(run, font, size)
            canvas.setFont(font, size)
            canvas.drawString(x, baseline, run)
        x += advance


def _draw_qr(canvas: Canvas, payload: str, centre_x: float, top: float, module: float) -> float:
    """Draw a QR code hanging from ``top``; return the height used."""
    modules = qr_modules(payload)
    size = len(modules) * module
    left = centre_x - size / 2
    path = canvas.beginPath()
    for row, cells in enumerate(modules):
        for col, dark in enumerate(cells):
            if dark:
                path.rect(left + col * module, top - (row + 1) * module, module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    return size


class _RowsPainter:
    """Lays out and draws receipt rows on a canvas column of fixed width."""

    def __init__(self, width: float, size: float, large: float, qr_module: float) -> None:
        self.width, self.size, self.large, self.qr_module = width, size, large, qr_module

    def font_size(self, line: Line) -> float:
        return self.large if line.large else self.size

    def measure(self, text: str, bold: bool, large: bool) -> float:
        return run_width(text, font_name(bold or large), self.large if large else self.size)

    def fit(self, rows: list[Row]) -> list[Line]:
        return fit_rows(rows, self.width, self.measure, gap=self.size)

    def height(self, line: Line) -> float:
        if line.kind == "rule":
            return self.size
        if line.kind == "qr":
            return (len(qr_modules(line.payload)) + 4) * self.qr_module
        return self.font_size(line) * LINE_SPACING

    def draw(self, canvas: Canvas, line: Line, left: float, top: float) -> None:
        if line.kind == "rule":
            canvas.setDash(2, 2)
            canvas.setLineWidth(0.5)
            middle = top - self.size / 2
            canvas.line(left, middle, left + self.width, middle)
            canvas.setDash()
            return
        if line.kind == "qr":
            _draw_qr(canvas, line.payload, left + self.width / 2, top - 2 * self.qr_module,
                     self.qr_module)
            return
        if line.kind == "blank":
            return
        size = self.font_size(line)
        font = font_name(line.bold or line.large)
        baseline = top - size * 1.1
        text_width = run_width(line.left, font, size)
        if line.align == "center":
            x = left + (self.width - text_width) / 2
        elif line.align == "right":
            x = left + self.width - text_width
        else:
            x = left
        draw_runs(canvas, x, baseline, line.left, font, size)
        if line.right:
            right_x = left + self.width - run_width(line.right, font, size)
            draw_runs(canvas, right_x, baseline, line.right, font, size)


def _rows_pdf(rows: list[Row], *, page_width: float, page_height: float | None, margin: float,
              size: float, large: float, qr_module: float, title: str, author: str) -> bytes:
    """Draw rows top to bottom; a ``None`` page height makes one page fitting the content."""
    painter = _RowsPainter(page_width - 2 * margin, size, large, qr_module)
    lines = painter.fit(rows)
    heights = [painter.height(line) for line in lines]
    height = page_height or sum(heights) + 2 * margin
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(page_width, height), invariant=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("OCOP POS Thanh Hóa")
    top = height - margin
    for line, line_height in zip(lines, heights, strict=True):
        if top - line_height < margin and top < height - margin:
            canvas.showPage()
            top = height - margin
        painter.draw(canvas, line, margin, top)
        top -= line_height
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def receipt_pdf_80mm(doc: ReceiptDocument) -> bytes:
    """The receipt as an 80 mm roll page, as tall as its content."""
    return _rows_pdf(build_rows(doc), page_width=ROLL_WIDTH, page_height=None, margin=4 * mm,
                     size=8.5, large=11, qr_module=2.2, title=f"Hóa đơn {doc.number}",
                     author=doc.shop_name)


def zreport_pdf(zdoc: ZReportDocument) -> bytes:
    """The Z (or X) report on A5 pages, same content and order as the printed slip."""
    heading = "Báo cáo cuối ca" if zdoc.closed else "Báo cáo giữa ca"
    title = f"{heading} {zdoc.booth_code} {format_local(zdoc.closed_at)}"
    return _rows_pdf(build_rows(zdoc), page_width=A5[0], page_height=A5[1], margin=15 * mm,
                     size=10, large=13, qr_module=2.2, title=title, author=zdoc.shop_name)


# ---------------------------------------------------------------------------------------
# A5 invoice


class RunText(Flowable):
    """Wrapped text drawn with :func:`draw_runs` (stars and missing glyphs handled)."""

    def __init__(self, text: str, *, size: float = 8, bold: bool = False,
                 align: str = "left", hang: str = "") -> None:
        super().__init__()
        self.text, self.size, self.bold, self.align, self.hang = text, size, bold, align, hang
        self._lines: list[str] = []

    def _measure(self) -> Callable[[str], float]:
        font, size = font_name(self.bold), self.size
        return lambda text: run_width(text, font, size)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        self._lines = wrap(self.text, availWidth, self._measure(), self.hang)
        self.height = len(self._lines) * self.size * 1.3
        return self.width, self.height

    def draw(self) -> None:
        font, measure = font_name(self.bold), self._measure()
        for index, text in enumerate(self._lines):
            baseline = self.height - (index + 1) * self.size * 1.3 + self.size * 0.3
            x = 0.0
            if self.align == "right":
                x = self.width - measure(text)
            elif self.align == "center":
                x = (self.width - measure(text)) / 2
            draw_runs(self.canv, x, baseline, text, font, self.size)


class QrFlowable(Flowable):
    """A QR code of ``module`` points per module."""

    def __init__(self, payload: str, module: float = 2.0) -> None:
        super().__init__()
        self.payload, self.module = payload, module
        self.width = self.height = len(qr_modules(payload)) * module

    def draw(self) -> None:
        _draw_qr(self.canv, self.payload, self.width / 2, self.height, self.module)


def _item_cells(index: int, line: ReceiptLine) -> list:
    name_cell = [RunText(line.name, size=8)]
    details = []
    if line.stars:
        details.append("OCOP " + "★" * line.stars)
    if line.origin:
        details.append(line.origin)
    if details:
        name_cell.append(RunText(" · ".join(details), size=6.5))
    money = [line.unit_price, -line.discount if line.discount else 0, line.amount]
    return [
        RunText(str(index), size=8, align="center"),
        name_cell,
        RunText(str(line.qty), size=8, align="right"),
        *[RunText(format_vnd(value) if value else "", size=8, align="right") for value in money],
        RunText(f"{line.vat_rate}%", size=8, align="right"),
    ]


def receipt_pdf_a5(doc: ReceiptDocument) -> bytes:
    """An invoice-style A5 page: shop header, product table, totals, QR code.

    Long product tables continue on further pages with the header row repeated.
    """
    register_pdf_fonts()
    buffer = io.BytesIO()
    margin = 10 * mm
    template = SimpleDocTemplate(
        buffer, pagesize=A5, leftMargin=margin, rightMargin=margin, topMargin=margin,
        bottomMargin=margin, title=f"Hóa đơn {doc.number}", author=doc.shop_name,
        creator="OCOP POS Thanh Hóa", invariant=1,
    )
    width = A5[0] - 2 * margin
    shop = [RunText(doc.shop_name, size=11, bold=True)]
    booth = " – ".join(part for part in (doc.booth_name, doc.booth_code) if part)
    for text in (booth, doc.venue_name, doc.address):
        if text:
            shop.append(RunText(text, size=8))
    if doc.tax_code:
        shop.append(RunText(f"MST: {doc.tax_code}", size=8))
    heading = [RunText(TITLES[doc.kind], size=13, bold=True, align="right")]
    if doc.kind == "void":
        heading.append(RunText("ĐÃ HỦY", size=11, bold=True, align="right"))
    heading += [
        RunText(f"Số: {doc.number}", size=8, align="right"),
        RunText(f"Ngày: {format_local(doc.issued_at)}", size=8, align="right"),
        RunText(f"Thu ngân: {doc.cashier}", size=8, align="right"),
    ]
    header = Table([[shop, heading]], colWidths=[width * 0.55, width * 0.45])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))

    titles = ["STT", "Tên hàng", "SL", "Đơn giá", "Giảm giá", "Thành tiền", "VAT"]
    aligns = ["center", "left", "right", "right", "right", "right", "right"]
    table_rows = [[RunText(title, size=7.5, bold=True, align=align)
                   for title, align in zip(titles, aligns, strict=True)]]
    table_rows += [_item_cells(i, line) for i, line in enumerate(doc.lines, start=1)]
    fractions = [0.06, 0.32, 0.06, 0.15, 0.13, 0.18, 0.10]
    items = Table(table_rows, colWidths=[width * f for f in fractions], repeatRows=1)
    items.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))

    summary: list[tuple[str, str, bool]] = [
        (TOTAL_LABELS[doc.kind], format_vnd(doc.total), True)
    ]
    summary += [(f"Thuế GTGT đã gồm ({rate}%)", format_vnd(vat), False)
                for rate, vat in doc.vat_by_rate.items() if rate and vat]
    for payment in doc.payments:
        summary.append((payment.label, format_vnd(payment.amount), False))
        if payment.tendered is not None:
            summary.append(("Khách đưa", format_vnd(payment.tendered), False))
    if doc.kind == "sale" and (doc.change or doc.opens_drawer):
        summary.append(("Tiền thừa trả khách", format_vnd(doc.change), True))
    totals = Table(
        [[RunText(label, size=10 if bold else 8.5, bold=bold, align="right"),
          RunText(value, size=10 if bold else 8.5, bold=bold, align="right")]
         for label, value, bold in summary],
        colWidths=[width * 0.7, width * 0.3],
    )
    totals.setStyle(TableStyle([("RIGHTPADDING", (0, 0), (-1, -1), 2)]))

    story: list[Flowable] = [header, Spacer(1, 4 * mm), items, Spacer(1, 3 * mm), totals]
    if doc.qr_payload:
        caption = ("Quét mã VietQR để chuyển khoản" if doc.qr_is_payment
                   else f"Mã tra cứu hóa đơn: {doc.qr_payload}")
        story += [Spacer(1, 3 * mm), QrFlowable(doc.qr_payload, module=1.8),
                  RunText(caption, size=8)]
    story += [Spacer(1, 4 * mm), RunText(doc.footer, size=9, align="center")]
    template.build(story)
    return buffer.getvalue()
