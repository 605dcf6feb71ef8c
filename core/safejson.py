"""JSON and text as they come in: bounded, valid Unicode, NFC.

A body nested deeper than ``MAX_DEPTH`` or holding a lone surrogate (``"\\ud800"``,
which no database can store) is malformed (400) before any view sees it; every string
is NFC-normalised, so ``Nước mắm`` typed on any keyboard is stored and found the same way.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32
# A JSON string token: the brackets inside strings do not nest anything.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nfc(text: str | None) -> str | None:
    """The NFC form of ``text`` (None stays None); a lone surrogate raises ValueError."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("chuỗi có ký tự Unicode không hợp lệ") from None
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize(
        "NFC", text)


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse nesting deeper than ``limit`` without recursing (the parser would)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                raise ValueError(f"JSON lồng quá {limit} cấp")
        else:
            depth -= 1


def _clean(value: Any) -> Any:
    """Strings (keys too) checked and NFC-normalised; depth is already bounded."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {nfc(key): _clean(item) for key, item in value.items()}
    return value


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with input checked as above; any failure is a ``ValueError``, which
    ``request.get_json`` turns into a 400 (or None when asked to be silent)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if isinstance(s, bytes | bytearray):
            s = bytes(s).decode("utf-8")  # UnicodeDecodeError is a ValueError
        check_depth(s)
        return _clean(json.loads(s, **kwargs))
