"""A4 label sheets: readable barcodes with correct check digits, or a clear refusal."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean

from receipts.labels import (
    LABEL_LAYOUTS,
    LabelError,
    LabelItem,
    labels_pdf,
    make_instore_ean13,
)

BARCODE_TEXT = re.compile(r"\b(\d)\s+(\d{6})\s+(\d{6})\b")

ITEMS = [
    (LabelItem(name="Nước mắm Ba Làng loại đặc biệt chai thủy tinh 500ml", price=125_000,
               barcode="8936048080013", stars=4, producer="HTX Nước mắm Ba Làng",
               district="Nghi Sơn"), 3),
    (LabelItem(name="Nem chua Thanh Hóa", price=25_000, barcode=make_instore_ean13(17),
               stars=3, producer="Cơ sở Hương Nam", district="TP Thanh Hóa"), 2),
    (LabelItem(name="Chè lam Phủ Quảng", price=1_250_000, barcode=make_instore_ean13(9, "21"),
               stars=5), 1),
]


def barcodes_in(text: str) -> list[str]:
    return ["".join(groups) for groups in BARCODE_TEXT.findall(text)]


@pytest.mark.parametrize("layout", sorted(LABEL_LAYOUTS))
def test_every_label_carries_a_valid_barcode_and_its_price(layout, pdftotext):
    text = pdftotext(labels_pdf(ITEMS, layout))
    codes = barcodes_in(text)
    assert sorted(codes) == sorted(item.barcode for item, copies in ITEMS for _ in range(copies))
    assert all(ean.is_valid(code) for code in codes)
    assert text.count("125.000 ₫") == 3 and text.count("1.250.000 ₫") == 1
    assert "Nem chua Thanh Hóa" in text
    assert "HTX Nước mắm Ba Làng, Nghi Sơn" in text


def test_a_wrong_check_digit_is_refused_before_anything_is_drawn():
    bad = LabelItem(name="Mật ong Như Xuân", price=180_000, barcode="8936048080019")
    with pytest.raises(LabelError, match="sai số kiểm tra.*số cuối phải là 3"):
        labels_pdf([(bad, 1)])


def test_barcodes_must_be_13_digits():
    with pytest.raises(LabelError, match="13 chữ số"):
        labels_pdf([(LabelItem(name="Bánh gai", price=1, barcode="96385074"), 1)])


def test_layouts_fill_pages_in_order(pdfinfo):
    item = ITEMS[1][0]
    assert pdfinfo(labels_pdf([(item, 40)], "4x10"))["Pages"] == "1"
    assert pdfinfo(labels_pdf([(item, 41)], "4x10"))["Pages"] == "2"
    assert pdfinfo(labels_pdf([(item, 20)], "3x8", skip=5))["Pages"] == "2"
    assert pdfinfo(labels_pdf([(item, 24)], "3x8"))["Pages"] == "1"


def test_layouts_are_named_for_a_form():
    assert set(LABEL_LAYOUTS) == {"3x8", "4x10"}
    assert LABEL_LAYOUTS["3x8"].per_page == 24 and LABEL_LAYOUTS["4x10"].per_page == 40
    assert all("A4" in sheet.title for sheet in LABEL_LAYOUTS.values())


def test_bad_requests_are_refused_in_vietnamese():
    with pytest.raises(LabelError, match="Khổ nhãn"):
        labels_pdf(ITEMS, "2x7")
    with pytest.raises(LabelError, match="Chưa có nhãn"):
        labels_pdf([(ITEMS[0][0], 0)])
    with pytest.raises(LabelError, match="Số bản in"):
        labels_pdf([(ITEMS[0][0], -1)])


@given(st.integers(min_value=0, max_value=10**10 - 1),
       st.sampled_from([f"2{d}" for d in range(10)]))
def test_instore_codes_are_valid_ean13_with_the_prefix(number, prefix):
    code = make_instore_ean13(number, prefix)
    assert len(code) == 13 and code.startswith(prefix)
    assert ean.is_valid(code)
    assert int(code[2:12]) == number


def test_instore_codes_reject_prefixes_outside_20_to_29():
    with pytest.raises(LabelError, match="20 đến 29"):
        make_instore_ean13(1, "89")
    with pytest.raises(LabelError):
        make_instore_ean13(10**10)
