"""Build a booth's history fast, by writing rows directly (not 100,000 HTTP calls).

``build_booth(folder, products=…, sales=…)`` makes a throw-away SQLite booth: the demo
catalogue multiplied to ``products`` (as ``bench_search.py`` does), every product in
stock, and ``sales`` sales spread over past business days, one closed shift a day, plus
``today`` sales in today's open shift — so a list of today's sales has the same rows
whatever the history behind it. Each sale has 1–3 lines and one payment; a few are
voided or refunded. ``add_print_jobs`` queues pending print jobs the same way.

Used by ``run_all.py``; run alone to time the build:
``python bench/gen_history.py --sales 100000``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import build_catalogue  # noqa: E402
from bench_stock import stock_everything  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from core.config import Config  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Booth, User  # noqa: E402
from core.services import create_token  # noqa: E402
from inventory.models import Product  # noqa: E402
from pos import create_app  # noqa: E402
from pos.counter_models import Payment, Sale, SaleLine, Shift  # noqa: E402
from receipts.models import PrintJob  # noqa: E402

BOOTH = "COOP-01"
SALES_PER_DAY = 300
CHUNK = 5000


def _flush(session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start:start + CHUNK])
    rows.clear()


def add_history(session, *, booth: Booth, cashier: User, sales: int, today: int,
                rng: random.Random) -> None:
    """``sales`` sales before today, ``SALES_PER_DAY`` a day going back, and ``today``
    sales in an open shift today; numbers gap-free, oldest first."""
    from pos.counter import BUSINESS_TZ

    products = list(session.execute(select(Product.id, Product.name, Product.price,
                                           Product.vat_rate).order_by(Product.id)
                                    .limit(400)))
    now = datetime.now(UTC)
    business_today = now.astimezone(BUSINESS_TZ).date()
    days = -(-sales // SALES_PER_DAY)
    plan = [(business_today - timedelta(days=days - n),
             min(SALES_PER_DAY, sales - n * SALES_PER_DAY)) for n in range(days)]
    plan.append((business_today, today))
    shifts, sale_rows, lines, payments = [], [], [], []
    seq = 0
    for day, count in plan:
        opened = datetime.combine(day, datetime.min.time(), tzinfo=BUSINESS_TZ).astimezone(
            UTC) + timedelta(hours=7)
        is_today = day == business_today
        shift_id = str(uuid.uuid4())
        shifts.append({"id": shift_id, "booth_id": booth.id, "cashier_id": cashier.id,
                       "status": "open" if is_today else "closed", "opened_at": opened,
                       "closed_at": None if is_today else opened + timedelta(hours=12),
                       "business_day": day, "opening_float": 500_000, "note": "",
                       "counted_cash": None if is_today else 0})
        span = max(60, int((now - opened).total_seconds()) - 60) if is_today else 12 * 3600
        moments = sorted(opened + timedelta(seconds=rng.randint(0, span)) for _ in range(count))
        for at in moments:
            seq += 1
            sale_id = str(uuid.uuid4())
            items = rng.sample(products, k=rng.randint(1, 3))
            qtys = [rng.randint(1, 3) for _ in items]
            total = sum(q * p.price for q, p in zip(qtys, items, strict=True))
            voided = rng.random() < 0.02
            sale_rows.append({
                "id": sale_id, "booth_id": booth.id, "seq": seq,
                "number": f"{booth.code}-{seq:06d}", "shift_id": shift_id,
                "cashier_id": cashier.id, "created_at": at,
                "status": "voided" if voided else "completed", "kind": "sale",
                "refund_of_id": None, "total": total, "discount_total": 0, "change": 0,
                "reason": "", "void_reason": "Nhập nhầm" if voided else "",
                "voided_at": at if voided else None, "request_hash": "bench"})
            for position, (product, qty) in enumerate(zip(items, qtys, strict=True)):
                lines.append({"sale_id": sale_id, "position": position,
                              "product_id": product.id, "barcode": "", "name": product.name,
                              "qty": qty, "unit_price": product.price,
                              "catalog_price": product.price, "discount": 0,
                              "amount": qty * product.price, "vat_rate": product.vat_rate})
            method = rng.choice(("cash", "cash", "transfer", "card"))
            payments.append({"sale_id": sale_id, "position": 0, "method": method,
                             "amount": total, "reference": "",
                             "tendered": total if method == "cash" else None})
        if len(sale_rows) >= CHUNK:
            _flush(session, Shift, shifts)
            _flush(session, Sale, sale_rows)
            _flush(session, SaleLine, lines)
            _flush(session, Payment, payments)
    _flush(session, Shift, shifts)
    _flush(session, Sale, sale_rows)
    _flush(session, SaleLine, lines)
    _flush(session, Payment, payments)
    session.commit()


def add_print_jobs(session, *, booth: Booth, count: int, state: str = "pending") -> None:
    """``count`` jobs for the newest sales (printer unplugged all day, say)."""
    sale_ids = list(session.scalars(select(Sale.id).where(Sale.booth_id == booth.id)
                                    .order_by(Sale.seq.desc()).limit(count)))
    now = datetime.now(UTC)
    jobs = [{"id": str(uuid.uuid4()), "booth_id": booth.id, "kind": "receipt",
             "sale_id": sale_ids[n % len(sale_ids)], "reprint": n >= len(sale_ids),
             "state": state, "attempts": 0, "last_error": "",
             "next_attempt_at": now + timedelta(hours=1), "created_at": now}
            for n in range(count)]
    _flush(session, PrintJob, jobs)
    session.commit()


def build_booth(folder: str, *, products: int, sales: int, today: int = SALES_PER_DAY,
                seed: int = 2026, **config) -> tuple:
    """A booth app in ``folder`` with its catalogue, stock and history; returns
    ``(app, manager_token, cashier_token)``."""
    rng = random.Random(seed)
    app = create_app(Config(OCOP_INSTANCE=folder, OCOP_ROLE="booth", OCOP_BOOTH=BOOTH,
                            SECRET_KEY="bench", DATABASE_URL=f"sqlite:///{folder}/bench.db",
                            **config))
    with app.app_context():
        session = db.session
        db.create_all()
        build_catalogue(session, products)
        booth = session.scalar(select(Booth).where(Booth.code == BOOTH))
        stock_everything(session, booth, rng)
        manager = session.scalar(select(User).where(User.username == "quanly.coop-01"))
        cashier = session.scalar(select(User).where(User.username == "thungan.coop-01"))
        add_history(session, booth=booth, cashier=manager, sales=sales, today=today, rng=rng)
        tokens = (create_token(session, user=manager)[1], create_token(session, user=cashier)[1])
        session.commit()
        session.remove()
    return app, *tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--sales", type=int, default=100_000)
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        app, _m, _c = build_booth(tmp, products=args.products, sales=args.sales)
        with app.app_context():
            counts = {model.__tablename__: db.session.scalar(
                select(func.count()).select_from(model))
                for model in (Product, Shift, Sale, SaleLine, Payment)}
            db.session.remove()
            db.engine.dispose()
        print(f"built in {time.perf_counter() - started:.1f} s: {counts}")
        assert counts["sale"] == args.sales + SALES_PER_DAY, counts
        print("today:", date.today())


if __name__ == "__main__":
    main()
