"""PDF receipts and reports: Vietnamese text survives extraction, money reads right."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from receipts.pdf import receipt_pdf_80mm, receipt_pdf_a5, zreport_pdf

from .conftest import VIETQR_PAYLOAD

MM = 72 / 25.4


def page_size(info: dict[str, str]) -> tuple[float, float]:
    width, height = re.match(r"([\d.]+) x ([\d.]+) pts", info["Page size"]).groups()
    return float(width), float(height)


def squeeze(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_80mm_receipt_has_vietnamese_lines_and_money(receipt, pdftotext, pdfinfo):
    pdf = receipt_pdf_80mm(receipt)
    lines = squeeze(pdftotext(pdf))
    for expected in ("Trung tâm OCOP Thanh Hóa", "HÓA ĐƠN BÁN LẺ",
                     "Thu ngân: Nguyễn Thị Hằng", "Cảm ơn quý khách! Hẹn gặp lại.",
                     "TỔNG CỘNG 660.000 ₫", "Tiền thừa trả khách 40.000 ₫",
                     "Thuế GTGT đã gồm (8%) 21.852 ₫", "2 x 125.000 ₫ 250.000 ₫"):
        assert expected in lines, expected
    assert any(line.startswith("1. Nước mắm Ba Làng") for line in lines)
    width, height = page_size(pdfinfo(pdf))
    assert width == pytest.approx(80 * MM, abs=0.1)
    assert 100 * MM < height < 300 * MM
    assert pdfinfo(pdf)["Pages"] == "1"


def test_80mm_roll_grows_with_the_content(make_receipt, pdfinfo):
    short = page_size(pdfinfo(receipt_pdf_80mm(make_receipt(qr_payload=None))))[1]
    tall = page_size(pdfinfo(receipt_pdf_80mm(make_receipt(qr_payload=VIETQR_PAYLOAD))))[1]
    assert tall > short


def test_a5_invoice_lists_products_and_totals(receipt, pdftotext, pdfinfo):
    pdf = receipt_pdf_a5(receipt)
    text = pdftotext(pdf)
    lines = squeeze(text)
    for expected in ("HÓA ĐƠN BÁN LẺ", "Tên hàng", "Thành tiền", "Nem chua Thanh Hóa",
                     "Chè lam Phủ Quảng", "Mã tra cứu hóa đơn: TH01-000123"):
        assert expected in text, expected
    assert "TỔNG CỘNG 660.000 ₫" in lines
    assert any(re.search(r"Nem chua Thanh Hóa 10 5\.000 ₫ -5\.000 ₫ 45\.000 ₫ 8%", line)
               for line in lines)
    width, height = page_size(pdfinfo(pdf))
    assert (width, height) == (pytest.approx(148 * MM, abs=0.5), pytest.approx(210 * MM, abs=0.5))


def test_a5_invoice_continues_on_a_second_page_for_long_sales(make_receipt, pdftotext,
                                                              pdfinfo):
    from receipts.document import ReceiptLine

    extra = tuple(ReceiptLine(name=f"Mắm tép Hà Trung số {n}", qty=1, unit_price=45_000,
                              amount=45_000, vat_rate=8) for n in range(40))
    pdf = receipt_pdf_a5(make_receipt(extra_lines=extra))
    assert int(pdfinfo(pdf)["Pages"]) >= 2
    assert pdftotext(pdf).count("Tên hàng") >= 2, "table header repeats on every page"


def test_zreport_pdf(zreport, pdftotext):
    lines = squeeze(pdftotext(zreport_pdf(zreport)))
    for expected in ("BÁO CÁO CUỐI CA (Z)", "Chênh lệch -5.000 ₫",
                     "Tổng doanh thu 2.230.000 ₫", "Chuyển khoản 660.000 ₫"):
        assert expected in lines, expected


def test_font_is_embedded(receipt, tmp_path):
    if shutil.which("pdffonts") is None:
        pytest.fail("pdffonts is missing: apt-get install -y poppler-utils")
    path = tmp_path / "r.pdf"
    path.write_bytes(receipt_pdf_80mm(receipt))
    report = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True,
                            text=True).stdout.splitlines()[2:]
    assert report
    used = [line.split() for line in report]
    # name type encoding emb sub uni: every font is embedded and maps back to Unicode.
    assert all(row[-5] == "yes" and row[-3] == "yes" for row in used if "+" in row[0])
    assert any("+" in row[0] for row in used)
