"""Accent- and case-insensitive text, so a cashier typing ``nuoc mam`` finds ``Nước mắm``.

Vietnamese arrives in two Unicode shapes: precomposed (``ố`` as one code point, what
most keyboards send) and "tổ hợp" (a base letter followed by combining marks, what
Unikey's composite mode and some legacy converters produce). Decomposing first makes
both fold the same. ``đ`` is a letter of its own, not ``d`` plus a mark, so it is mapped
explicitly; ``ð`` (Icelandic eth, which looks the same and turns up in converted
TCVN3/VNI text) is mapped with it.
"""

from __future__ import annotations

import unicodedata

# Letters that no Unicode decomposition turns into a plain ASCII letter.
_LETTERS = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


def strip_accents(text: str) -> str:
    """Remove tone and vowel marks and map ``đ``/``Đ`` to ``d``/``D``, keeping case.

    Used where case matters but diacritics cannot go, e.g. the ASCII-only purpose text
    of a VietQR payload. Compatibility forms (full-width letters, ligatures) are
    decomposed too, since an IME can emit them by accident.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Search key: lowercase, no diacritics, ``đ`` -> ``d``, single spaces, trimmed.

    ``fold("  NƯỚC   Mắm ") == fold("nuoc mam") == "nuoc mam"``. Apply the same
    function to the stored name and to the query; the result is idempotent.
    """
    # casefold can produce new combining marks (``İ`` -> ``i̇``), so strip after it too.
    folded = strip_accents(strip_accents(text).casefold())
    return " ".join(folded.split())
