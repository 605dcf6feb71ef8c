"""A4 label sheets: readable barcodes with correct check digits, or a clear refusal."""

from __future__ import annotations

import base64
import re
import subprocess
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from reportlab.lib.units import mm
from stdnum import ean

from receipts.labels import (
    LABEL_LAYOUTS,
    LabelError,
    LabelItem,
    labels_pdf,
    make_instore_ean13,
)
from receipts.raster import qr_modules

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


# OCOP on paper: a small QR code to the product's origin page, only when there is one.

ORIGIN = "https://vhds.baothanhhoa.vn/huyen-cam-thuy-co-them-7-san-pham-ocop-3-sao-33875.htm"
RECT = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re\b")
CONTENT = re.compile(rb"/ASCII85Decode /FlateDecode \] /Length \d+\s*>>\s*stream\r?\n(.*?)"
                     rb"endstream", re.S)


def qr_cells_by_label(pdf: bytes, layout: str) -> dict[int, set[tuple[int, int]]]:
    """The filled square modules each label position of page 1 draws, as (column, row)
    cells of a grid anchored at the top-left module: what a QR reader would sample."""
    from reportlab.lib.pagesizes import A4

    sheet = LABEL_LAYOUTS[layout]
    content = b"".join(zlib.decompress(base64.a85decode(raw.strip().removesuffix(b"~>")))
                       for raw in CONTENT.findall(pdf))
    squares: dict[int, list[tuple[float, float, float]]] = {}
    for x, y, w, h in (map(float, match) for match in RECT.findall(content)):
        if abs(w - h) > 1e-3 or w > 1 * mm:  # barcode bars are tall, never square
            continue
        column = int((x - sheet.left) // sheet.label_width)
        row = int((A4[1] - sheet.top - y) // sheet.label_height)
        squares.setdefault(row * sheet.columns + column, []).append((x, y, w))
    cells = {}
    for position, found in squares.items():
        module = found[0][2]
        left = min(x for x, _, _ in found)
        top = max(y + w for _, y, w in found)
        cells[position] = {(round((x - left) / module), round((top - y - w) / module))
                           for x, y, w in found}
    return cells


def expected_cells(payload: str) -> set[tuple[int, int]]:
    return {(column, row) for row, line in enumerate(qr_modules(payload))
            for column, dark in enumerate(line) if dark}


def dark_share(png: Image.Image, box_mm: tuple[float, float, float, float], dpi: int) -> float:
    """Share of dark pixels in a box given in mm from the page's top-left corner."""
    scale = dpi / 25.4
    crop = png.crop(tuple(round(v * scale) for v in box_mm)).convert("L")
    return sum(crop.histogram()[:128]) / (crop.width * crop.height)


@pytest.mark.parametrize("layout", sorted(LABEL_LAYOUTS))
def test_the_origin_qr_is_printed_only_on_labels_with_an_origin_page(layout):
    with_origin = LabelItem(name="Mật ong hoa rừng", price=250_000, barcode="8936048080013",
                            stars=4, producer="HTX Ong Như Xuân", origin_url=ORIGIN)
    without = LabelItem(name="Nem chua Thanh Hóa", price=25_000, barcode=make_instore_ean13(17))
    pdf = labels_pdf([(with_origin, 2), (without, 1)], layout)

    cells = qr_cells_by_label(pdf, layout)
    assert set(cells) == {0, 1}  # the third label (no origin page) has no QR code
    assert cells[0] == cells[1] == expected_cells(ORIGIN)
    assert qr_cells_by_label(labels_pdf([(without, 3)], layout), layout) == {}


def test_the_origin_qr_is_visible_in_the_label_corner(tmp_path):
    item = LabelItem(name="Mật ong hoa rừng", price=250_000, barcode="8936048080013",
                     origin_url=ORIGIN)
    plain = LabelItem(name="Nem chua Thanh Hóa", price=25_000, barcode=make_instore_ean13(17))
    path = tmp_path / "labels.pdf"
    path.write_bytes(labels_pdf([(item, 1), (plain, 1)], "3x8"))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png")
    # The bottom-right corner of a 70 × 37 mm label (first row starts 0.5 mm down).
    corner = (62, 31, 66.5, 34.5)
    assert 0.2 < dark_share(page, corner, 150) < 0.8                      # first label
    assert dark_share(page, (corner[0] + 70, 31, corner[2] + 70, 34.5), 150) == 0  # second


def test_label_sheets_from_the_catalogue_link_to_the_origin_page(seeded, session):
    from sqlalchemy import select

    from inventory.models import Product
    from receipts.services import make_label_sheet

    first, second = session.scalars(select(Product).order_by(Product.id).limit(2))
    assert first.origin_url.startswith("https://")
    second.origin_url = ""
    pdf = make_label_sheet(session, copies={first.id: 1, second.id: 1}, layout="4x10")
    cells = qr_cells_by_label(pdf, "4x10")
    assert set(cells) == {0}
    assert cells[0] == expected_cells(first.origin_url)
