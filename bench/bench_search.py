"""How fast the catalogue search answers with a large catalogue.

Usage: ``python bench/bench_search.py [--products 20000] [--runs 30]``. Builds a
throw-away SQLite booth (and, when ``OCOP_TEST_POSTGRES_URL`` is set, a fresh PostgreSQL
database that is dropped afterwards) holding the demo catalogue multiplied into
``--products`` realistic Vietnamese names, then prints the median and p95 time of
``inventory.services.search_products`` for typical till queries, and of the cashier
screen's ``GET /api/v1/products?q=…&limit=8`` through the test client.

Each call gets a fresh session, as each request does in production, so nothing is served
from the identity map.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from core.config import Config  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import User  # noqa: E402
from core.services import create_token  # noqa: E402
from core.textfold import fold  # noqa: E402
from inventory import services  # noqa: E402
from inventory.barcodes import make_instore_code  # noqa: E402
from inventory.models import Barcode, Product  # noqa: E402
from pos import create_app  # noqa: E402
from pos.demo import seed_demo  # noqa: E402
from tests.postgres import temporary_database  # noqa: E402

CASHIER_LIMIT = 8  # SEARCH_LIMIT of pos/static/pos/till/search.js
VARIANTS = [
    "loại đặc biệt", "hộp quà Tết", "chai 500ml", "chai 1 lít", "túi 200g", "túi 500g",
    "hũ thủy tinh 300g", "gói 100g", "bao 5kg", "hộp giấy 250g", "thùng 12 chai",
    "bản giới hạn", "hương vị truyền thống", "ít đường", "nguyên chất", "sấy khô",
    "đóng hộp", "phiên bản du lịch", "mẫu mới 2026", "quà biếu cao cấp", "cỡ lớn",
    "cỡ nhỏ", "vị cay", "không chất bảo quản", "xuất khẩu", "đặc sản xứ Thanh",
]


def build_catalogue(session, total: int) -> dict[str, str]:
    """Seed the demo, then add demo-name variants until ``total`` active products exist.

    Returns sample look-ups (a barcode and an OCOP code of the added products).
    """
    seed_demo(session, booth_code="COOP-01", hash_method="pbkdf2:sha256:1000")
    session.commit()
    demo = list(session.scalars(select(Product).order_by(Product.id)))
    have = session.scalar(select(func.count()).select_from(Product))
    rows = []
    n = 0
    while have + len(rows) < total:
        base = demo[n % len(demo)]
        variant = VARIANTS[(n // len(demo)) % len(VARIANTS)]
        series = n // (len(demo) * len(VARIANTS))
        name = f"{base.name} {variant}" + (f" lô {series + 1}" if series else "")
        rows.append({"code": f"OCOP-TH-B{n:05d}", "name": name, "name_folded": fold(name),
                     "producer_id": base.producer_id, "category": base.category,
                     "unit": base.unit, "stars": base.stars,
                     "certified_year": base.certified_year,
                     "price": base.price + 5_000 * (n % 7), "vat_rate": base.vat_rate,
                     "active": True, "origin_url": base.origin_url})
        n += 1
    for start in range(0, len(rows), 2000):
        session.execute(insert(Product), rows[start:start + 2000])
    session.commit()
    added = session.execute(select(Product.id).where(Product.code.like("OCOP-TH-B%"))
                            .order_by(Product.id)).scalars().all()
    barcodes = [{"code": make_instore_code(1_000_000 + pid), "kind": "instore",
                 "product_id": pid} for pid in added]
    for start in range(0, len(barcodes), 2000):
        session.execute(insert(Barcode), barcodes[start:start + 2000])
    session.commit()
    middle = len(added) // 2
    return {"barcode": barcodes[middle]["code"] if barcodes else demo[0].barcodes[0].code,
            "code": f"OCOP-TH-B{middle:05d}" if rows else demo[0].code}


def timed(call: Callable[[], object], runs: int, reset: Callable[[], None]) -> list[float]:
    """``runs`` timings in ms after one warm-up; ``reset`` runs untimed before each."""
    reset()
    call()
    times = []
    for _ in range(runs):
        reset()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def bench(label: str, database_url: str, *, total: int, runs: int) -> float:
    """Build the catalogue in ``database_url`` and print the figures; returns the median
    of all search_products timings, in ms."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Config(OCOP_INSTANCE=tmp, OCOP_ROLE="booth", OCOP_BOOTH="COOP-01",
                                SECRET_KEY="bench", DATABASE_URL=database_url))
        with app.app_context():
            session = db.session
            db.create_all()
            started = time.perf_counter()
            samples = build_catalogue(session, total)
            count = session.scalar(select(func.count()).select_from(Product))
            print(f"\n{label}: {count} products built in {time.perf_counter() - started:.1f} s")
            cashier = session.scalar(select(User).where(User.username == "thungan.coop-01"))
            token = create_token(session, user=cashier)[1]
            session.commit()
            queries = ["nuoc mam", "mat ong", "banh gai", "tra", "nem chua", "dong trung",
                       "Nước Mắm Ba Làng", samples["barcode"], samples["code"],
                       "khong co hang nay"]  # the last one: no hit, the whole table is read
            print(f"  {'query':<20} {'hits':>5} {'median':>9} {'p95':>9}   "
                  f"{'API median':>10} {'API p95':>9}")
            medians = []
            everything = []
            client = app.test_client()
            headers = {"Authorization": f"Bearer {token}"}
            for query in queries:
                hits = len(services.search_products(session, query=query, limit=20))
                times = timed(lambda q=query: services.search_products(
                    db.session, query=q, limit=20), runs, db.session.remove)
                url = f"/api/v1/products?q={quote(query)}&limit={CASHIER_LIMIT}"
                assert client.get(url, headers=headers).status_code == 200
                api = timed(lambda u=url: client.get(u, headers=headers), runs, lambda: None)
                medians.append(statistics.median(times))
                everything += times
                print(f"  {query:<20} {hits:>5} {statistics.median(times):>7.1f}ms "
                      f"{p95(times):>7.1f}ms   {statistics.median(api):>8.1f}ms "
                      f"{p95(api):>7.1f}ms")
            overall = statistics.median(everything)
            print(f"  all search_products calls: median {overall:.1f} ms, "
                  f"p95 {p95(everything):.1f} ms")
            db.session.remove()
            db.engine.dispose()
    return overall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = bench("SQLite", f"sqlite:///{tmp}/bench.db", total=args.products,
                       runs=args.runs)
    server = os.environ.get("OCOP_TEST_POSTGRES_URL")
    if server:
        with temporary_database(server, prefix="ocop_bench") as url:
            bench("PostgreSQL", url, total=args.products, runs=args.runs)
    else:
        print("\nPostgreSQL: skipped (set OCOP_TEST_POSTGRES_URL to include it)")
    if sqlite > 20:
        print(f"\nSQLite median {sqlite:.1f} ms is above the 20 ms budget.")


if __name__ == "__main__":
    main()
