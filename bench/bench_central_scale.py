"""A year of the province's traffic at central, on PostgreSQL: how the office's queries
grow from one month to twelve.

Usage: ``OCOP_TEST_POSTGRES_URL=postgresql://USER@HOST/DB python bench/bench_central_scale.py
[--days 365] [--sales-per-shift 150]``. Makes a throw-away database with the demo
catalogue and registry, then generates, day by day, 33 booths × 2 shifts × 150 sales (≈ 300
sales a booth a day, 2–3 lines each, cash or VietQR transfer) with everything central holds
for them after sync: shifts, sales, lines, payments, the events with their shift, each
shift's reported Z-report and manifest, and the daily sales summary the ingest keeps. Rows go
in with COPY (the generator is not what is measured). At 1 month and at the end it times:

* the reconciliation of one day (``central.reconciliation.reconcile_day``, goal < 200 ms);
* the year-to-date sales report by district, from the daily summary (goal < 1 s), and the
  same from the raw sale lines, to show what the summary saves;
* the floor: a trivial query on the same connection.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from central.reconciliation import reconcile_day  # noqa: E402
from inventory.models import Product  # noqa: E402
from pos import create_app  # noqa: E402
from pos.config import Config  # noqa: E402
from pos.demo import seed_demo  # noqa: E402
from pos.extensions import db  # noqa: E402
from pos.models import Booth, User  # noqa: E402
from tests.postgres import temporary_database  # noqa: E402

DISTRICT_FROM_SUMMARY = text("""
    SELECT pr.district, sum(d.qty), sum(d.amount) FROM sales_daily d
    JOIN product p ON p.id = d.product_id JOIN producer pr ON pr.id = p.producer_id
    WHERE d.business_day BETWEEN :start AND :end GROUP BY pr.district ORDER BY 3 DESC""")
DISTRICT_FROM_LINES = text("""
    SELECT pr.district, sum(l.qty), sum(l.amount) FROM sale_line l
    JOIN sale s ON s.id = l.sale_id JOIN shift sh ON sh.id = s.shift_id
    JOIN product p ON p.id = l.product_id JOIN producer pr ON pr.id = p.producer_id
    WHERE s.status = 'completed' AND s.kind = 'sale'
      AND sh.business_day BETWEEN :start AND :end
    GROUP BY pr.district ORDER BY 3 DESC""")


def median_ms(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


class Generator:
    """Writes the rows of whole days with COPY; keeps per-booth receipt counters."""

    def __init__(self, conn, booths, cashiers, products, sales_per_shift, seed=2026):
        self.conn = conn
        self.booths = booths
        self.cashiers = cashiers
        self.products = products
        self.sales_per_shift = sales_per_shift
        self.rng = random.Random(seed)
        self.sale_seq = defaultdict(int)
        self.event_seq = defaultdict(int)
        self.epochs = {b: str(uuid.uuid4()) for b in booths}

    def day(self, day: date) -> int:
        rows = defaultdict(list)
        daily = defaultdict(lambda: [0, 0, 0])
        rng = self.rng
        base = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
        for booth_id, code in self.booths.items():
            cashier = self.cashiers[booth_id]
            for half in range(2):
                shift_id = str(uuid.uuid4())
                opened = base + timedelta(hours=6 * half)
                net, by_method, count = 0, {"cash": 0, "transfer": 0, "card": 0}, 0
                self._event(rows, booth_id, shift_id, "shift_opened", opened)
                for n in range(self.sales_per_shift):
                    self.sale_seq[booth_id] += 1
                    seq = self.sale_seq[booth_id]
                    sale_id = str(uuid.uuid4())
                    at = opened + timedelta(seconds=n * 130)
                    total = 0
                    for position in range(rng.choice((2, 2, 3))):
                        pid, price, vat, name = rng.choice(self.products)
                        qty = rng.choice((1, 1, 1, 2))
                        amount = qty * price
                        total += amount
                        rows["sale_line"].append((sale_id, position, pid, "", name, qty, price,
                                                  price, 0, amount, vat))
                        entry = daily[(booth_id, pid)]
                        entry[0] += qty
                        entry[1] += amount
                        entry[2] += 1
                    method = "transfer" if rng.random() < 0.3 else "cash"
                    rows["sale"].append((sale_id, booth_id, seq, f"{code}-{seq:06d}", shift_id,
                                         cashier, at, "completed", "sale", total, 0, 0, "", "",
                                         "x" * 64))
                    rows["payment"].append((sale_id, 0, method, total,
                                            total if method == "cash" else None,
                                            "" if method == "cash" else f"OCOP{seq:08d}"))
                    self._event(rows, booth_id, shift_id, "sale_completed", at)
                    net += total
                    by_method[method] += total
                    count += 1
                closed = opened + timedelta(hours=6)
                expected = 500_000 + by_method["cash"]
                self._event(rows, booth_id, shift_id, "shift_closed", closed)
                rows["shift"].append((shift_id, booth_id, cashier, "closed", opened, closed, day,
                                      500_000, expected, expected, 0, ""))
                report = {"net_total": net, "totals_by_method": by_method,
                          "expected_cash": expected, "counted_cash": expected,
                          "difference": 0, "note": ""}
                manifest = {"count_by_type": {"shift_opened": 1, "sale_completed": count,
                                              "shift_closed": 1}}
                rows["shift_report"].append((shift_id, booth_id, day, "", Jsonb(report),
                                             Jsonb(manifest), closed))
        for (booth_id, pid), (qty, amount, receipts) in daily.items():
            rows["sales_daily"].append((day, booth_id, pid, qty, amount, receipts))
        self._copy(rows)
        return len(rows["sale"])

    def _event(self, rows, booth_id, shift_id, kind, at):
        self.event_seq[booth_id] += 1
        rows["ingested_event"].append((str(uuid.uuid4()), booth_id, self.epochs[booth_id],
                                       self.event_seq[booth_id], kind, "x" * 64, at, at,
                                       Jsonb({}), "applied", shift_id, ""))

    COLUMNS = {
        "shift": "id, booth_id, cashier_id, status, opened_at, closed_at, business_day, "
                 "opening_float, counted_cash, expected_cash, difference, note",
        "sale": "id, booth_id, seq, number, shift_id, cashier_id, created_at, status, kind, "
                "total, discount_total, change, reason, void_reason, request_hash",
        "sale_line": "sale_id, position, product_id, barcode, name, qty, unit_price, "
                     "catalog_price, discount, amount, vat_rate",
        "payment": "sale_id, position, method, amount, tendered, reference",
        "ingested_event": "id, booth_id, epoch, seq, type, hash, occurred_at, received_at, "
                          "payload, status, shift_id, problem",
        "shift_report": "shift_id, booth_id, business_day, closed_by, report, manifest, "
                        "received_at",
        "sales_daily": "business_day, booth_id, product_id, qty, amount, receipts",
    }

    def _copy(self, rows):
        with self.conn.cursor() as cur:
            for table in ("shift", "sale", "sale_line", "payment", "ingested_event",
                          "shift_report", "sales_daily"):
                with cur.copy(f'COPY {table} ({self.COLUMNS[table]}) FROM STDIN') as copy:
                    for row in rows[table]:
                        copy.write_row(row)
        self.conn.commit()


def measure(app, conn, *, first: date, last: date, label: str) -> None:
    middle = first + (last - first) // 2
    with app.app_context():
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        floor = median_ms(lambda: db.session.execute(text("SELECT 1")).scalar())
        rec = median_ms(lambda: (reconcile_day(db.session, day=middle), db.session.rollback()))
        summary = median_ms(lambda: db.session.execute(
            DISTRICT_FROM_SUMMARY, {"start": first, "end": last}).all())
        raw = median_ms(lambda: db.session.execute(
            DISTRICT_FROM_LINES, {"start": first, "end": last}).all(), runs=3)
        sales = db.session.scalar(text("SELECT count(*) FROM sale"))
        lines = db.session.scalar(text("SELECT count(*) FROM sale_line"))
        db.session.rollback()
    print(f"\n{label}: {sales:,} sales, {lines:,} lines ({first} … {last})")
    print(f"  floor (SELECT 1)                          {floor:8.2f} ms")
    print(f"  reconciliation of one day                 {rec:8.1f} ms   goal < 200 ms")
    print(f"  sales by district, daily summary          {summary:8.1f} ms   goal < 1000 ms")
    print(f"  sales by district, raw sale lines         {raw:8.1f} ms   (what the summary saves)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sales-per-shift", type=int, default=150)
    args = parser.parse_args()
    server = os.environ.get("OCOP_TEST_POSTGRES_URL")
    if not server:
        sys.exit("Set OCOP_TEST_POSTGRES_URL to a PostgreSQL server (a database is made and "
                 "dropped).")
    with tempfile.TemporaryDirectory() as tmp, temporary_database(server) as url:
        app = create_app(Config(OCOP_INSTANCE=tmp, OCOP_ROLE="central", DATABASE_URL=url,
                                SECRET_KEY="bench", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000"))
        with app.app_context():
            db.create_all()
            seed_demo(db.session, hash_method="pbkdf2:sha256:1000")
            db.session.commit()
            booths = dict(db.session.execute(select(Booth.id, Booth.code).where(
                Booth.kind == "booth")).all())
            cashiers = {b: db.session.scalar(select(User.id).where(
                User.username == f"thungan.{code.lower()}")) for b, code in booths.items()}
            products = [tuple(r) for r in db.session.execute(select(
                Product.id, Product.price, Product.vat_rate, Product.name))]
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        first = date(2026, 1, 1)
        with psycopg.connect(plain) as conn:
            generator = Generator(conn, booths, cashiers, products, args.sales_per_shift)
            started = time.perf_counter()
            for n in range(args.days):
                generator.day(first + timedelta(days=n))
                if n + 1 == 30:
                    print(f"generated 30 days in {time.perf_counter() - started:.0f} s")
                    measure(app, conn, first=first, last=first + timedelta(days=29),
                            label="1 month")
            print(f"generated {args.days} days in {time.perf_counter() - started:.0f} s")
            if args.days > 30:
                measure(app, conn, first=first, last=first + timedelta(days=args.days - 1),
                        label=f"{args.days} days")


if __name__ == "__main__":
    main()
