"""A central and a booth, each on its own database, talking through the real client.

In-process tests route the client's HTTP through the central app's WSGI interface
(httpx's WSGI transport: the same requests, headers and JSON, no socket); the end-to-end
tests run both apps as real servers on 127.0.0.1.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from flask import Flask
from sqlalchemy import func, select, text

from core.extensions import db
from core.models import Booth, User
from pos import counter
from pos.counter_models import Shift
from pos.demo import seed_demo
from sync.client import CentralClient
from sync.credentials import booth_by_code, register_booth
from tests.conftest import FAST_HASH, build_app, fresh_postgres_database

BOOTH = "COOP-01"


@dataclass
class Pair:
    central: Flask
    booth: Flask
    token: str

    def client(self, transport: httpx.BaseTransport | None = None) -> CentralClient:
        return CentralClient(self.booth, transport=transport or httpx.WSGITransport(
            app=self.central))


_SEEDED_SQLITE: list[Path] = []


def _seeded_sqlite_template() -> Path:
    """Central's demo seeded once per test run into a file each test copies: seeding 33
    booths' stock costs seconds, a copy milliseconds."""
    if not _SEEDED_SQLITE:
        folder = Path(tempfile.mkdtemp(prefix="ocop-central-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        app = build_app(folder, role="central")
        with app.app_context():
            seed_demo(db.session, hash_method=FAST_HASH)
            db.session.commit()
            db.engine.dispose()
        _SEEDED_SQLITE.append(folder / "instance-central" / "ocop.sqlite3")
    return _SEEDED_SQLITE[0]


def make_central(tmp_path, database_url: str | None = None) -> Flask:
    """A central with the demo data: on SQLite a copy of the seeded template, on
    PostgreSQL the database given (seeded here unless it already is)."""
    if database_url is None:
        target = tmp_path / "central" / "instance-central" / "ocop.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(_seeded_sqlite_template()) as source, \
                sqlite3.connect(target) as copy:
            source.backup(copy)
    app = build_app(tmp_path / "central", role="central", database_url=database_url)
    with app.app_context():
        seed_demo(db.session, hash_method=FAST_HASH)  # nothing to do on a seeded copy
        db.session.commit()
    return app


def make_booth(tmp_path, *, token: str, central_url: str = "http://localhost",
               booth: str = BOOTH, **extra) -> Flask:
    app = build_app(tmp_path / f"booth-{booth}", booth=booth, OCOP_CENTRAL_URL=central_url,
                    OCOP_SYNC_TOKEN=token, **extra)
    with app.app_context():
        seed_demo(db.session, booth_code=booth, hash_method=FAST_HASH)
        db.session.commit()
    return app


def register(central: Flask, booth: str = BOOTH) -> str:
    with central.app_context():
        _credential, plain = register_booth(db.session, booth=booth_by_code(db.session, booth))
        db.session.commit()
    return plain


@pytest.fixture(scope="session")
def seeded_postgres_template(tmp_path_factory):
    """A PostgreSQL database with central's demo, which each test's database copies
    (``CREATE DATABASE … TEMPLATE``)."""
    with fresh_postgres_database() as url:
        app = build_app(tmp_path_factory.mktemp("pg-template"), role="central",
                        database_url=url)
        with app.app_context():
            seed_demo(db.session, hash_method=FAST_HASH)
            db.session.commit()
            db.engine.dispose()
        yield url.rsplit("/", 1)[1].split("?")[0]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def central_url(request, tmp_path):
    """Central's database: SQLite, and a PostgreSQL database with the demo already in."""
    if request.param == "sqlite":
        yield None
    else:
        from tests.conftest import postgres_server_url
        from tests.postgres import temporary_database

        template = request.getfixturevalue("seeded_postgres_template")
        with temporary_database(postgres_server_url(), template=template) as url:
            yield url


@pytest.fixture
def pair(tmp_path, central_url) -> Pair:
    central = make_central(tmp_path, central_url)
    token = register(central)
    booth = make_booth(tmp_path, token=token)
    yield Pair(central=central, booth=booth, token=token)
    for app in (central, booth):
        with app.app_context():
            db.engine.dispose()


# --- acting at the booth --------------------------------------------------------------------


def booth_row(code: str = BOOTH) -> Booth:
    return db.session.scalar(select(Booth).where(Booth.code == code))


def staff(role: str = "cashier", code: str = BOOTH) -> User:
    prefix = "thungan" if role == "cashier" else "quanly"
    return db.session.scalar(select(User).where(User.username == f"{prefix}.{code.lower()}"))


def open_shift(app: Flask, *, opening_float: int = 500_000) -> str:
    with app.app_context():
        shift = counter.open_shift(db.session, booth=booth_row(), cashier=staff(),
                                   opening_float=opening_float)
        db.session.commit()
        return shift.id


def stocked_products(app: Flask, n: int = 3) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(text(
            "SELECT product_id FROM stock_level WHERE on_hand > 0 ORDER BY product_id LIMIT :n"),
            {"n": n}))


def sell(app: Flask, lines: list[tuple[int, int]], *, method: str = "cash") -> dict:
    """Ring up a sale paid exactly by ``method``; returns the sale as the API shows it."""
    with app.app_context():
        booth = booth_row()
        from inventory.models import Product

        total = sum(db.session.get(Product, pid).price * qty for pid, qty in lines)
        sale, _created = counter.complete_sale(
            db.session, booth=booth, cashier=staff(), sale_id=None,
            lines=[counter.LineInput(qty=qty, product_id=pid) for pid, qty in lines],
            payments=[counter.PaymentInput(method=method, amount=total)])
        db.session.commit()
        return counter.sale_to_json(sale)


def refund(app: Flask, sale_id: str, lines: list[tuple[int, int]]) -> dict:
    with app.app_context():
        from pos.counter_models import Sale

        original = db.session.get(Sale, sale_id)
        refund_row, _created = counter.refund_sale(
            db.session, booth=booth_row(), actor=staff("manager"), original=original,
            refund_id=None, lines=lines, reason="Khách đổi ý")
        db.session.commit()
        return counter.sale_to_json(refund_row)


def close_shift(app: Flask, shift_id: str) -> dict:
    with app.app_context():
        shift = db.session.get(Shift, shift_id)
        report = counter.shift_report(db.session, shift=shift)
        closed = counter.close_shift(db.session, booth=booth_row(), shift=shift,
                                     actor=staff(), counted_cash=report["expected_cash"])
        db.session.commit()
        return closed


# --- what each side holds, by plain SQL --------------------------------------------------------


def totals(app: Flask, code: str = BOOTH) -> dict:
    """A booth's figures as one database holds them, recomputed from raw rows by SQL."""
    with app.app_context():
        booth_id = db.session.scalar(text("SELECT id FROM booth WHERE code = :c"), {"c": code})
        sales = db.session.execute(text(
            "SELECT kind, status, count(*), coalesce(sum(total), 0) FROM sale "
            "WHERE booth_id = :b GROUP BY kind, status ORDER BY kind, status"),
            {"b": booth_id}).all()
        by_method = db.session.execute(text(
            "SELECT s.kind, p.method, sum(p.amount) FROM payment p JOIN sale s "
            "ON s.id = p.sale_id WHERE s.booth_id = :b AND s.status = 'completed' "
            "GROUP BY s.kind, p.method ORDER BY s.kind, p.method"), {"b": booth_id}).all()
        stock = db.session.execute(text(
            "SELECT product_id, sum(qty) FROM stock_move WHERE booth_id = :b "
            "GROUP BY product_id HAVING sum(qty) <> 0 ORDER BY product_id"),
            {"b": booth_id}).all()
        levels = db.session.execute(text(
            "SELECT product_id, on_hand FROM stock_level WHERE booth_id = :b AND on_hand <> 0 "
            "ORDER BY product_id"), {"b": booth_id}).all()
        shifts = db.session.execute(text(
            "SELECT id, status, counted_cash FROM shift WHERE booth_id = :b ORDER BY id"),
            {"b": booth_id}).all()
        numbers = db.session.scalars(text(
            "SELECT number FROM sale WHERE booth_id = :b ORDER BY number"), {"b": booth_id}).all()
        return {"sales": [tuple(r) for r in sales], "by_method": [tuple(r) for r in by_method],
                "stock": [tuple(r) for r in stock], "levels": [tuple(r) for r in levels],
                "shifts": [tuple(r) for r in shifts], "numbers": list(numbers)}


def pending(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(text(
            "SELECT count(*) FROM outbox_event WHERE acked_at IS NULL"))


def central_event_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(text("ingested_event")))
