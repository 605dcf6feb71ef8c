"""What one sale costs to commit at the booth, next to SQLite's own floor.

Usage: ``python bench/bench_sale_commit.py [--sales 300]``. On a throw-away booth (the
demo's COOP-01, SQLite in WAL with synchronous=FULL as served) it times
``pos.counter.complete_sale`` + commit for a 3-line cash sale — lines, payment, stock
moves, audit, outbox event, print job and the sync watermark written after the commit —
against the floor measured in the same run: raw ``sqlite3``, 10 inserts in one
transaction on a file with the same pragmas. Prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from inventory.models import Product, StockLevel  # noqa: E402
from pos import counter, create_app  # noqa: E402
from pos.config import Config  # noqa: E402
from pos.demo import seed_demo  # noqa: E402
from pos.extensions import db  # noqa: E402
from pos.models import Booth, User  # noqa: E402

HASH = "pbkdf2:sha256:1000"


def floor_ms(folder: Path, runs: int) -> float:
    conn = sqlite3.connect(folder / "floor.sqlite3", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER)")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for i in range(10):
            conn.execute("INSERT INTO t (a, b) VALUES (?, ?)", ("dòng hàng", i))
        conn.execute("COMMIT")
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = create_app(Config(OCOP_INSTANCE=str(folder), OCOP_ROLE="booth",
                                OCOP_BOOTH="COOP-01", SECRET_KEY="bench",
                                PASSWORD_HASH_METHOD=HASH))
        with app.app_context():
            db.create_all()
            seed_demo(db.session, booth_code="COOP-01", hash_method=HASH)
            db.session.commit()
            booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
            cashier = db.session.scalar(select(User).where(User.username == "thungan.coop-01"))
            counter.open_shift(db.session, booth=booth, cashier=cashier, opening_float=0)
            booth_id, cashier_id = booth.id, cashier.id
            db.session.commit()
            products = db.session.execute(select(Product.id, Product.price).join(
                StockLevel, StockLevel.product_id == Product.id).limit(3)).all()
            times = []
            for _ in range(args.sales):
                start = time.perf_counter()
                counter.complete_sale(
                    db.session, booth=db.session.get(Booth, booth_id),
                    cashier=db.session.get(User, cashier_id), sale_id=None,
                    lines=[counter.LineInput(qty=1, product_id=pid) for pid, _ in products],
                    payments=[counter.PaymentInput(method="cash",
                                                   amount=sum(p for _, p in products))])
                db.session.commit()
                times.append((time.perf_counter() - start) * 1000)
                db.session.remove()
        ours = statistics.median(times)
        floor = floor_ms(folder, args.sales)
    print(f"3-line cash sale committed, median of {args.sales}:")
    print(f"  floor: raw sqlite3, 10 inserts, one transaction   {floor:7.2f} ms")
    print(f"  complete_sale + commit (service, no HTTP)         {ours:7.2f} ms"
          f"   ratio {ours / floor:.1f}×")


if __name__ == "__main__":
    main()
