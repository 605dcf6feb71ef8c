"""The receipt font: Be Vietnam Pro, else DejaVu, else a loud refusal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from receipts import fonts
from receipts.encoding import VIETNAMESE_LETTERS


@pytest.fixture
def fresh_font_lookup():
    fonts.font_files.cache_clear()
    yield
    fonts.font_files.cache_clear()


def test_bundled_font_covers_every_vietnamese_letter_and_the_dong_sign():
    covered = fonts.covered_codepoints()
    missing = [c for c in (*VIETNAMESE_LETTERS, "₫") if ord(c) not in covered]
    assert missing == []
    assert fonts.font_files().family == "Be Vietnam Pro"


def test_falls_back_to_dejavu_without_fontpkg(fresh_font_lookup, monkeypatch):
    if not any((folder / "DejaVuSans.ttf").is_file() for folder in fonts.DEJAVU_DIRS):
        pytest.skip("DejaVu Sans is not installed here")
    monkeypatch.setitem(sys.modules, "fontpkg", None)  # import fontpkg -> ImportError
    files = fonts.font_files()
    assert files.family == "DejaVu Sans" and files.bold.name == "DejaVuSans-Bold.ttf"


def test_refuses_loudly_without_any_vietnamese_font(fresh_font_lookup, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fontpkg", None)
    monkeypatch.setattr(fonts, "DEJAVU_DIRS", (Path(tmp_path),))
    with pytest.raises(fonts.FontNotFoundError, match="fontpkg-be-vietnam-pro"):
        fonts.font_files()


def test_stars_and_unknown_glyphs_are_split_out_for_drawing():
    assert fonts.glyph_runs("OCOP ★★ 中") == [
        ("text", "OCOP "), ("star", "★"), ("star", "★"), ("text", " "), ("missing", "中"),
    ]
