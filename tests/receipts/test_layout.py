"""Plain-text receipts: aligned columns at every paper width, wrapped names."""

from __future__ import annotations

import unicodedata

import pytest

from core.money import format_vnd
from receipts.document import ReceiptLine, ReceiptPayment
from receipts.layout import display_width, render_text, wrap

from .conftest import VIETQR_PAYLOAD

COLUMNS = [32, 42, 48, 64]


@pytest.mark.parametrize("columns", COLUMNS)
def test_no_line_is_wider_than_the_paper(receipt, columns):
    lines = render_text(receipt, columns)
    assert lines
    assert all(display_width(line) <= columns for line in lines), lines


@pytest.mark.parametrize("columns", COLUMNS)
def test_amounts_end_flush_right(receipt, columns):
    money_lines = [line for line in render_text(receipt, columns) if line.endswith(" ₫")]
    assert len(money_lines) >= 10
    assert all(display_width(line) == columns for line in money_lines)


@pytest.mark.parametrize("columns", COLUMNS)
def test_headings_and_totals_read_in_vietnamese(receipt, columns):
    text = "\n".join(render_text(receipt, columns))
    for heading in ("HÓA ĐƠN BÁN LẺ", "TỔNG CỘNG", "Tiền thừa trả khách",
                    "Thuế GTGT đã gồm (8%)", "Tiền mặt", "Cảm ơn quý khách! Hẹn gặp lại."):
        assert heading in text
    total_line = next(line for line in render_text(receipt, columns) if "TỔNG CỘNG" in line)
    assert total_line.endswith("660.000 ₫")
    assert "01/06/2025 14:30" in text
    assert "OCOP ★★★★" in text


def test_long_names_wrap_and_keep_every_word(receipt):
    name = receipt.lines[0].name
    lines = render_text(receipt, 32)
    start = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    wrapped = " ".join(line.strip() for line in lines[start : start + 2])
    assert wrapped == f"1. {name}"
    assert lines[start + 1].startswith("   "), "continuation lines are indented"


def test_a_word_longer_than_the_line_is_cut_between_letters():
    word = "Bánhgaitứtrụ" * 5
    pieces = wrap(word, 20, display_width)
    assert "".join(pieces) == word
    assert all(display_width(piece) <= 20 for piece in pieces)


def test_wide_characters_count_two_cells_and_combining_marks_none():
    assert display_width("中文") == 4
    assert display_width("Hà") == 2
    assert display_width(unicodedata.normalize("NFD", "Hà")) == 2


def test_chinese_names_stay_inside_the_paper(make_receipt):
    extra = ReceiptLine(name="越南 清化 鱼露 礼盒 " * 4, qty=1, unit_price=50_000, amount=50_000)
    lines = render_text(make_receipt(extra_lines=(extra,)), 32)
    assert all(display_width(line) <= 32 for line in lines)
    assert any("越南" in line for line in lines)


def test_lookup_code_is_printed_but_vietqr_payload_is_not(make_receipt):
    lookup = "\n".join(render_text(make_receipt(qr_payload="TH01-000123"), 48))
    assert "Mã tra cứu hóa đơn" in lookup and "TH01-000123" in lookup
    payment = "\n".join(render_text(make_receipt(qr_payload=VIETQR_PAYLOAD), 48))
    assert "Quét mã VietQR để chuyển khoản" in payment
    assert VIETQR_PAYLOAD not in payment


def test_refund_and_void_say_what_they_are(make_receipt):
    refund = "\n".join(render_text(make_receipt(kind="refund"), 48))
    assert "PHIẾU HOÀN TIỀN" in refund and "TỔNG TIỀN HOÀN" in refund
    assert "Hoàn bằng tiền mặt" in refund
    assert "Tiền thừa trả khách" not in refund
    void = "\n".join(render_text(make_receipt(kind="void"), 48))
    assert "ĐÃ HỦY" in void


def test_card_payment_shows_reference_and_no_change_line(card_receipt):
    text = "\n".join(render_text(card_receipt, 48))
    assert "Thẻ" in text and "POS-778812" in text
    assert "Tiền thừa trả khách" not in text


def test_transfer_is_labelled_in_vietnamese(make_receipt):
    doc = make_receipt(payments=[ReceiptPayment(method="transfer", amount=660_000)], change=0)
    assert any(line.startswith("Chuyển khoản") for line in render_text(doc, 48))


def test_discount_is_shown_as_a_negative_amount(receipt):
    discount_line = next(line for line in render_text(receipt, 48) if "Giảm giá" in line)
    assert discount_line.endswith(format_vnd(-5_000))


def test_zreport_renders_with_the_same_layout(zreport):
    lines = render_text(zreport, 42)
    text = "\n".join(lines)
    for expected in ("BÁO CÁO CUỐI CA (Z)", "Tiền mặt", "Chuyển khoản", "Thẻ",
                     "Tổng doanh thu", "Chênh lệch", "Hoàn tiền (1 phiếu)", "500.000 ₫ × 2"):
        assert expected in text
    assert next(line for line in lines if "Chênh lệch" in line).endswith("-5.000 ₫")
    assert next(line for line in lines if "Tổng doanh thu" in line).endswith("2.230.000 ₫")
    assert all(display_width(line) <= 42 for line in lines)
