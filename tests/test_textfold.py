"""Accent-insensitive search keys: what the cashier types must find what the label says."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from core.textfold import fold, strip_accents


def test_spellings_of_fish_sauce_fold_the_same():
    assert fold("nuoc mam") == fold("NUOC MAM") == fold("Nước mắm") == "nuoc mam"


def test_d_finds_d_with_stroke():
    assert fold("Đặc sản") == "dac san"
    assert fold("đ") == fold("Đ") == "d"
    assert "d" in fold("Bánh đa")


def test_composite_unicode_and_old_tone_placement_fold_like_precomposed():
    precomposed = "Thanh Hóa"
    composite = unicodedata.normalize("NFD", precomposed)  # Unikey "Unicode tổ hợp"
    assert composite != precomposed
    assert fold(composite) == fold(precomposed) == fold("Thanh Hoá") == "thanh hoa"


def test_spaces_collapse_and_trim():
    assert fold("  Nem \t chua\u00a0 Thanh\nHóa  ") == "nem chua thanh hoa"
    assert fold("") == ""


def test_strip_accents_keeps_case():
    assert strip_accents("Đường phèn Như Xuân") == "Duong phen Nhu Xuan"


@given(st.text())
def test_fold_is_idempotent_and_accent_free(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.strip()
    assert "  " not in folded
    assert "đ" not in folded
    assert not any(unicodedata.combining(c) for c in folded)


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíị"
                        "òỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ "))
def test_vietnamese_folds_to_ascii_and_ignores_case(text):
    assert fold(text).isascii()
    assert fold(text.upper()) == fold(text)
