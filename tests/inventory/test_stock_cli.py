"""``ocop stock verify`` and ``ocop stock rebuild``: the cache checked against the ledger,
and repaired from it."""

from __future__ import annotations

from sqlalchemy import select, text

from core.extensions import db
from core.models import Booth
from inventory.cli import stock_group
from inventory.models import Product


def _corrupt(app, delta: int) -> str:
    """Change one cached level behind the ledger's back; returns the product's code."""
    with app.app_context():
        s = db.session
        booth_id = s.scalar(select(Booth.id).where(Booth.code == "COOP-01"))
        row = s.execute(text("SELECT product_id FROM stock_level WHERE booth_id = :b "
                             "ORDER BY product_id LIMIT 1"), {"b": booth_id}).one()
        s.execute(text("UPDATE stock_level SET on_hand = on_hand + :d WHERE booth_id = :b "
                       "AND product_id = :p"), {"d": delta, "b": booth_id, "p": row[0]})
        s.commit()
        code = s.get(Product, row[0]).code
        s.remove()
        return code


def test_stock_is_an_ocop_command():
    from pos.cli import COMMANDS, main

    assert stock_group in COMMANDS and main.get_command(None, "stock") is stock_group


def test_verify_agrees_with_a_consistent_ledger(seeded):
    result = seeded.test_cli_runner().invoke(stock_group, ["verify"])
    assert result.exit_code == 0, result.output
    assert "khớp" in result.output


def test_verify_names_a_drifted_level_and_rebuild_repairs_it(seeded):
    runner = seeded.test_cli_runner()
    code = _corrupt(seeded, 7)
    verify = runner.invoke(stock_group, ["verify"])
    assert verify.exit_code == 1
    line = next(line for line in verify.output.splitlines() if code in line)
    assert "COOP-01" in line
    cached, ledger = (int(x) for x in line.split()[-2:])
    assert cached - ledger == 7

    rebuild = runner.invoke(stock_group, ["rebuild"])
    assert rebuild.exit_code == 0 and "Đã sửa 1 số tồn" in rebuild.output
    assert runner.invoke(stock_group, ["verify"]).exit_code == 0
    again = runner.invoke(stock_group, ["rebuild"])
    assert "Đã sửa 0 số tồn" in again.output


def test_verify_finds_a_level_whose_moves_are_missing(seeded):
    """A level row with no move behind it (written without post_move) is a difference."""
    with seeded.app_context():
        s = db.session
        booth_id = s.scalar(select(Booth.id).where(Booth.code == "COOP-01"))
        stocked = set(s.scalars(text("SELECT product_id FROM stock_level")))
        product = s.scalar(select(Product).where(Product.id.not_in(stocked)).limit(1))
        s.execute(text("INSERT INTO stock_level (booth_id, product_id, on_hand, updated_at) "
                       "VALUES (:b, :p, 5, CURRENT_TIMESTAMP)"), {"b": booth_id,
                                                                 "p": product.id})
        s.commit()
        code = product.code
        s.remove()
    verify = seeded.test_cli_runner().invoke(stock_group, ["verify"])
    assert verify.exit_code == 1 and code in verify.output
