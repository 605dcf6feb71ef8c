"""The till's product search ranks what a cashier means first: a word in the product's
name beats the same word in its producer's name, and what is on this booth's shelf
beats what is not (issue 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Booth
from core.textfold import fold
from inventory import services
from inventory.models import Producer, Product


@pytest.fixture
def booth(seeded):
    with seeded.app_context():
        yield db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))


def _ranked(booth, query: str) -> list[tuple[str, int]]:
    found = services.search_products(db.session, query=query, limit=20, booth=booth)
    stock = services.on_hand(db.session, booth=booth, product_ids=[p.id for p in found])
    return [(p.name, stock.get(p.id, 0)) for p in found]


def test_name_matches_on_the_shelf_come_first(booth):
    ranked = _ranked(booth, "nuoc mam")
    names = [name for name, _ in ranked]
    by_name = [row for row in ranked if fold(row[0]).startswith("nuoc mam")]
    assert ranked[:len(by_name)] == by_name, "name matches before producer matches"
    assert "Mắm tép Vị Thanh" in names[len(by_name):]  # found through its producer only
    stocks = [qty > 0 for _, qty in by_name]
    assert stocks == sorted(stocks, reverse=True), "in stock before out of stock"
    assert ranked[0][1] > 0


def test_a_placeholder_producer_name_is_not_searched(booth):
    placeholder = Producer(name="(chưa công bố tên)", name_folded=fold("(chưa công bố tên)"),
                           district="Thọ Xuân", kind="household")
    db.session.add(placeholder)
    db.session.flush()
    db.session.add(Product(code="OCOP-TH-9901", name="Nem nướng Thọ Xuân",
                           name_folded=fold("Nem nướng Thọ Xuân"), producer_id=placeholder.id,
                           price=50_000, vat_rate=0, unit="hộp", category="food"))
    db.session.flush()
    assert [name for name, _ in _ranked(booth, "nem chua")] == ["Nem chua Chí Quý Bình Chí"]
    assert "Nem nướng Thọ Xuân" in [name for name, _ in _ranked(booth, "nem")]


def test_without_a_booth_the_search_still_ranks_by_name(booth):
    found = services.search_products(db.session, query="nuoc mam", limit=20)
    assert fold(found[0].name).startswith("nuoc mam")
