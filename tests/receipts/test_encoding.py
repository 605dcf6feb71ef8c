"""Vietnamese text encoders for ESC/POS text mode read back to the same letters."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receipts.encoding import (
    TCVN3_DECODE,
    TCVN3_LOWER_PAGE,
    TCVN3_UPPER_PAGE,
    VIETNAMESE_LETTERS,
    decode_cp1258,
    decode_tcvn3,
    encode_cp1258,
    encode_tcvn3,
    get_encoder,
    tcvn3_cells,
)
from receipts.escpos_out import load_escpos

ESC_T = b"\x1bt"
PLAIN = "abcdghklmnpqrstvxABCDGHKLMNPQRSTVX0123456789 .,:-/()"
vietnamese_text = st.text(alphabet=st.sampled_from(VIETNAMESE_LETTERS + tuple(PLAIN)),
                          max_size=60)


def test_the_letter_set_is_complete():
    assert len(VIETNAMESE_LETTERS) == len(set(VIETNAMESE_LETTERS)) == 146
    marked = [letter for letter in VIETNAMESE_LETTERS if not letter.isascii()]
    assert len(marked) == 134
    assert all(unicodedata.is_normalized("NFC", letter) for letter in VIETNAMESE_LETTERS)
    for needed in ("ế", "Ầ", "ặ", "ỗ", "Ự", "đ", "Đ", "ỹ", "Ý"):
        assert needed in VIETNAMESE_LETTERS


@pytest.mark.parametrize("letter", VIETNAMESE_LETTERS)
def test_every_letter_round_trips_in_cp1258(letter):
    assert decode_cp1258(encode_cp1258(letter)) == letter


@pytest.mark.parametrize("letter", VIETNAMESE_LETTERS)
def test_every_letter_round_trips_in_tcvn3_as_one_printer_cell(letter):
    data = encode_tcvn3(letter)
    assert decode_tcvn3(data) == letter
    assert tcvn3_cells(letter) == 1


@given(vietnamese_text)
def test_cp1258_round_trips_any_vietnamese_text(text):
    data = encode_cp1258(text)
    assert decode_cp1258(data) == text
    assert get_encoder("cp1258").cells(text) == len(data)


@given(vietnamese_text)
def test_tcvn3_round_trips_any_vietnamese_text(text):
    assert decode_tcvn3(encode_tcvn3(text)) == text
    assert tcvn3_cells(text) == len(text)


def test_cp1258_splits_the_tone_off_letters_it_has_no_glyph_for():
    # ế is not in CP1258: base ê (0xEA) followed by the combining acute byte (0xEC).
    assert encode_cp1258("ế") == b"\xea\xec"
    assert encode_cp1258("à") == b"\xe0"
    assert encode_cp1258("125.000 ₫") == b"125.000 \xfe"


def test_characters_outside_the_page_become_a_visible_marker():
    assert decode_cp1258(encode_cp1258("Quà 😀 中文")) == "Quà ? ??"
    assert decode_tcvn3(encode_tcvn3("Quà 😀 中文")) == "Quà ? ??"


def test_control_characters_cannot_smuggle_printer_commands():
    assert encode_cp1258("A\x1bpB") == b"A?pB"
    assert b"\x1b" not in encode_tcvn3("A\x1b\x1dB").replace(ESC_T, b"")


def test_stars_and_dong_sign_fall_back_where_the_page_lacks_them():
    assert decode_cp1258(encode_cp1258("OCOP ★★★")) == "OCOP ***"
    assert decode_tcvn3(encode_tcvn3("125.000 ₫")) == "125.000 đ"


def test_tcvn3_switches_page_when_the_case_changes():
    data = encode_tcvn3("Đà Nẵng")
    # Đ on the uppercase page 31 (byte A7), then à on page 30 (B5); ASCII N needs no switch.
    assert data == b"\x1bt\x1f\xa7\x1bt\x1e\xb5 N\xbdng"
    assert data.count(ESC_T) == 2


def test_tcvn3_does_not_switch_for_ascii_or_when_already_on_the_page():
    assert encode_tcvn3("Hà Nội").count(ESC_T) == 1
    assert encode_tcvn3("à", page=TCVN3_LOWER_PAGE) == b"\xb5"
    assert encode_tcvn3("HÓA ĐƠN").count(ESC_T) == 1


def test_capitals_sit_at_the_lowercase_byte_on_page_31():
    lower = TCVN3_DECODE[TCVN3_LOWER_PAGE]
    upper = TCVN3_DECODE[TCVN3_UPPER_PAGE]
    moved = []
    for byte, letter in lower.items():
        if upper.get(byte) != letter.upper():
            moved.append(letter)
    # Only the three letters TCVN-3 gives their own capital bytes (A1 A2 A7) differ.
    assert sorted(moved) == sorted("ăâđ")
    assert {upper[0xA1], upper[0xA2], upper[0xA7]} == {"Ă", "Â", "Đ"}


def test_tcvn3_tables_match_escpos_printer_db():
    load_escpos()
    from escpos.capabilities import CAPABILITIES

    for page, name in ((TCVN3_LOWER_PAGE, "TCVN-3-1"), (TCVN3_UPPER_PAGE, "TCVN-3-2")):
        rows = "".join(CAPABILITIES["encodings"][name]["data"])
        # The database types Đ as U+00D0 (Icelandic eth), a known slip.
        published = {0x80 + i: ("Đ" if c == "\u00d0" else c)
                     for i, c in enumerate(rows) if c != " "}
        assert TCVN3_DECODE[page] == published


@pytest.mark.skipif(shutil.which("iconv") is None, reason="glibc iconv not installed")
def test_lowercase_page_matches_glibc_tcvn5712_1():
    lower = [letter for letter in VIETNAMESE_LETTERS if letter.islower() and not letter.isascii()]
    assert len(lower) == 67
    result = subprocess.run(["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"],
                            input="\n".join(lower).encode(), capture_output=True)
    if result.returncode != 0:
        pytest.skip("this iconv has no TCVN5712-1")
    expected = result.stdout.split(b"\n")
    ours = [encode_tcvn3(letter, page=TCVN3_LOWER_PAGE) for letter in lower]
    assert ours == expected


def test_unknown_encoding_name_is_refused():
    with pytest.raises(ValueError, match="cp1258 hoặc tcvn3"):
        get_encoder("viscii")
