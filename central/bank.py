"""Matching a bank statement against the VietQR transfers the booths took.

The till gives every transfer a reference (``OCOP`` + the first 8 hex digits of the sale
id) that the customer's bank puts in the statement's description; a line matches the
transfer whose reference it contains and whose amount it equals. A line without a
reference matches a transfer of the same amount on the same day when exactly one is left.
Both sides' leftovers are listed: money that arrived for no sale, sales whose money did
not arrive. Nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import PaymentMethod, SaleKind, SaleStatus
from core.errors import DomainError
from core.input import is_ascii_digits
from core.models import Booth
from pos.counter import BUSINESS_TZ
from pos.counter_models import Payment, Sale

MAX_LINES = 20_000
COLUMNS = {
    "date": ("ngày", "ngày giao dịch", "ngay", "ngay giao dich", "date", "transaction date"),
    "amount": ("số tiền", "so tien", "ghi có", "ghi co", "số tiền ghi có", "amount", "credit"),
    "description": ("nội dung", "noi dung", "diễn giải", "dien giai", "mô tả", "description",
                    "details"),
}


@dataclass
class BankLine:
    row: int
    day: date
    amount: int
    description: str


def _column_map(header: list[str]) -> dict[str, int]:
    found = {}
    normalised = [h.strip().lower().lstrip("\ufeff") for h in header]
    for key, names in COLUMNS.items():
        for i, name in enumerate(normalised):
            if name in names:
                found[key] = i
                break
    missing = [k for k in COLUMNS if k not in found]
    if missing:
        # The columns as the statement's header names them (not interface text).
        names = {"date": "Ngày", "amount": "Số tiền", "description": "Nội dung"}
        raise DomainError(_("Sao kê thiếu cột: %(cols)s. Cần các cột ngày, số tiền và nội "
                            "dung (ví dụ: Ngày, Số tiền, Nội dung).",
                            cols=", ".join(names[k] for k in missing)), field="file",
                          code="bad_columns")
    return found


def _amount(text: str, row: int) -> int:
    cleaned = re.sub(r"[\s₫đ]|VND", "", text.strip(), flags=re.IGNORECASE)
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", cleaned):
        cleaned = re.sub(r"[.,]", "", cleaned)
    if not is_ascii_digits(cleaned) or len(cleaned) > 12:
        raise DomainError(_("Dòng %(r)d: số tiền không hợp lệ: %(t)s.", r=row, t=text[:30]),
                          field=f"rows[{row}].amount", code="bad_amount")
    return int(cleaned)


def _day(text: str, row: int) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise DomainError(_("Dòng %(r)d: ngày không hợp lệ: %(t)s.", r=row, t=text[:30]),
                      field=f"rows[{row}].date", code="bad_date")


def parse_statement(data: bytes) -> list[BankLine]:
    """The credit lines of a CSV bank statement (UTF-8, comma or semicolon separated)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("Sao kê phải là tệp CSV mã hóa UTF-8."), field="file",
                          code="bad_format") from None
    if "\x00" in text or not text.strip():
        raise DomainError(_("Tệp không phải sao kê CSV."), field="file", code="bad_format")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        raise DomainError(_("Tệp không phải sao kê CSV."), field="file",
                          code="bad_format") from None
    rows = list(csv.reader(io.StringIO(text), dialect))
    if len(rows) > MAX_LINES + 1:
        raise DomainError(_("Sao kê quá dài (tối đa %(n)d dòng).", n=MAX_LINES), field="file")
    columns = _column_map(rows[0])
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(columns.values()):
            raise DomainError(_("Dòng %(r)d thiếu cột.", r=number), field=f"rows[{number}]",
                              code="bad_row")
        amount_text = row[columns["amount"]]
        if not amount_text.strip() or amount_text.strip().startswith("-"):
            continue  # a debit, not money received
        lines.append(BankLine(row=number, day=_day(row[columns["date"]], number),
                              amount=_amount(amount_text, number),
                              description=row[columns["description"]].strip()))
    return lines


def _reference_key(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def match_statement(session: Session, *, lines: list[BankLine]) -> dict:
    """Match the statement's credits to the transfer payments of the days it covers."""
    if not lines:
        return {"matched": [], "unmatched_bank": [], "unmatched_sales": [],
                "message": _("Sao kê không có khoản tiền vào nào.")}
    first, last = min(line.day for line in lines), max(line.day for line in lines)
    start = datetime.combine(first - timedelta(days=1), datetime.min.time(), BUSINESS_TZ)
    end = datetime.combine(last + timedelta(days=1), datetime.max.time(), BUSINESS_TZ)
    transfers = session.execute(
        select(Payment.id, Payment.amount, Payment.reference, Sale.number, Sale.created_at,
               Booth.code)
        .join(Sale, Sale.id == Payment.sale_id).join(Booth, Booth.id == Sale.booth_id)
        .where(Payment.method == PaymentMethod.TRANSFER, Sale.kind == SaleKind.SALE,
               Sale.status == SaleStatus.COMPLETED,
               Sale.created_at >= start, Sale.created_at <= end)
        .order_by(Sale.created_at)).all()
    open_transfers = {t.id: t for t in transfers}
    matched, unmatched_bank = [], []
    for line in lines:
        key = _reference_key(line.description)
        hit = next((t for t in open_transfers.values() if t.reference
                    and _reference_key(t.reference) in key and t.amount == line.amount), None)
        how = "reference"
        if hit is None:
            same = [t for t in open_transfers.values() if t.amount == line.amount
                    and t.created_at.astimezone(BUSINESS_TZ).date() == line.day]
            hit, how = (same[0], "amount") if len(same) == 1 else (None, "")
        if hit is None:
            unmatched_bank.append({"row": line.row, "day": line.day.isoformat(),
                                   "amount": line.amount, "description": line.description})
            continue
        del open_transfers[hit.id]
        matched.append({"row": line.row, "amount": line.amount, "by": how,
                        "sale": hit.number, "booth": hit.code, "reference": hit.reference})
    unmatched_sales = [{"sale": t.number, "booth": t.code, "amount": t.amount,
                        "reference": t.reference,
                        "at": t.created_at.isoformat()} for t in open_transfers.values()
                       if first <= t.created_at.astimezone(BUSINESS_TZ).date() <= last]
    return {"from": first.isoformat(), "to": last.isoformat(), "matched": matched,
            "unmatched_bank": unmatched_bank, "unmatched_sales": unmatched_sales}
