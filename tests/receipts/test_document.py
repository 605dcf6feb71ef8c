"""The document model refuses receipts whose numbers or times would mislead."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import pytest

from receipts.document import (
    DEFAULT_FOOTER,
    ReceiptLine,
    ReceiptPayment,
    Tally,
    ZReportDocument,
    format_local,
    vat_by_rate_from_lines,
)

from .conftest import VIETQR_PAYLOAD, sample_lines


def test_vat_is_taken_once_per_rate_from_the_line_totals():
    vat = vat_by_rate_from_lines(sample_lines())
    # 8 %: (250.000 + 45.000) × 8/108 = 21.851,85 → 21.852; 10 %: 365.000 × 10/110 → 33.182
    assert vat == {8: 21_852, 10: 33_182}


def test_a_line_whose_amount_does_not_add_up_is_refused():
    with pytest.raises(ValueError, match="thành tiền"):
        ReceiptLine(name="Nem chua", qty=2, unit_price=5_000, amount=9_000)


def test_money_must_be_integer_dong():
    with pytest.raises(TypeError, match="số nguyên đồng"):
        ReceiptLine(name="Nem chua", qty=1, unit_price=5_000.0, amount=5_000)  # type: ignore[arg-type]


def test_naive_times_are_refused_because_the_shown_hour_would_be_a_guess(make_receipt):
    with pytest.raises(ValueError, match="múi giờ"):
        make_receipt(issued_at=datetime(2025, 6, 1, 14, 30))


def test_times_are_shown_in_vietnam_local_time(receipt):
    assert format_local(receipt.issued_at) == "01/06/2025 14:30"


def test_text_is_normalised_to_nfc(make_receipt):
    decomposed = unicodedata.normalize("NFD", "Mật ong Như Xuân")
    line = ReceiptLine(name=decomposed, qty=1, unit_price=180_000, amount=180_000)
    doc = make_receipt(lines=[line])
    assert doc.lines[0].name == "Mật ong Như Xuân"
    assert unicodedata.is_normalized("NFC", doc.lines[0].name)


def test_cash_opens_the_drawer_card_does_not(receipt, card_receipt):
    assert receipt.opens_drawer
    assert not card_receipt.opens_drawer


def test_unknown_payment_method_is_refused():
    with pytest.raises(ValueError, match="hình thức thanh toán"):
        ReceiptPayment(method="cheque", amount=1_000)  # type: ignore[arg-type]


def test_default_footer_thanks_the_customer(receipt):
    assert receipt.footer == DEFAULT_FOOTER == "Cảm ơn quý khách! Hẹn gặp lại."


def test_vietqr_payload_is_recognised_as_a_payment(make_receipt):
    assert make_receipt(qr_payload=VIETQR_PAYLOAD).qr_is_payment
    assert not make_receipt(qr_payload="TH01-000123").qr_is_payment


def test_lines_and_payments_become_immutable_tuples(receipt):
    assert isinstance(receipt.lines, tuple) and isinstance(receipt.payments, tuple)


def test_zreport_difference_must_match_the_count(zreport):
    fields = {name: getattr(zreport, name) for name in zreport.__dataclass_fields__}
    with pytest.raises(ValueError, match="chênh lệch"):
        ZReportDocument(**(fields | {"difference": 0}))
    assert zreport.refunds == Tally(1, 45_000)
    assert not zreport.opens_drawer
