"""Stock is a ledger: moves are the truth, the cached level follows and can be rebuilt."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from core.errors import DomainError
from core.models import Booth
from inventory.models import Product, StockLevel, StockMove
from inventory.services import post_move, rebuild_levels


@pytest.fixture
def booth_and_product(seeded, session):
    booth = session.scalar(select(Booth).where(Booth.code == "COOP-01"))
    product = session.scalar(select(Product).where(Product.name == "Nem chua Chí Quý Bình Chí"))
    return booth, product


def _level(session, booth, product) -> int:
    level = session.get(StockLevel, (booth.id, product.id))
    return level.on_hand if level else 0


def test_moves_change_the_level_and_may_go_negative(session, booth_and_product):
    booth, product = booth_and_product
    start = _level(session, booth, product)
    move = post_move(session, booth=booth, product=product, qty=-(start + 3), kind="sale",
                     reference="COOP-01-000001")
    session.commit()
    assert move.qty == -(start + 3) and move.kind == "sale" and len(move.id) == 36
    assert _level(session, booth, product) == -3  # a sale is never blocked by stock


def test_rebuild_restores_a_level_that_drifted_from_the_ledger(session, booth_and_product):
    booth, product = booth_and_product
    post_move(session, booth=booth, product=product, qty=12, kind="receive")
    session.commit()
    truth = session.scalar(select(func.sum(StockMove.qty)).where(
        StockMove.booth_id == booth.id, StockMove.product_id == product.id))
    session.execute(text("UPDATE stock_level SET on_hand = on_hand + 99 WHERE booth_id = :b "
                         "AND product_id = :p"), {"b": booth.id, "p": product.id})
    session.commit()
    session.expire_all()
    assert rebuild_levels(session, booth=booth) == 1
    session.commit()
    assert _level(session, booth, product) == truth
    assert rebuild_levels(session) == 0  # everywhere else already agrees


@pytest.mark.parametrize("qty", [0, 1.5, True, "3"])
def test_a_move_of_nothing_or_not_an_integer_is_refused(session, booth_and_product, qty):
    booth, product = booth_and_product
    before = session.scalar(select(func.count(StockMove.id)))
    with pytest.raises(DomainError, match="số nguyên khác 0"):
        post_move(session, booth=booth, product=product, qty=qty, kind="adjust")
    session.rollback()
    assert session.scalar(select(func.count(StockMove.id))) == before
