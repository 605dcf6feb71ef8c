"""Fixtures for the receipt layer: plain documents, no database."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from receipts.document import (
    ReceiptDocument,
    ReceiptLine,
    ReceiptPayment,
    Tally,
    ZReportDocument,
    vat_by_rate_from_lines,
)

VIETQR_PAYLOAD = (
    "00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA"
    "530370454066600005802VN62210817Thanh toan HD00016304C3C2"
)


@pytest.fixture(scope="session", autouse=True)
def escpos_cache_in_tmp(tmp_path_factory):
    """Keep python-escpos's capabilities pickle out of the home folder during tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ESCPOS_CAPABILITIES_PICKLE_DIR",
                     str(tmp_path_factory.mktemp("escpos-cache")))
        yield


def sample_lines() -> list[ReceiptLine]:
    return [
        ReceiptLine(name="Nước mắm Ba Làng loại đặc biệt chai thủy tinh 500ml", qty=2,
                    unit_price=125_000, amount=250_000, vat_rate=8,
                    producer="HTX Nước mắm Ba Làng", commune="Hải Thanh", district="Nghi Sơn",
                    stars=4),
        ReceiptLine(name="Nem chua Thanh Hóa", qty=10, unit_price=5_000, amount=45_000,
                    discount=5_000, vat_rate=8, producer="Cơ sở Hương Nam",
                    district="TP Thanh Hóa", stars=3),
        ReceiptLine(name="Chè lam Phủ Quảng", qty=1, unit_price=365_000, amount=365_000,
                    vat_rate=10, stars=5),
    ]


@pytest.fixture
def make_receipt():
    """Build a receipt; keyword overrides replace fields, ``extra_lines`` appends."""

    def make(*, extra_lines: tuple[ReceiptLine, ...] = (), **overrides) -> ReceiptDocument:
        lines = overrides.pop("lines", sample_lines()) + list(extra_lines)
        total = sum(line.amount for line in lines)
        fields = {
            "kind": "sale",
            "shop_name": "Trung tâm OCOP Thanh Hóa",
            "booth_code": "TH01",
            "booth_name": "Gian hàng Sầm Sơn",
            "venue_name": "Quảng trường biển Sầm Sơn",
            "address": "Đường Hồ Xuân Hương, TP Sầm Sơn, Thanh Hóa",
            "tax_code": "2801234567",
            "number": "TH01-000123",
            "issued_at": datetime(2025, 6, 1, 7, 30, tzinfo=UTC),
            "cashier": "Nguyễn Thị Hằng",
            "lines": lines,
            "total": total,
            "vat_by_rate": vat_by_rate_from_lines(lines),
            "payments": [ReceiptPayment(method="cash", amount=total, tendered=700_000)],
            "change": 700_000 - total,
            "qr_payload": "TH01-000123",
        }
        return ReceiptDocument(**(fields | overrides))

    return make


@pytest.fixture
def receipt(make_receipt) -> ReceiptDocument:
    return make_receipt()


@pytest.fixture
def card_receipt(make_receipt) -> ReceiptDocument:
    return make_receipt(payments=[ReceiptPayment(method="card", amount=660_000,
                                                 reference="POS-778812")], change=0)


@pytest.fixture
def zreport() -> ZReportDocument:
    return ZReportDocument(
        shop_name="Trung tâm OCOP Thanh Hóa", booth_code="TH01", booth_name="Gian hàng Sầm Sơn",
        cashier="Nguyễn Thị Hằng",
        opened_at=datetime(2025, 6, 1, 0, 0, tzinfo=UTC),
        closed_at=datetime(2025, 6, 1, 10, 15, tzinfo=UTC),
        totals_by_method={"cash": 1_320_000, "transfer": 660_000, "card": 250_000},
        vat_by_rate={8: 43_704, 10: 66_364},
        discounts=Tally(2, 10_000), refunds=Tally(1, 45_000), voids=Tally(0, 0),
        opening_float=500_000, cash_in=0, cash_out=200_000,
        expected_cash=1_575_000, counted_cash=1_570_000, difference=-5_000,
        denominations={500_000: 2, 200_000: 2, 100_000: 1, 50_000: 1, 10_000: 2},
    )


@pytest.fixture
def pdftotext(tmp_path):
    """Extract a PDF's text with poppler's ``pdftotext -layout``."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install -y poppler-utils")

    def extract(pdf: bytes, name: str = "doc.pdf") -> str:
        path = tmp_path / name
        path.write_bytes(pdf)
        result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                                check=True)
        return result.stdout.decode("utf-8")

    return extract


@pytest.fixture
def pdfinfo(tmp_path):
    """Page count and page size (points) through poppler's ``pdfinfo``."""
    if shutil.which("pdfinfo") is None:
        pytest.fail("pdfinfo is missing: apt-get install -y poppler-utils")

    def info(pdf: bytes) -> dict[str, str]:
        path = tmp_path / "info.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True)
        pairs = (line.split(":", 1) for line in out.stdout.decode().splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, value in pairs}

    return info
