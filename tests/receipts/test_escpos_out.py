"""ESC/POS jobs read back byte by byte: what the printer would print."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import qrcode
import qrcode.constants
from PIL import ImageOps

from receipts.document import ReceiptLine
from receipts.encoding import decode_cp1258, decode_tcvn3, get_encoder
from receipts.escpos_out import escpos_bytes, selftest_bytes, selftest_letter_lines
from receipts.layout import fit_monospace, monospace_lines
from receipts.raster import render_image

from .escpos_stream import Job, black_fraction, parse, stack

INIT, CUT, DRAWER = b"\x1b@", b"\x1dV", b"\x1bp"


def cp1258_lines(job: Job) -> list[str]:
    return [decode_cp1258(b"".join(data for _page, data in line.segments)) for line in job.lines]


def tcvn3_lines(job: Job) -> list[str]:
    return ["".join(decode_tcvn3(data, page) for page, data in line.segments)
            for line in job.lines]


# What each page cannot hold and prints instead (TCVN-3 has no ₫, ·, –, ×).
STAND_INS = {
    "cp1258": {"★": "*"},
    "tcvn3": {"★": "*", "₫": "đ", "·": "-", "–": "-", "×": "x"},
}


def expected_lines(doc, encoding: str, columns: int = 48) -> list[str]:
    """The layout's lines for this encoding, with the symbols the page lacks replaced."""
    encoder = get_encoder(encoding)
    lines = monospace_lines(fit_monospace(doc, columns, encoder.cells), columns, encoder.cells)
    table = str.maketrans(STAND_INS[encoding])
    return [line.translate(table) for line in lines]


def test_text_mode_cp1258_prints_the_exact_vietnamese_lines(receipt):
    job = parse(escpos_bytes(receipt, mode="text", encoding="cp1258", codepage=52))
    assert job.commands[:2] == [("init",), ("codepage", 52)]
    lines = cp1258_lines(job)
    assert lines == expected_lines(receipt, "cp1258")
    assert "HÓA ĐƠN BÁN LẺ" in [line.strip() for line in lines]
    assert any(line.startswith("1. Nước mắm Ba Làng") for line in lines)
    assert any(line.strip() == "Cảm ơn quý khách! Hẹn gặp lại." for line in lines)
    total = next(i for i, line in enumerate(lines) if line.startswith("TỔNG CỘNG"))
    assert lines[total].endswith("660.000 ₫")
    assert job.lines[total].bold and job.lines[total].double_height


def test_text_mode_counts_printer_cells_not_letters(receipt):
    job = parse(escpos_bytes(receipt, mode="text", paper_mm=58))
    raw = [b"".join(data for _page, data in line.segments) for line in job.lines]
    assert all(len(line) <= 32 for line in raw)
    # Label-and-amount lines fill the row exactly, tone bytes included.
    money = [line for line in raw if line.endswith(b" \xfe")]
    assert money and all(len(line) == 32 for line in money)


def test_text_mode_tcvn3_switches_pages_and_reads_back(receipt):
    job = parse(escpos_bytes(receipt, mode="text", encoding="tcvn3"))
    pages = {command[1] for command in job.commands if command[0] == "codepage"}
    assert pages == {30, 31}
    lines = tcvn3_lines(job)
    assert lines == expected_lines(receipt, "tcvn3")
    assert "HÓA ĐƠN BÁN LẺ" in [line.strip() for line in lines]
    assert next(line for line in lines if line.startswith("TỔNG CỘNG")).endswith("660.000 đ")


def test_text_mode_uses_the_configured_code_page(receipt):
    job = parse(escpos_bytes(receipt, mode="text", codepage=27))
    assert ("codepage", 27) in job.commands


def qr_grid(image, size: int) -> list[list[bool]]:
    """Sample the centre of each module of the QR code found in ``image``."""
    left, top, right, bottom = ImageOps.invert(image.convert("L")).getbbox()
    module = (right - left) / size
    assert abs((bottom - top) - (right - left)) < module, "QR code is square"
    return [[image.getpixel((int(left + (col + 0.5) * module),
                             int(top + (row + 0.5) * module))) == 0
             for col in range(size)] for row in range(size)]


def test_text_mode_prints_the_qr_code_as_an_image(receipt):
    job = parse(escpos_bytes(receipt, mode="text"))
    assert len(job.images) == 1
    assert job.images[0].width == 576
    reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    reference.add_data(receipt.qr_payload)
    reference.make(fit=True)
    expected = reference.get_matrix()
    assert qr_grid(job.images[0], len(expected)) == expected


def test_emoji_and_chinese_become_a_visible_marker_in_text_mode(make_receipt):
    extra = ReceiptLine(name="Quà tặng 😀 中文", qty=1, unit_price=10_000, amount=10_000)
    lines = cp1258_lines(parse(escpos_bytes(make_receipt(extra_lines=(extra,)), mode="text")))
    assert "4. Quà tặng ? ??" in lines


def test_long_names_wrap_in_text_mode(receipt):
    lines = cp1258_lines(parse(escpos_bytes(receipt, mode="text", paper_mm=58)))
    start = lines.index(next(line for line in lines if line.startswith("1. ")))
    assert "500ml" not in lines[start]
    assert "500ml" in lines[start + 1]


@pytest.mark.parametrize("paper_mm, dots", [(80, 576), (58, 384)])
def test_raster_mode_sends_one_paper_wide_image(receipt, paper_mm, dots):
    data = escpos_bytes(receipt, mode="raster", paper_mm=paper_mm)
    assert data.startswith(INIT)
    assert b"\x1dv0" in data
    job = parse(data)
    assert {command[1] for command in job.commands if command[0] == "image"} == {dots // 8}
    image = stack(job.images)
    assert image.width == dots
    assert 0.02 < black_fraction(image) < 0.5
    assert image.tobytes() == render_image(receipt, paper_mm).tobytes()
    assert not [line for line in job.lines if line.segments], "no text in raster mode"


def test_job_ends_with_cut_and_kicks_the_drawer_only_for_cash(receipt, card_receipt):
    for mode in ("raster", "text"):
        cash = escpos_bytes(receipt, mode=mode)
        assert CUT in cash and DRAWER in cash
        assert cash.index(CUT) < cash.index(DRAWER)
        assert ("drawer", 0, 50, 50) in parse(cash).commands
        card = escpos_bytes(card_receipt, mode=mode)
        assert CUT in card and DRAWER not in card


def test_zreport_prints_without_opening_the_drawer(zreport):
    data = escpos_bytes(zreport, mode="text")
    lines = cp1258_lines(parse(data))
    assert "BÁO CÁO CUỐI CA (Z)" in [line.strip() for line in lines]
    assert DRAWER not in data


def test_bad_settings_are_refused(receipt):
    with pytest.raises(ValueError, match="raster hoặc text"):
        escpos_bytes(receipt, mode="graphics")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="58 hoặc 80"):
        escpos_bytes(receipt, paper_mm=76)
    with pytest.raises(ValueError, match="hồ sơ máy in"):
        escpos_bytes(receipt, profile="No-Such-Printer")


def test_selftest_shows_every_letter_in_both_encodings_and_as_an_image():
    letters = selftest_letter_lines()
    assert sum(len(line.split()) for line in letters) == 12 * 6 * 2 + 3
    job = parse(selftest_bytes("both", codepage=52))
    assert job.images and black_fraction(stack(job.images)) > 0.02
    cp_start = next(i for i, line in enumerate(cp1258_lines(job)) if line.startswith("CP1258"))
    cp_section = cp1258_lines(job)[cp_start + 2 : cp_start + 2 + len(letters)]
    assert cp1258_lines(job)[cp_start + 1] == "OCOP_PRINTER_ENCODING=cp1258"
    assert cp_section == letters
    tcvn = tcvn3_lines(job)
    tc_start = next(i for i, line in enumerate(tcvn) if line.startswith("TCVN-3"))
    assert tcvn[tc_start + 2 : tc_start + 2 + len(letters)] == [
        line.replace("₫", "đ") for line in letters
    ]


def test_selftest_modes_print_only_what_was_asked():
    assert not parse(selftest_bytes("text")).images
    raster = parse(selftest_bytes("raster", paper_mm=58))
    assert raster.images[0].width == 384
    assert not [line for line in raster.lines if line.segments]


def test_printing_writes_nothing_to_stdout(receipt, capsys):
    for mode in ("raster", "text"):
        escpos_bytes(receipt, mode=mode, profile="TM-T20II")
        escpos_bytes(receipt, mode=mode, paper_mm=58)
    selftest_bytes()
    assert capsys.readouterr().out == ""


def test_importing_python_escpos_leaves_logging_and_temp_alone(tmp_path):
    script = (
        "import logging, os\n"
        "from receipts.escpos_out import load_escpos\n"
        "load_escpos()\n"
        "print(len(logging.getLogger().handlers))\n"
        "print(os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'])\n"
    )
    env = {key: value for key, value in os.environ.items()
           if key != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env["OCOP_INSTANCE"] = str(tmp_path / "instance")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, cwd=Path(__file__).resolve().parents[2], check=True)
    handlers, cache_dir = result.stdout.split()
    assert handlers == "0", "python-escpos must not configure the root logger"
    assert Path(cache_dir) == tmp_path / "instance" / "cache" / "escpos"
    assert list(Path(cache_dir).glob("*.capabilities.pickle"))
