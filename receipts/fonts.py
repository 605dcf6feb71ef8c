"""The one TTF family used for raster receipts and PDFs.

Be Vietnam Pro comes from PyPI (``fontpkg-be-vietnam-pro``) so every install has all
Vietnamese letters and ₫; DejaVu Sans (Debian ``fonts-dejavu-core``) is the fallback.
Without either we refuse to render, because a wrong font prints boxes instead of
diacritics and nobody notices until a customer does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

from .layout import STAR

PDF_REGULAR = "OcopSans"
PDF_BOLD = "OcopSans-Bold"

DEJAVU_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
)

_register_lock = threading.Lock()
_registered = False


class FontNotFoundError(RuntimeError):
    """No font with full Vietnamese coverage is installed."""


@dataclass(frozen=True)
class FontFiles:
    """Regular and bold TTF files of one family."""

    family: str
    regular: Path
    bold: Path


def _be_vietnam_pro() -> FontFiles | None:
    try:
        import fontpkg
    except ImportError:
        return None
    try:
        regular = Path(fontpkg.path("Be Vietnam Pro", 400))
        bold = Path(fontpkg.path("Be Vietnam Pro", 700))
    except fontpkg.FontpkgError:
        return None
    if regular.is_file() and bold.is_file():
        return FontFiles("Be Vietnam Pro", regular, bold)
    return None


@cache
def font_files() -> FontFiles:
    """Be Vietnam Pro if installed, else DejaVu Sans; raise FontNotFoundError otherwise."""
    found = _be_vietnam_pro()
    if found:
        return found
    for folder in DEJAVU_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return FontFiles("DejaVu Sans", regular, bold)
    raise FontNotFoundError(
        "Không tìm thấy phông chữ tiếng Việt để in hóa đơn: cài gói PyPI "
        "fontpkg-be-vietnam-pro hoặc gói hệ thống fonts-dejavu-core."
    )


def register_pdf_fonts() -> tuple[str, str]:
    """Register the family with reportlab once per process; return (regular, bold) names."""
    global _registered
    if _registered:
        return PDF_REGULAR, PDF_BOLD
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _register_lock:
        if not _registered:
            files = font_files()
            pdfmetrics.registerFont(TTFont(PDF_REGULAR, str(files.regular)))
            pdfmetrics.registerFont(TTFont(PDF_BOLD, str(files.bold)))
            for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
                addMapping(PDF_REGULAR, bold, italic, PDF_BOLD if bold else PDF_REGULAR)
            _registered = True
    return PDF_REGULAR, PDF_BOLD


_thread_fonts = threading.local()


def pil_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A Pillow font of ``size`` pixels, cached per thread.

    Loading a TTF costs milliseconds, and a FreeType face should not be shared by
    threads rendering at the same time (the server renders receipts concurrently).
    """
    fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = _thread_fonts.__dict__.setdefault(
        "fonts", {})
    key = (size, bold)
    if key not in fonts:
        files = font_files()
        fonts[key] = ImageFont.truetype(str(files.bold if bold else files.regular), size)
    return fonts[key]


@cache
def covered_codepoints() -> frozenset[int]:
    """Code points the regular face can draw (bold has the same set in both families)."""
    from reportlab.pdfbase.ttfonts import TTFontFace

    return frozenset(TTFontFace(str(font_files().regular)).charToGlyph)



def glyph_runs(text: str) -> list[tuple[str, str]]:
    """Split text into ("text", run), ("star", "★") and ("missing", char) pieces.

    The fonts have no ★, so renderers draw stars as polygons; other characters the font
    lacks (emoji, Chinese) become a visible empty box instead of vanishing silently.
    """
    covered = covered_codepoints()
    runs: list[tuple[str, str]] = []
    for char in text:
        if char == STAR:
            runs.append(("star", char))
        elif ord(char) in covered or char.isspace():
            if runs and runs[-1][0] == "text":
                runs[-1] = ("text", runs[-1][1] + char)
            else:
                runs.append(("text", char))
        else:
            runs.append(("missing", char))
    return runs
