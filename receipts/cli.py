"""``ocop printer …``: check the receipt printer named by ``OCOP_PRINTER``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from core.cli_errors import CliError

printer_group = AppGroup("printer", help="Máy in hóa đơn (OCOP_PRINTER).")

MODE_NAMES = {"raster": "dạng ảnh", "text": "dạng chữ CP1258 và TCVN-3",
              "both": "dạng ảnh và dạng chữ"}


def _settings_in_force():
    """The booth's printer as its manager set it on the printer page (the environment
    still wins), so the self-test prints the way the receipts will. Before the booth is
    in the database nobody can have set anything: the environment's alone."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import Booth
    from pos.booth_settings import print_settings

    from .printers import PrintSettings

    code = current_app.config.get("OCOP_BOOTH")
    booth = code and db.session.scalar(select(Booth).where(Booth.code == code))
    if not booth:
        return PrintSettings.from_config(current_app.config)
    return print_settings(db.session, booth, current_app.config)


@printer_group.command("test")
@click.option("--mode", type=click.Choice(["raster", "text", "both"]), default="both",
              show_default=True,
              help="raster: chữ in dạng ảnh (mẫu chuẩn); text: các bảng mã chữ; both: cả hai.")
@click.option("--timeout", type=float, default=5, show_default=True,
              help="Số giây chờ máy in trả lời.")
def printer_test_command(mode: str, timeout: float):
    """Print the Vietnamese self-test page, to choose OCOP_PRINTER_MODE and encoding."""
    from .printers import PrinterError
    from .services import print_selftest

    try:
        settings = _settings_in_force()
        written = print_selftest(settings, mode=mode, timeout=timeout)
    except PrinterError as err:
        raise CliError(err.message) from None
    if written is not None:
        click.echo(f"Đã lưu trang thử tiếng Việt dạng PDF vào {written} "
                   "(thư mục PDF không nhận lệnh ESC/POS, nên không có phần bảng mã chữ).")
        return
    click.echo(f"Đã gửi trang thử tiếng Việt ({MODE_NAMES[mode]}) tới "
               f"{settings.target.describe()}. Hãy so phần chữ với mẫu in dạng ảnh.")
