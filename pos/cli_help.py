"""The ``ocop`` command's help, all in Vietnamese: click's own words ("Usage:",
"Options:", "Show this message and exit.", the metavars) through a help formatter, the
commands' texts from ``HELP``.

The commands keep their English docstrings for the people who read the code; a person
who types ``ocop … --help`` reads the Vietnamese given here or in the command's
``help=``. ``tests/test_cli_help.py`` walks every command and fails on English words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import click
from flask.cli import FlaskGroup

HEADINGS = {"Options": "Tùy chọn", "Commands": "Lệnh", "Arguments": "Tham số"}
USAGE_PIECES = {"[OPTIONS]": "[TÙY CHỌN]", "COMMAND [ARGS]...": "LỆNH [THAM SỐ]...",
                "COMMAND": "LỆNH", "[ARGS]...": "[THAM SỐ]..."}
METAVARS = {"TEXT": "CHỮ", "INTEGER": "SỐ", "FLOAT": "SỐ", "FILE": "TỆP", "PATH": "ĐƯỜNG_DẪN",
            "DIRECTORY": "THƯ_MỤC", "BOOLEAN": "CÓ|KHÔNG", "IMPORT": "MÔ_ĐUN", "NAME": "TÊN",
            "PREFIX": "TIỀN_TỐ", "CODE": "MÃ", "BACKUP": "BẢN_SAO", "DEST": "NƠI_LƯU"}
PHRASES = {"Show this message and exit.": "Hiện hướng dẫn này rồi thoát."}
NOTES = ((re.compile(r"\[default: ([^\]]*)\]"), r"[mặc định: \1]"),
         (re.compile(r"\[required\]"), "[bắt buộc]"),
         (re.compile(r"\[env var: ([^\]]*)\]"), r"[biến môi trường: \1]"))

# Flask's own options on the group.
GROUP_OPTIONS = {
    "env_file": "Nạp biến môi trường từ tệp này (ưu tiên hơn .env và .flaskenv; biến đặt "
                "sẵn trong môi trường vẫn được ưu tiên nhất).",
    "app": "Ứng dụng Flask cần chạy, dạng 'mô_đun:tên' (mặc định: ứng dụng OCOP).",
    "debug": "Bật hoặc tắt chế độ gỡ lỗi.",
}

# command path → (help, {option name: help}) for the commands defined outside pos/cli.py
HELP: dict[str, tuple[str, dict[str, str]]] = {
    "audit verify": ("Kiểm tra mọi chuỗi nhật ký kiểm toán; thoát mã 1 và chỉ ra mục hỏng "
                     "đầu tiên.", {}),
    "backup": ("Sao lưu cơ sở dữ liệu của quầy khi đang chạy (gồm cả WAL) rồi kiểm tra "
               "bản sao.", {}),
    "restore": ("Khôi phục một bản sao lưu (dừng quầy trước); một kỳ đồng bộ mới bắt đầu "
                "ngay.", {}),
    "booth list": ("Mọi quầy với lần liên lạc cuối, số sự kiện còn thiếu và sự kiện cần xem "
                   "lại.", {}),
    "booth register": ("In mã đồng bộ mới của quầy, một mình ở dòng cuối (chỉ hiện một lần). "
                       "Mã cũ còn dùng được 7 ngày để quầy kịp đổi.", {}),
    "booth revoke": ("Thu hồi mã đồng bộ của quầy (tất cả, hoặc mã có tiền tố đã cho).", {}),
    "prices apply": ("Áp dụng các thay đổi giá đã đến giờ hiệu lực (ở trung tâm).", {}),
    "printer test": ("In trang thử tiếng Việt để chọn kiểu in và bảng mã của máy in.", {}),
    "stock rebuild": ("Đặt lại số tồn lưu sẵn bằng tổng của sổ kho; in số dòng đã đổi.", {}),
    "stock verify": ("Tính lại tồn mọi nơi từ sổ kho; thoát mã 1 nếu có chỗ lệch.", {}),
    "sync": ("Gửi các sự kiện chờ về trung tâm, nhận danh mục và phiếu chuyển hàng (ở quầy).",
             {}),
}


def _vi_usage(args: str) -> str:
    for english, vietnamese in USAGE_PIECES.items():
        args = args.replace(english, vietnamese)
    return _vi_term(args)


def _vi_term(term: str) -> str:
    return re.sub(r"\b[A-Z]{3,}\b", lambda m: METAVARS.get(m.group(0), m.group(0)), term)


def _vi_text(text: str) -> str:
    text = PHRASES.get(text, text)
    for pattern, replacement in NOTES:
        text = pattern.sub(replacement, text)
    return text


class VietnameseHelpFormatter(click.HelpFormatter):
    """click's formatter, with its English words put in Vietnamese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, _vi_usage(args), prefix="Cách dùng: ")

    def write_heading(self, heading: str) -> None:
        super().write_heading(HEADINGS.get(heading, heading))

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        super().write_dl([(_vi_term(term), _vi_text(text)) for term, text in rows],
                         col_max, col_spacing)


class VietnameseContext(click.Context):
    formatter_class = VietnameseHelpFormatter


def vietnamese(command: click.Command, path: str = "") -> None:
    """Give ``command`` and everything under it the Vietnamese formatter, and the texts
    of ``HELP``."""
    command.context_class = VietnameseContext
    if path in HELP:
        text, options = HELP[path]
        command.help, command.short_help = text, None
        for param in command.params:
            if param.name in options:
                param.help = options[param.name]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            vietnamese(sub, f"{path} {name}".strip())


class OcopGroup(FlaskGroup):
    """``ocop``: only the product's own commands (Flask's development commands stay under
    ``flask --app wsgi``), every help page in Vietnamese, and ``--help`` needs no app."""

    context_class = VietnameseContext

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("add_default_commands", False)
        kwargs.setdefault("add_version_option", False)
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.name in GROUP_OPTIONS:
                param.help = GROUP_OPTIONS[param.name]
                if isinstance(param, click.Option) and param.metavar:
                    param.metavar = METAVARS.get(param.metavar, param.metavar)

    def add_commands(self, commands: Iterable[click.Command]) -> None:
        for command in commands:
            self.add_command(command)
            vietnamese(command, command.name or "")

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)
