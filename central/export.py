"""Every report as a file the office opens in Excel: CSV (UTF-8 with a BOM, or Excel shows
the Vietnamese as mojibake) and XLSX (typed cells with number formats, so sums work)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

FORMATS = ("csv", "xlsx")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {"money": '#,##0 "₫"', "int": "#,##0", "rate": "0.0%", "decimal": "0.0"}


@dataclass(frozen=True)
class Column:
    """One column of a report: the row's key, its heading and how its values look
    (``text``, ``int``, ``money``, ``rate`` as a fraction, ``decimal``)."""

    key: str
    title: str
    kind: str = "text"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(row: dict, column: Column):
    """A cell's value; text that a spreadsheet would run as a formula (a product named
    "=HYPERLINK(…)") is defused with a leading apostrophe, as OWASP advises."""
    value = row.get(column.key)
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(columns: Sequence[Column], rows: Sequence[dict]) -> bytes:
    """A header row and one line per row; an empty cell where a figure does not exist."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title for c in columns])
    for row in rows:
        writer.writerow(["" if _cell(row, c) is None else _cell(row, c) for c in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[Column], rows: Sequence[dict], *, title: str) -> bytes:
    """One sheet: bold headings, frozen first row, numbers as numbers."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([c.title for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row, c) for c in columns])
    for index, column in enumerate(columns, 1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, len(column.title) + 4))
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_response(fmt: str, columns: Sequence[Column], rows: Sequence[dict], *,
                    filename: str, title: str) -> Response:
    """The report as a download named ``filename`` plus the format's extension."""
    if fmt == "csv":
        body, mime = to_csv(columns, rows), "text/csv; charset=utf-8"
    else:
        body, mime = to_xlsx(columns, rows, title=title), XLSX_MIME
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})
