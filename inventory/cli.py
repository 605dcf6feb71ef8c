"""``ocop stock``: check the cached stock levels against the ledger, and repair them."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from core.extensions import db
from inventory.services import ledger_differences, rebuild_levels

stock_group = AppGroup("stock", help="Tồn kho: đối chiếu và sửa số tồn theo sổ kho.")


@stock_group.command("verify")
def verify_command():
    """Recompute every location's levels from the ledger; exit 1 when any differs."""
    differences = ledger_differences(db.session)
    db.session.rollback()
    if not differences:
        click.echo("Số tồn khớp với sổ kho ở mọi địa điểm.")
        return
    click.echo(f"{'Địa điểm':<14} {'Sản phẩm':<22} {'Số tồn lưu':>11} {'Theo sổ kho':>12}")
    for d in differences:
        cached = "-" if d["cached"] is None else d["cached"]
        click.echo(f"{d['booth']:<14} {d['code'] or d['product_id']:<22} {cached:>11} "
                   f"{d['ledger']:>12}")
    click.echo(f"{len(differences)} số tồn lệch với sổ kho; chạy `ocop stock rebuild` để sửa.",
               err=True)
    sys.exit(1)


@stock_group.command("rebuild")
def rebuild_command():
    """Set every cached level to the ledger's sum; print how many changed."""
    changed = rebuild_levels(db.session)
    db.session.commit()
    click.echo(f"Đã sửa {changed} số tồn theo sổ kho.")
