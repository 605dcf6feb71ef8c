"""Does the stock list cost the same with 150 and with 20,000 products in stock?

Usage: ``python bench/bench_stock.py [--small 150] [--big 20000] [--sales 3000]
[--runs 40] [--explain]``. Builds two throw-away SQLite booths: the demo catalogue
multiplied as ``bench_search.py`` does, every product in stock at COOP-01 (a receipt move
and its level per product, plain inserts), a tenth with a reorder point, a few below
zero, and the same ``--sales`` sales of the last 60 days in both (1–3 lines each, a few
refunded or voided), so sold_7/sold_30 and days of cover are real figures. Then times
``GET /api/v1/stock`` through the test client with a manager's token: the first page
(by name), the page sorted by days of cover, by sales, by on-hand, and the low filter.
The floor is a bare Flask route answering fixed JSON on the same app and client. The
issue's goal: big / small ≤ 1.2 for the first page and a sorted one.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_search import build_catalogue  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from core.auth import public  # noqa: E402
from core.config import Config  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Booth, User  # noqa: E402
from core.services import create_token  # noqa: E402
from inventory.models import Product, StockLevel, StockMove  # noqa: E402
from pos import create_app  # noqa: E402
from pos.counter_models import Sale, SaleLine, Shift  # noqa: E402

CASES = {
    "first page (name)": "/api/v1/stock",
    "sorted: days_of_cover": "/api/v1/stock?sort=days_of_cover",
    "sorted: sold_30": "/api/v1/stock?sort=sold_30",
    "sorted: on_hand": "/api/v1/stock?sort=on_hand",
    "low=1": "/api/v1/stock?low=1",
}
FLOOR = "/bench-floor"


def stock_everything(session, booth: Booth, rng: random.Random) -> int:
    """Put every product without a level in stock at ``booth``: one receipt move and its
    level each, so the ledger and the cache agree."""
    stocked = set(session.scalars(select(StockLevel.product_id).where(
        StockLevel.booth_id == booth.id)))
    now = datetime.now(UTC)
    moves, levels = [], []
    for pid in session.scalars(select(Product.id).order_by(Product.id)):
        if pid in stocked:
            continue
        qty = rng.choice([-2, 1, 3, 4, 8, 12, 20, 35, 60]) if rng.random() < 0.97 else -3
        moves.append({"id": str(uuid.uuid4()), "booth_id": booth.id, "product_id": pid,
                      "qty": qty, "kind": "receive" if qty > 0 else "count",
                      "reference": "bench", "note": "", "reason": "", "at": now})
        levels.append({"booth_id": booth.id, "product_id": pid, "on_hand": qty,
                       "reorder_point": rng.choice([10, 15]) if rng.random() < 0.1 else None,
                       "updated_at": now})
    for start in range(0, len(moves), 2000):
        session.execute(insert(StockMove), moves[start:start + 2000])
        session.execute(insert(StockLevel), levels[start:start + 2000])
    session.commit()
    return session.scalar(select(func.count()).select_from(StockLevel).where(
        StockLevel.booth_id == booth.id))


def add_sales(session, booth: Booth, cashier: User, count: int, rng: random.Random) -> None:
    """``count`` sales over the last 60 days with plain inserts, ~2% voided and ~3%
    refunded in part; products drawn from a fixed pool so both booths sell alike."""
    products = list(session.execute(select(Product.id, Product.name, Product.price,
                                           Product.vat_rate).order_by(Product.id)
                                    .limit(400)))
    now = datetime.now(UTC)
    shift_id = str(uuid.uuid4())
    session.execute(insert(Shift), [{"id": shift_id, "booth_id": booth.id,
                                     "cashier_id": cashier.id, "status": "open",
                                     "opened_at": now - timedelta(days=61),
                                     "business_day": date.today(), "opening_float": 0,
                                     "note": ""}])
    sales, lines = [], []
    seq = 0

    def add(kind: str, at: datetime, items: list, refund_of: str | None = None,
            status: str = "completed") -> str:
        nonlocal seq
        seq += 1
        sale_id = str(uuid.uuid4())
        total = sum(qty * price for _p, qty, price, _v, _n in items)
        sales.append({"id": sale_id, "booth_id": booth.id, "seq": seq,
                      "number": f"{booth.code}-{seq:06d}", "shift_id": shift_id,
                      "cashier_id": cashier.id, "created_at": at, "status": status,
                      "kind": kind, "refund_of_id": refund_of, "total": total,
                      "discount_total": 0, "change": 0, "reason": "", "void_reason": "",
                      "voided_at": at if status == "voided" else None,
                      "request_hash": "bench"})
        for position, (pid, qty, price, vat, name) in enumerate(items):
            lines.append({"sale_id": sale_id, "position": position, "product_id": pid,
                          "barcode": "", "name": name, "qty": qty, "unit_price": price,
                          "catalog_price": price, "discount": 0, "amount": qty * price,
                          "vat_rate": vat})
        return sale_id

    for _ in range(count):
        at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        items = [(p.id, rng.randint(1, 3), p.price, p.vat_rate, p.name)
                 for p in rng.sample(products, k=rng.randint(1, 3))]
        roll = rng.random()
        sale_id = add("sale", at, items, status="voided" if roll < 0.02 else "completed")
        if 0.02 <= roll < 0.05:
            add("refund", at + timedelta(hours=1), [(items[0][0], 1, *items[0][2:])],
                refund_of=sale_id)
    for start in range(0, len(sales), 2000):
        session.execute(insert(Sale), sales[start:start + 2000])
    for start in range(0, len(lines), 2000):
        session.execute(insert(SaleLine), lines[start:start + 2000])
    session.commit()


def build(products: int, tmp: str, *, sales: int, explain: bool):
    """A booth app with ``products`` in stock and ``sales`` sales; returns the app and a
    manager's token."""
    rng = random.Random(2026)
    app = create_app(Config(OCOP_INSTANCE=tmp, OCOP_ROLE="booth", OCOP_BOOTH="COOP-01",
                            SECRET_KEY="bench", DATABASE_URL=f"sqlite:///{tmp}/bench.db"))

    @app.get(FLOOR)
    @public
    def floor():
        return {"ok": True, "stock": []}

    with app.app_context():
        session = db.session
        db.create_all()
        started = time.perf_counter()
        build_catalogue(session, products)
        booth = session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        in_stock = stock_everything(session, booth, rng)
        manager = session.scalar(select(User).where(User.username == "quanly.coop-01"))
        add_sales(session, booth, manager, sales, rng)
        token = create_token(session, user=manager)[1]
        session.commit()
        print(f"{in_stock} products in stock, {sales} sales, built in "
              f"{time.perf_counter() - started:.1f} s")
        if explain:
            explain_plans(app, token)
        session.remove()
    return app, token


def interleaved(calls: list, runs: int) -> list[float]:
    """Median ms of each call, timed in turns (a, b, a, b, …) so that a busy machine
    slows every call alike rather than whichever ran during the busy spell."""
    for call in calls:
        call()
        call()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for i, call in enumerate(calls):
            started = time.perf_counter()
            call()
            times[i].append((time.perf_counter() - started) * 1000)
    return [statistics.median(t) for t in times]


def explain_plans(app, token: str) -> None:
    """Print SQLite's plan of the stock list's statement for each case."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "stock_level" in statement and statement.lstrip().upper().startswith(
                ("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    client = app.test_client()
    for label, url in CASES.items():
        seen.clear()
        client.get(url, headers={"Authorization": f"Bearer {token}"})
        statement, parameters = seen[-1]
        with db.engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        print(f"  plan, {label}:")
        for row in plan:
            print(f"    {row[-1]}")
    event.remove(db.engine, "before_cursor_execute", grab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=150)
    parser.add_argument("--big", type=int, default=20_000)
    parser.add_argument("--sales", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as small_tmp, tempfile.TemporaryDirectory() as big_tmp:
        apps = [build(args.small, small_tmp, sales=args.sales, explain=args.explain),
                build(args.big, big_tmp, sales=args.sales, explain=args.explain)]
        clients = [(app.test_client(), {"Authorization": f"Bearer {token}"})
                   for app, token in apps]
        for client, headers in clients:
            for url in CASES.values():
                response = client.get(url, headers=headers)
                assert response.status_code == 200 and response.get_json()["stock"], url
        print(f"\n{'GET /api/v1/stock, median of ' + str(args.runs):<34} "
              f"{args.small:>9} {args.big:>9}   big/small")
        cases = {"floor (bare route, same client)": FLOOR} | CASES
        for label, url in cases.items():
            small, big = interleaved([lambda c=c, h=h, u=url: c.get(u, headers=h)
                                      for c, h in clients], args.runs)
            ratio = big / small
            mark = "" if url == FLOOR else ("  ok" if ratio <= 1.2 else "  > 1.2")
            print(f"  {label:<32} {small:>7.2f}ms {big:>7.2f}ms   {ratio:>5.2f}×{mark}")
        for app, _token in apps:
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
