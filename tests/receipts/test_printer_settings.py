"""A manager sets the printer's mode, code page and paper on the printer page; they are
kept in the booth's database, the print worker prints the next job with them, and what
the environment fixed still wins (the page says so)."""

from __future__ import annotations

import html as html_lib
import re

from sqlalchemy import func, select

from core.extensions import db
from pos.booth_settings import BoothSetting
from receipts.queue import PrintWorker
from tests.conftest import TEST_PASSWORD, build_app, csrf_token, login
from tests.pos.test_counter_support import make_till

# In text mode the shop's name reaches the printer as characters of its code page; in
# raster mode it is drawn into an image.
AS_TEXT = "Gian hàng OCOP".encode("cp1258")
FLASH = re.compile(r'<div class="flash (\w+)" role="alert">([^<]+)</div>')


def _save(client, **values):
    return client.post("/printer/settings",
                       data={"csrf_token": csrf_token(client, "/printer"), **values})


def _flashes(client) -> list[tuple[str, str]]:
    page = client.get("/printer").get_data(as_text=True)
    return [(kind, html_lib.unescape(text)) for kind, text in FLASH.findall(page)]


def _settings_rows(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(BoothSetting))
        db.session.remove()
    return count


def _print_next(app, till, device) -> bytes:
    """Sell one item, let the print worker run once, and return what reached the printer."""
    device.write_bytes(b"")
    till.sell()
    PrintWorker(app).run_once()
    return device.read_bytes()


def test_the_manager_sets_the_mode_and_the_worker_prints_with_it(tmp_path):
    device = tmp_path / "lp0"
    app = build_app(tmp_path)
    till = make_till(app)
    app.config["OCOP_PRINTER"] = f"escpos+file://{device}"
    manager = app.test_client()
    login(manager, "quanly.coop-01", TEST_PASSWORD)
    till.open_shift()

    html = manager.get("/printer").get_data(as_text=True)
    from tests.test_vocabulary import readable

    assert "OCOP_PRINTER_MODE" not in readable(html)  # no environment variable to set
    assert re.search(r'<option value="raster" selected>', html)
    first = _print_next(app, till, device)
    assert first and AS_TEXT not in first

    saved = _save(manager, OCOP_PRINTER_MODE="text", OCOP_PAPER="58",
                  OCOP_PRINTER_CODEPAGE="52", OCOP_PRINTER_ENCODING="cp1258")
    assert saved.status_code == 303
    assert ("info", "Đã lưu cài đặt máy in; lệnh in tiếp theo dùng cài đặt mới.") in \
        _flashes(manager)
    html = manager.get("/printer").get_data(as_text=True)
    assert re.search(r'<option value="text" selected>', html)
    assert re.search(r'<option value="58" selected>', html)
    assert "58 mm" in html
    printed = _print_next(app, till, device)
    assert AS_TEXT in printed


def test_what_the_environment_fixed_wins_and_the_page_says_so(tmp_path):
    app = build_app(tmp_path, OCOP_PRINTER_MODE="text")
    make_till(app)
    manager = app.test_client()
    login(manager, "quanly.coop-01", TEST_PASSWORD)

    html = manager.get("/printer").get_data(as_text=True)
    assert 'data-key="OCOP_PRINTER_MODE"' in html
    assert "Đã đặt trong cấu hình của quầy (OCOP_PRINTER_MODE)" in html
    assert 'name="OCOP_PRINTER_MODE"' not in html and 'name="OCOP_PAPER"' in html

    refused = _save(manager, OCOP_PRINTER_MODE="raster")
    assert refused.status_code in (303, 422)
    assert _settings_rows(app) == 0
    assert "text – in chữ theo bảng mã của máy" in manager.get("/printer").get_data(
        as_text=True)


def test_a_value_not_offered_is_refused_and_nothing_is_written(tmp_path):
    app = build_app(tmp_path)
    make_till(app)
    manager = app.test_client()
    login(manager, "quanly.coop-01", TEST_PASSWORD)

    refused = _save(manager, OCOP_PRINTER_MODE="laser", OCOP_PAPER="58")
    assert refused.status_code in (303, 422)
    text = html_lib.unescape(refused.get_data(as_text=True)) + " ".join(
        message for _kind, message in _flashes(manager))
    assert "Giá trị không hợp lệ cho “Kiểu in”." in text
    assert _settings_rows(app) == 0


def test_the_self_test_command_prints_on_the_paper_the_manager_chose(tmp_path):
    """`ocop printer test` prints the way the receipts will: with the paper set on the
    printer page, not the default (a 58 mm roll is 384 dots wide, 48 bytes a raster row)."""
    from receipts.cli import printer_test_command

    device = tmp_path / "lp0"
    device.write_bytes(b"")  # the printer is plugged in
    app = build_app(tmp_path)
    make_till(app)
    app.config["OCOP_PRINTER"] = f"escpos+file://{device}"
    manager = app.test_client()
    login(manager, "quanly.coop-01", TEST_PASSWORD)
    assert _save(manager, OCOP_PRINTER_MODE="raster", OCOP_PAPER="58",
                 OCOP_PRINTER_CODEPAGE="52",
                 OCOP_PRINTER_ENCODING="cp1258").status_code == 303

    result = app.test_cli_runner().invoke(printer_test_command, ["--mode", "raster"])
    assert result.exit_code == 0, result.output
    raster = device.read_bytes()
    at = raster.index(b"\x1dv0")
    assert int.from_bytes(raster[at + 4:at + 6], "little") == 384 // 8
