"""What a scanner sent, and which barcode row it means.

A keyboard-wedge scanner types the code followed by Enter, sometimes wrapped in
control characters (STX/ETX, GS, CR/LF) or an AIM symbology identifier (``]E0``).
``parse_scan`` strips that noise, verifies GS1 check digits (a misread digit must
never sell the wrong product), and decodes the in-store codes that carry a price.

Numbering used by this project (GS1 restricted circulation, prefixes 20–29, valid
only inside the shop; never print them as GTINs on goods that leave it):

* ``20NNNNNNNNNN C`` — an in-store item code (``make_instore_code``), for products
  without a GS1 Vietnam (893…) barcode.
* ``24IIIIPPPPPP C`` — item ``IIII`` with its price ``PPPPPP`` in whole đồng (up to
  999.999 ₫), printed by a label scale or for marked-down goods. The barcode table
  holds the base code with the price zeroed (Odoo's nomenclature, sized for VND):
  ``2400171250002`` is item 0017 at 125.000 ₫ and is looked up as ``2400170000004``.
* other 2x prefixes are kept as plain in-store codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from stdnum import ean
from stdnum.exceptions import InvalidChecksum

from core.errors import DomainError

Kind = Literal["ean13", "ean8", "upca", "code128", "instore", "instore_price"]

MAX_INTERNAL_LENGTH = 48
PRICE_PREFIX = "24"
ITEM_PREFIX = "20"
MAX_EMBEDDED_PRICE = 999_999
MAX_PRICE_ITEM = 9_999
MAX_INSTORE_ITEM = 9_999_999_999

# Leading/trailing noise: ASCII control characters (NUL..US, DEL) and whitespace,
# including the NBSP and ideographic space an IME may slip in.
_EDGE_NOISE = "".join(chr(c) for c in range(0x20)) + "\x7f \u00a0\u3000"
# AIM symbology identifier some scanners are configured to prepend: "]" + letter + digit.
_AIM_PREFIX = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_DIGITS = re.compile(r"[0-9]+")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")


class BarcodeError(DomainError):
    """A scan that cannot be used: the request writes nothing and says why."""

    status = 422
    code = "bad_barcode"

    def __init__(self, message: str, *, field: str | None = "barcode", **kwargs):
        super().__init__(message, field=field, **kwargs)


class BadBarcode(BarcodeError):
    """Not a code this shop can sell from: wrong length, stray characters, too long."""

    code = "bad_barcode"


class BadCheckDigit(BarcodeError):
    """A GS1 code whose check digit does not match: almost always a misread."""

    code = "bad_check_digit"


@dataclass(frozen=True)
class Scan:
    """A cleaned-up scan: ``lookup_code`` is what to search in the barcode table."""

    kind: Kind
    code: str
    lookup_code: str
    embedded_price: int | None = None


def _shown(raw: str) -> str:
    """The raw input made safe to echo in an error message."""
    visible = "".join(c if c.isprintable() else "�" for c in raw.strip(_EDGE_NOISE))
    if len(visible) > MAX_INTERNAL_LENGTH:
        visible = visible[:MAX_INTERNAL_LENGTH] + "…"
    return visible or "(trống)"


def _bad(raw: str) -> BadBarcode:
    return BadBarcode(f"Mã vạch không hợp lệ: {_shown(raw)}")


def clean_scan(raw: str) -> str:
    """Strip whitespace, scanner control characters and an AIM prefix from the edges."""
    text = raw.strip(_EDGE_NOISE)
    if _AIM_PREFIX.match(text):
        text = text[3:].strip(_EDGE_NOISE)
    return text


def parse_scan(raw: str) -> Scan:
    """Classify and validate one scanned or typed code.

    Raises ``BadCheckDigit`` for a GS1 code (EAN-13, EAN-8, UPC-A) whose last digit
    is wrong and ``BadBarcode`` for anything else that is not a usable code.
    A UPC-A is looked up in its 13-digit EAN form (leading ``0``), so the same can
    is found whether the scanner sends 12 or 13 digits; store barcodes as
    ``parse_scan(code).lookup_code`` and lookups always agree.
    """
    if not isinstance(raw, str):
        raise BadBarcode(f"Mã vạch không hợp lệ: {raw!r}")
    code = clean_scan(raw)
    if not code:
        raise _bad(raw)
    digits = code.replace(" ", "")  # "893 6048 08001 3" as printed under the bars
    if _DIGITS.fullmatch(digits):
        return _parse_gs1(digits)
    if len(code) > MAX_INTERNAL_LENGTH or not _PRINTABLE_ASCII.fullmatch(code):
        raise _bad(raw)
    # Code 128 internal codes are written in capitals; a wedge scanner types
    # lowercase when Caps Lock is on, so case is not significant.
    code = code.upper()
    return Scan(kind="code128", code=code, lookup_code=code)


def _parse_gs1(code: str) -> Scan:
    kinds: dict[int, Kind] = {13: "ean13", 8: "ean8", 12: "upca"}
    kind = kinds.get(len(code))
    if kind is None:
        raise _bad(code)
    try:
        ean.validate(code)
    except InvalidChecksum:
        raise BadCheckDigit(f"Mã vạch sai số kiểm tra: {code}") from None
    if kind == "upca":
        return Scan(kind="upca", code=code, lookup_code="0" + code)
    if kind == "ean13" and code.startswith(PRICE_PREFIX):
        base = ean13_with_check(code[:6] + "000000")
        return Scan(kind="instore_price", code=code, lookup_code=base,
                    embedded_price=int(code[6:12]))
    if kind == "ean13" and code[0] == "2":
        return Scan(kind="instore", code=code, lookup_code=code)
    return Scan(kind=kind, code=code, lookup_code=code)


def ean13_with_check(first12: str) -> str:
    """Append the GS1 mod-10 check digit to 12 digits."""
    if not isinstance(first12, str) or len(first12) != 12 or not _DIGITS.fullmatch(first12):
        raise ValueError(f"Cần đúng 12 chữ số để tính số kiểm tra: {first12!r}")
    return first12 + ean.calc_check_digit(first12)


def _check_int(value: int, low: int, high: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{what} phải là số nguyên từ {low} đến {high}: {value!r}")


def make_instore_code(item_number: int) -> str:
    """The in-store EAN-13 (prefix 20) of a product that has no GS1 barcode.

    One code per item number, so the product id (or a counter) can be used directly.
    """
    _check_int(item_number, 0, MAX_INSTORE_ITEM, "Số hiệu hàng")
    return ean13_with_check(f"{ITEM_PREFIX}{item_number:010d}")


def make_price_code(item_number: int, price: int) -> str:
    """A price-embedded label: ``make_price_code(17, 125000) == "2400171250002"``.

    ``make_price_code(item, 0)`` is the base code to register in the barcode table.
    """
    _check_int(item_number, 0, MAX_PRICE_ITEM, "Số hiệu hàng")
    _check_int(price, 0, MAX_EMBEDDED_PRICE, "Giá in trên mã")
    return ean13_with_check(f"{PRICE_PREFIX}{item_number:04d}{price:06d}")
