"""PNG previews and raster images: exact paper width, real content, any script."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from receipts.document import ReceiptLine
from receipts.raster import render_image, render_png

from .conftest import VIETQR_PAYLOAD
from .escpos_stream import black_fraction


@pytest.mark.parametrize("paper_mm, dots", [(80, 576), (58, 384)])
def test_png_preview_is_paper_wide_one_bit_and_not_blank(receipt, paper_mm, dots):
    image = Image.open(io.BytesIO(render_png(receipt, paper_mm)))
    assert image.format == "PNG"
    assert image.mode == "1"
    assert image.width == dots
    assert image.height > 600
    assert 0.02 < black_fraction(image) < 0.5


def test_image_has_only_black_and_white_dots(receipt):
    image = render_image(receipt, 80)
    assert image.mode == "1"
    assert set(image.convert("L").histogram()[1:255]) == {0}


def test_more_lines_make_a_taller_receipt(make_receipt):
    extra = tuple(ReceiptLine(name=f"Bánh gai Tứ Trụ hộp {n}", qty=1, unit_price=60_000,
                              amount=60_000) for n in range(5))
    assert render_image(make_receipt(extra_lines=extra)).height > render_image(
        make_receipt()).height


def test_vietqr_makes_the_receipt_taller_than_a_short_lookup_code(make_receipt):
    lookup = render_image(make_receipt(qr_payload="TH01-000123"))
    payment = render_image(make_receipt(qr_payload=VIETQR_PAYLOAD))
    assert payment.height > lookup.height


def test_emoji_and_chinese_render_in_raster_mode(make_receipt):
    plain = make_receipt(extra_lines=(
        ReceiptLine(name="Quà tặng", qty=1, unit_price=10_000, amount=10_000),))
    exotic = make_receipt(extra_lines=(
        ReceiptLine(name="Quà tặng 😀 中文", qty=1, unit_price=10_000, amount=10_000),))
    plain_image, exotic_image = render_image(plain), render_image(exotic)
    assert exotic_image.size == plain_image.size
    # The unknown characters leave visible marks instead of vanishing.
    assert black_fraction(exotic_image) > black_fraction(plain_image)


def test_unsupported_paper_is_refused(receipt):
    with pytest.raises(ValueError, match="58 hoặc 80"):
        render_png(receipt, 76)


def test_zreport_renders_as_an_image(zreport):
    image = render_image(zreport, 58)
    assert image.width == 384 and black_fraction(image) > 0.02
