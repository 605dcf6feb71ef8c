"""Receipt layout: what goes on which line, independent of the output device.

``build_rows`` turns a document into width-free rows (a centred heading, a label with
an amount, a rule, a QR code). ``fit_rows`` then wraps them for one device, given a
``measure`` of text width in that device's units: display cells for plain text,
printer cells (bytes) for ESC/POS text mode, dots for the raster image, points for PDF.
So every output shares one decision about content and order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from core.money import format_vnd

from .document import (
    PAYMENT_METHOD_LABELS,
    ReceiptDocument,
    ReceiptLine,
    ZReportDocument,
    format_local,
)

Align = Literal["left", "center", "right"]
STAR = "★"

TITLES = {
    "sale": "HÓA ĐƠN BÁN LẺ",
    "refund": "PHIẾU HOÀN TIỀN",
    "void": "HÓA ĐƠN BÁN LẺ",
}
TOTAL_LABELS = {
    "sale": "TỔNG CỘNG",
    "refund": "TỔNG TIỀN HOÀN",
    "void": "TỔNG CỘNG",
}


@dataclass(frozen=True)
class TextRow:
    """Running text; wraps, continuation lines start with ``hang``."""

    text: str
    align: Align = "left"
    bold: bool = False
    large: bool = False
    hang: str = ""


@dataclass(frozen=True)
class PairRow:
    """A label on the left and an amount flush right."""

    left: str
    right: str
    bold: bool = False
    large: bool = False
    hang: str = ""


@dataclass(frozen=True)
class RuleRow:
    """A horizontal separator."""


@dataclass(frozen=True)
class BlankRow:
    """An empty line of normal height."""


@dataclass(frozen=True)
class QrRow:
    """A QR code, centred. Plain text output cannot show it and skips it."""

    payload: str


Row = TextRow | PairRow | RuleRow | BlankRow | QrRow


@dataclass(frozen=True)
class Line:
    """One fitted output line: ``left`` and ``right`` already fit the width together."""

    kind: Literal["text", "rule", "blank", "qr"]
    left: str = ""
    right: str = ""
    align: Align = "left"
    bold: bool = False
    large: bool = False
    payload: str = ""


Measure = Callable[[str, bool, bool], float]
"""Width of a string in device units, given (text, bold, large)."""


def display_width(text: str) -> int:
    """Terminal/monospace cells: wide East Asian characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _clusters(text: str) -> list[str]:
    """Split into user-perceived characters (base + combining marks).

    Wrapping between clusters never separates a tone mark from its letter.
    """
    clusters: list[str] = []
    for char in text:
        if clusters and unicodedata.combining(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def wrap(text: str, width: float, measure: Callable[[str], float], hang: str = "") -> list[str]:
    """Greedy word wrap to ``width``; a word longer than a line is cut between letters.

    Leading spaces of ``text`` are kept (they indent the first line); continuation lines
    start with ``hang``, which keeps a wrapped product name under its first line.
    """
    lead = text[: len(text) - len(text.lstrip())]
    words = text.split()
    if not words:
        return [""]
    if measure(hang) >= width / 2:
        hang = ""
    if measure(lead) >= width / 2:
        lead = ""
    lines: list[str] = []
    current = lead
    for word in words:
        joiner = " " if current.strip() else ""
        if measure(current + joiner + word) <= width:
            current += joiner + word
            continue
        if current.strip():
            lines.append(current)
            current = hang
            if measure(current + word) <= width:
                current += word
                continue
        for cluster in _clusters(word):
            if measure(current + cluster) <= width or not current.strip():
                current += cluster
            else:
                lines.append(current)
                current = hang + cluster
    lines.append(current)
    return lines


def fit_rows(rows: list[Row], width: float, measure: Measure, gap: float) -> list[Line]:
    """Wrap rows into lines no wider than ``width`` (``gap`` = minimum label-amount space)."""
    lines: list[Line] = []
    for row in rows:
        if isinstance(row, RuleRow):
            lines.append(Line("rule"))
        elif isinstance(row, BlankRow):
            lines.append(Line("blank"))
        elif isinstance(row, QrRow):
            lines.append(Line("qr", payload=row.payload))
        elif isinstance(row, TextRow):
            def text_measure(s: str, row: TextRow = row) -> float:
                return measure(s, row.bold, row.large)

            for piece in wrap(row.text, width, text_measure, row.hang):
                lines.append(Line("text", piece, "", row.align, row.bold, row.large))
        else:
            lines.extend(_fit_pair(row, width, measure, gap))
    return lines


def _fit_pair(row: PairRow, width: float, measure: Measure, gap: float) -> list[Line]:
    def m(s: str) -> float:
        return measure(s, row.bold, row.large)

    right_width = m(row.right)
    if m(row.left) + gap + right_width <= width:
        return [Line("text", row.left, row.right, "left", row.bold, row.large)]
    pieces = wrap(row.left, width, m, row.hang)
    if m(pieces[-1]) + gap + right_width <= width:
        last = Line("text", pieces[-1], row.right, "left", row.bold, row.large)
        return [Line("text", p, "", "left", row.bold, row.large) for p in pieces[:-1]] + [last]
    head = [Line("text", p, "", "left", row.bold, row.large) for p in pieces]
    tail = [
        Line("text", p, "", "right", row.bold, row.large)
        for p in wrap(row.right, width, m)
    ]
    return head + tail


def build_rows(doc: ReceiptDocument | ZReportDocument) -> list[Row]:
    """The content of a document in reading order, for any renderer."""
    if isinstance(doc, ZReportDocument):
        return _zreport_rows(doc)
    return _receipt_rows(doc)


def _stars(count: int) -> str:
    return STAR * count


def _line_rows(index: int, line: ReceiptLine) -> list[Row]:
    indent = "   "
    rows: list[Row] = [TextRow(f"{index}. {line.name}", hang=indent)]
    details = []
    if line.stars:
        details.append(f"OCOP {_stars(line.stars)}")
    if line.origin:
        details.append(line.origin)
    if details:
        rows.append(TextRow(indent + " · ".join(details), hang=indent))
    rows.append(
        PairRow(f"{indent}{line.qty} x {format_vnd(line.unit_price)}", format_vnd(line.gross))
    )
    if line.discount:
        rows.append(PairRow(f"{indent}Giảm giá", format_vnd(-line.discount)))
    return rows


def _receipt_rows(doc: ReceiptDocument) -> list[Row]:
    rows: list[Row] = [TextRow(doc.shop_name, "center", bold=True, large=True)]
    booth = " – ".join(part for part in (doc.booth_name, doc.booth_code) if part)
    for text in (booth, doc.venue_name, doc.address):
        if text:
            rows.append(TextRow(text, "center"))
    if doc.tax_code:
        rows.append(TextRow(f"MST: {doc.tax_code}", "center"))
    rows.append(RuleRow())
    rows.append(TextRow(TITLES[doc.kind], "center", bold=True, large=True))
    if doc.kind == "void":
        rows.append(TextRow("*** ĐÃ HỦY ***", "center", bold=True))
    rows += [
        PairRow("Số:", doc.number),
        PairRow("Ngày:", format_local(doc.issued_at)),
        PairRow("Thu ngân:", doc.cashier),
        RuleRow(),
    ]
    for index, line in enumerate(doc.lines, start=1):
        rows += _line_rows(index, line)
    rows.append(RuleRow())
    rows.append(PairRow(TOTAL_LABELS[doc.kind], format_vnd(doc.total), bold=True, large=True))
    for rate, vat in doc.vat_by_rate.items():
        if rate and vat:
            rows.append(PairRow(f"Thuế GTGT đã gồm ({rate}%)", format_vnd(vat)))
    prefix = "Hoàn bằng " if doc.kind == "refund" else ""
    for payment in doc.payments:
        label = prefix + (payment.label.lower() if prefix else payment.label)
        rows.append(PairRow(label, format_vnd(payment.amount)))
        if payment.tendered is not None:
            rows.append(PairRow("   Khách đưa", format_vnd(payment.tendered)))
        if payment.reference:
            rows.append(TextRow(f"   Mã giao dịch: {payment.reference}", hang="   "))
    if doc.kind == "sale" and (doc.change or doc.opens_drawer):
        rows.append(PairRow("Tiền thừa trả khách", format_vnd(doc.change), bold=True))
    rows.append(RuleRow())
    if doc.qr_payload:
        if doc.qr_is_payment:
            rows.append(TextRow("Quét mã VietQR để chuyển khoản", "center"))
            rows.append(QrRow(doc.qr_payload))
        else:
            rows.append(TextRow("Mã tra cứu hóa đơn", "center"))
            rows.append(QrRow(doc.qr_payload))
            rows.append(TextRow(doc.qr_payload, "center"))
    rows.append(TextRow(doc.footer, "center"))
    return rows


def _zreport_rows(doc: ZReportDocument) -> list[Row]:
    booth = " – ".join(part for part in (doc.booth_name, doc.booth_code) if part)
    rows: list[Row] = []
    if doc.shop_name:
        rows.append(TextRow(doc.shop_name, "center", bold=True))
    rows += [
        TextRow("BÁO CÁO CUỐI CA (Z)" if doc.closed else "BÁO CÁO GIỮA CA (X)", "center",
                bold=True, large=True),
        PairRow("Gian hàng:", booth),
        PairRow("Thu ngân:", doc.cashier),
        PairRow("Mở ca:", format_local(doc.opened_at)),
        PairRow("Đóng ca:" if doc.closed else "In lúc:", format_local(doc.closed_at)),
        RuleRow(),
        TextRow("DOANH THU THEO HÌNH THỨC", bold=True),
    ]
    known = [m for m in PAYMENT_METHOD_LABELS if m in doc.totals_by_method]
    others = sorted(m for m in doc.totals_by_method if m not in PAYMENT_METHOD_LABELS)
    for method in known + others:
        label = PAYMENT_METHOD_LABELS.get(method, method)
        rows.append(PairRow(label, format_vnd(doc.totals_by_method[method])))
    rows.append(PairRow("Tổng doanh thu", format_vnd(sum(doc.totals_by_method.values())),
                        bold=True))
    vat_rows = [
        PairRow(f"   Thuế suất {rate}%", format_vnd(vat))
        for rate, vat in doc.vat_by_rate.items() if rate and vat
    ]
    if vat_rows:
        rows.append(TextRow("Thuế GTGT đã gồm", bold=True))
        rows += vat_rows
    rows += [
        PairRow(f"Giảm giá ({doc.discounts.count} lần)", format_vnd(doc.discounts.amount)),
        PairRow(f"Hoàn tiền ({doc.refunds.count} phiếu)", format_vnd(doc.refunds.amount)),
        PairRow(f"Hủy hóa đơn ({doc.voids.count} hóa đơn)", format_vnd(doc.voids.amount)),
        RuleRow(),
        TextRow("TIỀN MẶT TRONG KÉT", bold=True),
        PairRow("Tiền đầu ca", format_vnd(doc.opening_float)),
        PairRow("Nộp thêm vào két", format_vnd(doc.cash_in)),
        PairRow("Rút khỏi két", format_vnd(-doc.cash_out)),
    ]
    if doc.expected_cash is not None:  # None: the cashier's X-report, counted blind
        rows.append(PairRow("Tiền mặt dự kiến", format_vnd(doc.expected_cash)))
    if doc.closed:
        rows += [PairRow("Tiền mặt đếm được", format_vnd(doc.counted_cash)),
                 PairRow("Chênh lệch", format_vnd(doc.difference), bold=True, large=True)]
    if doc.denominations:
        rows += [RuleRow(), TextRow("Kiểm đếm theo mệnh giá", bold=True)]
        for value, count in doc.denominations.items():
            rows.append(PairRow(f"   {format_vnd(value)} × {count}", format_vnd(value * count)))
        total = sum(value * count for value, count in doc.denominations.items())
        rows.append(PairRow("   Cộng", format_vnd(total)))
    rows += [RuleRow(), PairRow("Thu ngân ký", "Quản lý ký"), BlankRow(), BlankRow(), BlankRow()]
    return rows


def monospace_lines(lines: list[Line], columns: int, cells: Callable[[str], int],
                    rule_char: str = "-") -> list[str]:
    """Compose fitted lines into fixed-width strings (padding counted in ``cells``)."""
    out: list[str] = []
    for line in lines:
        if line.kind == "rule":
            out.append(rule_char * columns)
        elif line.kind == "blank":
            out.append("")
        elif line.kind == "qr":
            continue
        elif line.right:
            padding = columns - cells(line.left) - cells(line.right)
            out.append(line.left + " " * padding + line.right)
        elif line.align == "center":
            out.append(" " * ((columns - cells(line.left)) // 2) + line.left)
        elif line.align == "right":
            out.append(" " * (columns - cells(line.left)) + line.left)
        else:
            out.append(line.left.rstrip())
    return out


def fit_monospace(doc: ReceiptDocument | ZReportDocument, columns: int,
                  cells: Callable[[str], int]) -> list[Line]:
    """Fit a document to a monospace device whose cell count is given by ``cells``."""
    if columns < 16:
        raise ValueError(f"khổ giấy quá hẹp: {columns} cột")
    return fit_rows(build_rows(doc), columns, lambda s, _b, _l: cells(s), gap=1)


def render_text(doc: ReceiptDocument | ZReportDocument, columns: int = 48) -> list[str]:
    """The receipt as plain text lines of at most ``columns`` display cells.

    Typical widths: 32/42 (58 mm, font A/B), 48/64 (80 mm, font A/B). The QR code is
    left out; a lookup code is still printed as text.
    """
    return monospace_lines(fit_monospace(doc, columns, display_width), columns, display_width)
