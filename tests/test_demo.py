"""The demo catalogue keeps the shipped facts and every code it invents is valid."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from importlib import resources

from sqlalchemy import func, select
from stdnum import ean

from core.extensions import db
from core.models import Booth, User, Venue
from inventory.models import Barcode, Producer, Product, StockLevel, StockMove
from pos.demo import DEMO_PASSWORD, seed_demo
from tests.conftest import FAST_HASH, build_app, login


def _source_rows():
    text = resources.files("inventory").joinpath("data", "ocop-thanh-hoa-products.csv")
    return list(csv.DictReader(text.read_text("utf-8").splitlines()))


def _counts(session):
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Venue, Booth, Producer, Product, Barcode, User, StockMove)}


def test_demo_invariants(tmp_path, database_url):
    app = build_app(tmp_path, role="central", database_url=database_url)
    with app.app_context():
        session = db.session
        seed_demo(session, hash_method=FAST_HASH)
        session.commit()

        venues = {v.code: v for v in session.scalars(select(Venue).where(Venue.kind != "other"))}
        assert {c: len(v.booths) for c, v in venues.items()} == {
            "COOP": 12, "SAOMAI": 9, "SAMSON-A": 12}
        assert {v.kind for v in venues.values()} == {"supermarket", "hotel", "beach"}
        # Central also keeps its warehouse, a stock location that sells nothing.
        assert session.scalars(select(Booth.code).where(Booth.kind == "warehouse")).all() == [
            "KHO-TT"]
        codes = set(session.scalars(select(Booth.code)))
        assert {"COOP-01", "COOP-12", "SAOMAI-09", "SAMSON-A-01", "SAMSON-A-12"} <= codes

        # The catalogue is the sourced list: same names, same stars (facts win over the
        # 2021 press counts).
        rows = _source_rows()
        products = session.scalars(select(Product)).all()
        assert sorted(p.name for p in products) == sorted(r["name"].strip() for r in rows)
        stars = Counter(p.stars for p in products)
        assert stars == Counter(int(r["stars"]) if r["stars"] else None for r in rows)
        assert (stars[5], stars[4], stars[3]) == (2, 19, 111)
        assert all(p.price > 0 and p.price % 1000 == 0 for p in products)
        # Names keep their diacritics, precomposed (NFC) so search and printing agree.
        assert all(unicodedata.is_normalized("NFC", p.name) for p in products)
        assert "Nước mắm Lê Gia - Cốt đặc biệt 40N" in {p.name for p in products}

        barcodes = session.scalars(select(Barcode)).all()
        assert len({b.code for b in barcodes}) == len(barcodes)
        for barcode in barcodes:
            assert ean.is_valid(barcode.code), barcode.code
            assert len(barcode.code) == 13
            if barcode.product.producer.kind in ("company", "cooperative"):
                assert barcode.code.startswith("893")
            else:
                assert barcode.code[:2] in {f"2{d}" for d in range(10)}

        for booth in session.scalars(select(Booth).where(Booth.kind == "booth")):
            staff = Counter(u.role for u in session.scalars(
                select(User).where(User.booth_id == booth.id)))
            assert staff == {"cashier": 1, "manager": 1}, booth.code
            stocked = session.scalar(select(func.count()).select_from(StockLevel).where(
                StockLevel.booth_id == booth.id, StockLevel.on_hand > 0))
            assert stocked >= 40, booth.code
        assert session.scalar(select(User).where(User.role == "office")) is not None

        before = _counts(session)
        assert seed_demo(session, hash_method=FAST_HASH) == {}
        session.commit()
        assert _counts(session) == before
        db.session.remove()
        db.engine.dispose()


def test_seed_demo_command_is_idempotent_and_says_so(app, runner):
    from pos.cli import seed_demo_command

    first = runner.invoke(seed_demo_command)
    assert first.exit_code == 0 and "Đã nạp dữ liệu mẫu" in first.output
    with app.app_context():
        counts = _counts(db.session)
    second = runner.invoke(seed_demo_command)
    assert second.exit_code == 0 and "không thay đổi gì" in second.output
    with app.app_context():
        assert _counts(db.session) == counts
        # A booth instance holds only its own staff and stock.
        staff = {u.booth.code for u in db.session.scalars(select(User)) if u.booth}
        assert staff == {"COOP-01"}


def test_demo_logins_work(seeded, client):
    response = login(client, "thungan.coop-01", DEMO_PASSWORD)
    assert response.status_code == 302
    page = client.get("/catalog").get_data(as_text=True)
    assert "Hàng hóa tại quầy" in page and "COOP-01" in page
