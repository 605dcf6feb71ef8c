"""``ocop``'s help is Vietnamese from the first word to the last, on every command, and
``ocop demo`` tells what it did once per database, without Alembic's English log."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from pos.cli import main

# click's own words and the English of the old help texts; codes (OCOP_PRINTER, WAL,
# raster|text|both, COOP-01) are not words a person has to read.
ENGLISH = {"usage", "options", "commands", "show", "message", "exit", "the", "and", "this",
           "of", "to", "for", "with", "from", "every", "create", "print", "load", "run",
           "serve", "back", "restore", "revoke", "check", "apply", "set", "push", "pull",
           "integer", "file", "path", "default", "required", "arguments",
           "environment", "variables", "application", "debug", "mode", "args", "command"}
ALLOWED_CODES = {"raster|text|both", "cashier|manager|office|admin"}


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group, info_name="ocop")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def english_words(text: str) -> set[str]:
    """English words a person reads; command and option names are what they type."""
    for code in ALLOWED_CODES:
        text = text.replace(code, "")
    text = re.sub(r"^Cách dùng: ocop[ \w-]*", "", text)  # the usage line's command path
    text = re.sub(r"^  [a-z][\w-]+(?=  )", "", text, flags=re.M)  # names in "Lệnh:"
    text = re.sub(r"(?<![\w])(--?[\w-]+|\.\w+)", "", text)  # --options, -e, .env
    words = re.findall(r"\w+", text)
    return {w for w in words if w.lower() in ENGLISH}


@pytest.mark.parametrize("path", [(), *command_paths(main)], ids=" ".join)
def test_every_help_page_is_vietnamese(path):
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="ocop")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Cách dùng: ocop")
    assert english_words(result.output) == set(), result.output
    assert "Hiện hướng dẫn này rồi thoát." in result.output


def test_the_top_help_lists_the_commands_under_vietnamese_headings():
    output = CliRunner().invoke(main, ["--help"], prog_name="ocop").output
    assert "Tùy chọn:" in output and "Lệnh:" in output
    for command in ("demo", "init", "serve", "user", "sync", "printer"):
        assert re.search(rf"^  {command} +\S", output, re.M), command


@pytest.mark.slow
def test_demo_reports_each_database_once_without_the_migration_log(tmp_path, monkeypatch):
    for name in ("OCOP_PRINTER", "OCOP_ROLE", "OCOP_BOOTH", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OCOP_INSTANCE", str(tmp_path / "instance"))
    result = CliRunner().invoke(main, ["demo", "--no-serve"], prog_name="ocop")
    assert result.exit_code == 0, result.output
    assert "Running upgrade" not in result.output and "INFO" not in result.output
    assert result.output.count("cơ sở dữ liệu sẵn sàng") == 2  # central, then the booth
    assert result.output.count("Thu ngân:") == 1
