"""Fixtures for the till tests: a seeded booth, Bearer tokens, and a snapshot of every
table a request could write, so each refusal can assert that nothing changed."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, Booth, User
from core.services import create_token
from inventory.barcodes import make_price_code
from inventory.models import Barcode, Product, StockLevel, StockMove
from pos.counter_models import CashMovement, Payment, Sale, SaleLine, Shift
from sync.models import OutboxEvent
from tests.conftest import FAST_HASH, TEST_PASSWORD

PRICE_ITEM = 17  # the item number of the price-embedded label used in the tests


@dataclass
class Till:
    """A booth app with its staff's tokens and a few products that have stock."""

    app: Flask
    tokens: dict[str, str]
    products: list[dict] = field(default_factory=list)

    @property
    def client(self):
        return self.app.test_client()

    def call(self, method: str, path: str, body=None, *, who: str = "cashier", raw=None):
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if raw is not None:
            headers["Content-Type"] = "application/json"
            return self.client.open("/api/v1" + path, method=method, data=raw,
                                    headers=headers)
        return self.client.open("/api/v1" + path, method=method, json=body, headers=headers)

    def post(self, path: str, body=None, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def open_shift(self, who: str = "cashier", opening_float: int = 500_000) -> dict:
        response = self.post("/shifts", {"opening_float": opening_float}, who=who)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["shift"]

    def sell(self, lines=None, payments=None, *, who: str = "cashier", expect: int = 201,
             **extra) -> dict:
        product = self.products[0]
        lines = lines if lines is not None else [{"product_id": product["id"], "qty": 1}]
        if payments is None:
            payments = [{"method": "cash", "amount": self.price_of(lines)}]
        body = {"id": str(uuid.uuid4()), "lines": lines, "payments": payments} | extra
        response = self.post("/sales", body, who=who)
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def price_of(self, lines) -> int:
        prices = {p["id"]: p["price"] for p in self.products}
        return sum(prices[line["product_id"]] * line["qty"] for line in lines)

    def snapshot(self) -> dict:
        """Row counts of everything a till request writes, plus every stock level."""
        with self.app.app_context():
            session = db.session
            counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                      for model in (Sale, SaleLine, Payment, Shift, CashMovement, OutboxEvent,
                                    AuditEntry, StockMove)}
            counts["levels"] = {(lvl.product_id): lvl.on_hand
                                for lvl in session.scalars(select(StockLevel))}
            counts["shift_states"] = sorted(
                (s.id, s.status, s.counted_cash) for s in session.scalars(select(Shift)))
            counts["sale_states"] = sorted(
                (s.id, s.status) for s in session.scalars(select(Sale)))
            session.remove()
        return counts

    def on_hand(self, product_id: int) -> int:
        with self.app.app_context():
            value = db.session.scalar(
                select(StockLevel.on_hand).join(Booth, Booth.id == StockLevel.booth_id)
                .where(Booth.code == "COOP-01", StockLevel.product_id == product_id)) or 0
            db.session.remove()
        return value


def make_till(app: Flask, *, seed: bool = True) -> Till:
    """Seed the demo booth COOP-01, add a second cashier, issue tokens, pick products."""
    from werkzeug.security import generate_password_hash

    from pos.demo import seed_demo

    with app.app_context():
        session = db.session
        if seed:
            seed_demo(session, booth_code="COOP-01", hash_method=FAST_HASH)
        manager = session.scalar(select(User).where(User.username == "quanly.coop-01"))
        cashier = session.scalar(select(User).where(User.username == "thungan.coop-01"))
        manager.password_hash = generate_password_hash(TEST_PASSWORD, method=FAST_HASH)
        cashier2 = User(username="thungan2.coop-01", role="cashier", booth=cashier.booth,
                        password_hash=generate_password_hash(TEST_PASSWORD, method=FAST_HASH))
        other = session.scalar(select(User).where(User.username == "vanphong"))
        session.add(cashier2)
        session.flush()
        tokens = {name: create_token(session, user=user)[1] for name, user in
                  (("cashier", cashier), ("manager", manager), ("cashier2", cashier2),
                   ("office", other))}
        stocked = list(session.scalars(
            select(Product).join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.on_hand >= 20).order_by(Product.id)))
        # Two products with different VAT rates, so the Z-report splits VAT.
        first = stocked[0]
        second = next((p for p in stocked if p.vat_rate != first.vat_rate), stocked[1])
        third = next(p for p in stocked if p not in (first, second))
        chosen = [first, second, third]
        third.barcodes.append(Barcode(code=make_price_code(PRICE_ITEM, 0), kind="instore"))
        third.variable_price = True  # sold by weight: its price labels are taken as printed
        session.flush()
        products = [{"id": p.id, "price": p.price, "vat_rate": p.vat_rate, "name": p.name,
                     "barcode": p.barcodes[0].code} for p in chosen]
        session.commit()
        session.remove()
    return Till(app=app, tokens=tokens, products=products)


@pytest.fixture
def till(app) -> Till:
    return make_till(app)


def hold_write_lock(till) -> sqlite3.Connection:
    """Another connection holding SQLite's write lock, as a long writer would; the caller
    rolls it back and closes it."""
    path = till.app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    return other


@contextmanager
def writer_busy(till):
    """The booth's write lock held by another connection for the ``with`` block."""
    other = hold_write_lock(till)
    try:
        yield other
    finally:
        other.rollback()
        other.close()
