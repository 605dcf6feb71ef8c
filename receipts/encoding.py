"""Vietnamese text for ESC/POS text mode.

We use our own tables instead of python-escpos's "magic" encoder, which needs a
profile listing the right pages and sends 'Đ' to CP852.

Two encodings, chosen per printer after reading its self-test page:

* ``cp1258``: Windows-1258 on the ESC t page given (Epson: 52). CP1258 has no
  precomposed letter for most toned vowels, so the tone is sent as a separate
  combining byte after the base letter; a firmware that does not compose them spends
  a cell on each, which is why layout counts bytes, not letters.
* ``tcvn3``: TCVN 5712 (VN3) on Epson pages 30 (lowercase) and 31 (uppercase). Every
  letter is one byte; capitals live on page 31, so the encoder switches pages with
  ESC t when the case changes.

Characters a page cannot hold become ``?`` so a missing glyph is visible on paper
rather than silently dropped, after a few ASCII stand-ins for symbols we print
ourselves (★ → *, ₫ → đ on TCVN-3).
"""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from functools import lru_cache

ESC = b"\x1b"
MARKER = "?"

_BASE_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # ngang huyền hỏi ngã sắc nặng


def _vietnamese_letters() -> tuple[str, ...]:
    lower = [unicodedata.normalize("NFC", base + tone) for base in _BASE_VOWELS for tone in _TONES]
    lower.append("đ")
    return tuple(lower + [letter.upper() for letter in lower])


VIETNAMESE_LETTERS: tuple[str, ...] = _vietnamese_letters()
"""The 146 letters of Vietnamese beyond plain consonants: 12 vowels × 6 tones and đ,
in both cases (134 of them carry a diacritic)."""

# Symbols we print ourselves, mapped to what a code page can hold when it lacks them.
ASCII_STAND_INS = {
    "★": "*",
    "☆": "*",
    "–": "-",
    "—": "-",
    "…": "...",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "•": "*",
    "·": "-",
    "×": "x",
    "\u00a0": " ",
    "₫": "đ",
}

# ---------------------------------------------------------------------------------------
# CP1258

_CP1258_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _is_control(char: str) -> bool:
    """C0/C1 controls would be read by the printer as commands (ESC, GS, …)."""
    return unicodedata.category(char) == "Cc"


@lru_cache(maxsize=4096)
def _cp1258_char(char: str) -> bytes | None:
    if _is_control(char):
        return None
    try:
        return char.encode("cp1258")
    except UnicodeEncodeError:
        pass
    decomposed = unicodedata.normalize("NFD", char)
    tones = "".join(c for c in decomposed if c in _CP1258_TONES)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _CP1258_TONES))
    try:
        return (base + tones).encode("cp1258")
    except UnicodeEncodeError:
        return None


def encode_cp1258(text: str) -> bytes:
    """Encode NFC text as CP1258 bytes, splitting tone marks off as combining bytes."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        encoded = _cp1258_char(char)
        if encoded is None:
            stand_in = ASCII_STAND_INS.get(char)
            encoded = encode_cp1258(stand_in) if stand_in else MARKER.encode()
        out += encoded
    return bytes(out)


def decode_cp1258(data: bytes) -> str:
    """Read CP1258 bytes back as NFC text (combining tone bytes recomposed)."""
    return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))


# ---------------------------------------------------------------------------------------
# TCVN-3 on Epson pages 30/31
#
# Bytes 0x80-0xFF, one 16-character row per line, space = nothing we rely on.
# Page 30 equals glibc iconv "TCVN5712-1" for all 67 lowercase letters and
# escpos-printer-db's "TCVN-3-1". Page 31 is escpos-printer-db's "TCVN-3-2" with its
# U+00D0 'Ð' read as U+0110 'Đ' (same glyph): capitals sit at the lowercase byte
# positions, except Ă Â Đ, which stay at their TCVN-3 capital bytes A1 A2 A7.
# tests/receipts/test_encoding.py checks both tables against those two sources.

_TCVN3_PAGE_30 = (
    "                "
    "                "
    "        ăâêôơưđ "
    "     àảãáạ ằẳẵắ "
    "      ặầẩẫấậè ẻẽ"
    "éẹềểễếệìỉ   ĩíịò"
    " ỏõóọồổỗốộờởỡớợù"
    " ủũúụừửữứựỳỷỹýỵ "
)
_TCVN3_PAGE_31 = (
    "                "
    "                "
    " ĂÂ    Đ  ÊÔƠƯ  "
    "     ÀẢÃÁẠ ẰẲẴẮ "
    "      ẶẦẨẪẤẬÈ ẺẼ"
    "ÉẸỀỂỄẾỆÌỈ   ĨÍỊÒ"
    " ỎÕÓỌỒỔỖỐỘỜỞỠỚỢÙ"
    " ỦŨÚỤỪỬỮỨỰỲỶỸÝỴ "
)


def _table(rows: str) -> dict[int, str]:
    return {0x80 + i: char for i, char in enumerate(rows) if char != " "}


TCVN3_LOWER_PAGE = 30
TCVN3_UPPER_PAGE = 31
TCVN3_DECODE: dict[int, dict[int, str]] = {
    TCVN3_LOWER_PAGE: _table(_TCVN3_PAGE_30),
    TCVN3_UPPER_PAGE: _table(_TCVN3_PAGE_31),
}
TCVN3_ENCODE: dict[str, tuple[int, int]] = {
    char: (page, byte) for page, table in TCVN3_DECODE.items() for byte, char in table.items()
}


def select_page(page: int) -> bytes:
    """ESC t n: select character code table ``n``."""
    return ESC + b"t" + bytes([page])


def _tcvn3_units(text: str) -> list[tuple[int | None, int]]:
    """(page needed or None for ASCII, byte) for each printer cell of ``text``."""
    units: list[tuple[int | None, int]] = []
    for char in unicodedata.normalize("NFC", text):
        if " " <= char <= "~":
            units.append((None, ord(char)))
        elif char in TCVN3_ENCODE:
            units.append(TCVN3_ENCODE[char])
        elif char in ASCII_STAND_INS and not _is_control(char):
            units.extend(_tcvn3_units(ASCII_STAND_INS[char]))
        else:
            units.append((None, ord(MARKER)))
    return units


def encode_tcvn3(text: str, page: int | None = None) -> bytes:
    """Encode text for Epson TCVN-3, with ESC t 30/31 wherever the case changes.

    ``page`` is the page the printer is already on (None: unknown, so the first
    Vietnamese letter always selects one). ASCII prints the same on both pages.
    """
    return encode_tcvn3_stateful(text, page)[0]


def encode_tcvn3_stateful(text: str, page: int | None) -> tuple[bytes, int | None]:
    """Like :func:`encode_tcvn3`, also returning the page the printer ends on."""
    out = bytearray()
    for needed, byte in _tcvn3_units(text):
        if needed is not None and needed != page:
            out += select_page(needed)
            page = needed
        out.append(byte)
    return bytes(out), page


def decode_tcvn3(data: bytes, page: int = TCVN3_LOWER_PAGE) -> str:
    """Read TCVN-3 bytes back, following ESC t switches (for tests and diagnostics)."""
    out: list[str] = []
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x1B and data[i + 1 : i + 2] == b"t" and i + 2 < len(data):
            page = data[i + 2]
            i += 3
            continue
        out.append(chr(byte) if byte < 0x80 else TCVN3_DECODE.get(page, {}).get(byte, "\ufffd"))
        i += 1
    return "".join(out)


def tcvn3_cells(text: str) -> int:
    """Printer cells the text takes on TCVN-3: one per letter, page switches take none."""
    return len(_tcvn3_units(text))


# ---------------------------------------------------------------------------------------
# One interface for the ESC/POS writer


class TextEncoder(ABC):
    """A printer text encoding: bytes for a line, cells it takes, and how to set it up."""

    name = ""

    @abstractmethod
    def setup(self) -> bytes:
        """Bytes that put the printer in this encoding before the first line."""

    @abstractmethod
    def encode_line(self, text: str) -> bytes:
        """Bytes for one line of text (no line feed)."""

    @abstractmethod
    def cells(self, text: str) -> int:
        """Printer cells the text occupies, for column layout."""


class Cp1258Encoder(TextEncoder):
    """CP1258 on a fixed ESC t page (Epson WPC1258 = 52; some Chinese firmware 27/94)."""

    name = "cp1258"

    def __init__(self, codepage: int = 52) -> None:
        if not 0 <= codepage <= 255:
            raise ValueError(f"trang mã ESC t phải từ 0 đến 255: {codepage}")
        self.codepage = codepage

    def setup(self) -> bytes:
        return select_page(self.codepage)

    def encode_line(self, text: str) -> bytes:
        return encode_cp1258(text)

    def cells(self, text: str) -> int:
        return len(encode_cp1258(text))


class Tcvn3Encoder(TextEncoder):
    """TCVN-3 on Epson pages 30/31; remembers the selected page across lines."""

    name = "tcvn3"

    def __init__(self) -> None:
        self.page: int | None = None

    def setup(self) -> bytes:
        self.page = TCVN3_LOWER_PAGE
        return select_page(TCVN3_LOWER_PAGE)

    def encode_line(self, text: str) -> bytes:
        data, self.page = encode_tcvn3_stateful(text, self.page)
        return data

    def cells(self, text: str) -> int:
        return tcvn3_cells(text)


def get_encoder(name: str, codepage: int = 52) -> TextEncoder:
    """The encoder for ``OCOP_PRINTER_ENCODING`` (``cp1258`` uses ``codepage``)."""
    if name == "cp1258":
        return Cp1258Encoder(codepage)
    if name == "tcvn3":
        return Tcvn3Encoder()
    raise ValueError(f"bảng mã máy in không hỗ trợ: {name!r} (chọn cp1258 hoặc tcvn3)")
