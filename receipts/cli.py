"""``ocop printer …``: check the receipt printer named by ``OCOP_PRINTER``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from core.cli_errors import CliError

printer_group = AppGroup("printer", help="Máy in hóa đơn (OCOP_PRINTER).")

MODE_NAMES = {"raster": "dạng ảnh", "text": "dạng chữ CP1258 và TCVN-3",
              "both": "dạng ảnh và dạng chữ"}


@printer_group.command("test")
@click.option("--mode", type=click.Choice(["raster", "text", "both"]), default="both",
              show_default=True,
              help="raster: chữ in dạng ảnh (mẫu chuẩn); text: các bảng mã chữ; both: cả hai.")
@click.option("--timeout", type=float, default=5, show_default=True,
              help="Số giây chờ máy in trả lời.")
def printer_test_command(mode: str, timeout: float):
    """Print the Vietnamese self-test page, to choose OCOP_PRINTER_MODE and encoding."""
    from .printers import PrinterError, PrintSettings
    from .services import print_selftest

    try:
        settings = PrintSettings.from_config(current_app.config)
        written = print_selftest(settings, mode=mode, timeout=timeout)
    except PrinterError as err:
        raise CliError(err.message) from None
    if written is not None:
        click.echo(f"Đã lưu trang thử tiếng Việt dạng PDF vào {written} "
                   "(thư mục PDF không nhận lệnh ESC/POS, nên không có phần bảng mã chữ).")
        return
    click.echo(f"Đã gửi trang thử tiếng Việt ({MODE_NAMES[mode]}) tới "
               f"{settings.target.describe()}. Hãy so phần chữ với mẫu in dạng ảnh.")
