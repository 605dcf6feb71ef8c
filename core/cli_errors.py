"""The one refusal every ``ocop`` command group raises, in a module of its own so that
the groups (``receipts.cli``, ``sync.cli``) and ``pos.cli``, which gathers them, do not
import each other."""

from __future__ import annotations

import click


class CliError(click.ClickException):
    """A refusal printed in Vietnamese, with a non-zero exit and nothing written."""

    def show(self, file=None):
        click.echo(f"Lỗi: {self.format_message()}", err=True, file=file)
