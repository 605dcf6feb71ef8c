"""A year of the province's traffic at central, on PostgreSQL: how the office's queries
grow from one month to twelve.

Usage: ``OCOP_TEST_POSTGRES_URL=postgresql://USER@HOST/DB python bench/bench_central_scale.py
[--days 365] [--sales-per-shift 150]``. Makes a throw-away database with the demo
catalogue and registry, then generates, day by day, 33 booths × 2 shifts × 150 sales (≈ 300
sales a booth a day, 2–3 lines each, cash or VietQR transfer) with everything central holds
for them after sync: shifts, sales, lines, payments, the events with their shift, each
shift's reported Z-report and manifest, and the summaries the ingest keeps (per day or month
and product, with refunds; receipts per booth and day). About 1 cash sale in 33 has a line
refunded the same day. Rows go in with COPY (the generator is not what is measured). At 1
month and at the end it times, each as the office's code runs it (``central.reports``,
``central.reconciliation``):

* the reconciliation of one day (goal < 200 ms);
* the sales report over the whole period by district (goal < 1 s), by month, booth,
  product, week and day, and by district from mid-month to mid-month; top sellers; the
  OCOP view; sell-through per booth over 30 days;
* the same by-district figures from the raw sale lines, to show what the summary saves;
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
from central.reports import ocop_view, sales_report, stock_cover, top_products  # noqa: E402
from core.config import Config  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Booth, User  # noqa: E402
from inventory.models import Product  # noqa: E402
from pos import create_app  # noqa: E402
from pos.demo import seed_demo  # noqa: E402
from tests.postgres import temporary_database  # noqa: E402

DISTRICT_FROM_SUMMARY = text("""
    SELECT pr.district, sum(d.qty), sum(d.amount) FROM sales_daily d
    JOIN product p ON p.id = d.product_id JOIN producer pr ON pr.id = p.producer_id
    WHERE d.business_day BETWEEN :start AND :end GROUP BY pr.district ORDER BY 3 DESC""")
DISTRICT_FROM_LINES = text("""
    SELECT pr.district, sum(CASE WHEN s.kind = 'sale' THEN l.qty ELSE -l.qty END),
           sum(CASE WHEN s.kind = 'sale' THEN l.amount ELSE -l.amount END) FROM sale_line l
    JOIN sale s ON s.id = l.sale_id JOIN shift sh ON sh.id = s.shift_id
    JOIN product p ON p.id = l.product_id JOIN producer pr ON pr.id = p.producer_id
    WHERE s.status = 'completed'
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
        # The month's sales_monthly rows, written with COPY once the month is over (the
        # ingest upserts them as it goes; COPY cannot).
        self.month: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * 5)

    def day(self, day: date) -> int:
        rows = defaultdict(list)
        daily = defaultdict(lambda: [0, 0, 0, 0, 0])  # qty, amount, receipts, refunded
        rng = self.rng
        receipts, refunds = defaultdict(int), defaultdict(int)
        base = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
        for booth_id, code in self.booths.items():
            cashier = self.cashiers[booth_id]
            for half in range(2):
                shift_id = str(uuid.uuid4())
                opened = base + timedelta(hours=6 * half)
                net, by_method, count = 0, {"cash": 0, "transfer": 0, "card": 0}, 0
                refunds_before = refunds[booth_id]
                self._event(rows, booth_id, shift_id, "shift_opened", opened)
                for n in range(self.sales_per_shift):
                    self.sale_seq[booth_id] += 1
                    seq = self.sale_seq[booth_id]
                    sale_id = str(uuid.uuid4())
                    at = opened + timedelta(seconds=n * 130)
                    total, sold = 0, []
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
                        sold.append((pid, name, qty, price, vat))
                    for pid in {line[0] for line in sold}:
                        daily[(booth_id, pid)][2] += 1
                    method = "transfer" if rng.random() < 0.3 else "cash"
                    rows["sale"].append((sale_id, booth_id, seq, f"{code}-{seq:06d}", shift_id,
                                         cashier, at, "completed", "sale", total, 0, 0, "", "",
                                         "x" * 64, None))
                    receipts[booth_id] += 1
                    rows["payment"].append((sale_id, 0, method, total,
                                            total if method == "cash" else None,
                                            "" if method == "cash" else f"OCOP{seq:08d}"))
                    self._event(rows, booth_id, shift_id, "sale_completed", at)
                    net += total
                    by_method[method] += total
                    count += 1
                    if method == "cash" and rng.random() < 0.03:  # a line handed back
                        pid, name, qty, price, vat = sold[0]
                        self.sale_seq[booth_id] += 1
                        rseq = self.sale_seq[booth_id]
                        refund_id = str(uuid.uuid4())
                        rows["sale"].append((refund_id, booth_id, rseq, f"{code}-{rseq:06d}",
                                             shift_id, cashier, at + timedelta(seconds=60),
                                             "completed", "refund", qty * price, 0, 0,
                                             "Khách đổi ý", "", "x" * 64, sale_id))
                        rows["sale_line"].append((refund_id, 0, pid, "", name, qty, price,
                                                  price, 0, qty * price, vat))
                        rows["payment"].append((refund_id, 0, "cash", qty * price, None, ""))
                        self._event(rows, booth_id, shift_id, "sale_refunded", at)
                        entry = daily[(booth_id, pid)]
                        entry[0] -= qty
                        entry[1] -= qty * price
                        entry[3] += qty
                        entry[4] += qty * price
                        net -= qty * price
                        by_method["cash"] -= qty * price
                        refunds[booth_id] += 1
                closed = opened + timedelta(hours=6)
                shift_refunds = refunds[booth_id] - refunds_before
                expected = 500_000 + by_method["cash"]
                self._event(rows, booth_id, shift_id, "shift_closed", closed)
                rows["shift"].append((shift_id, booth_id, cashier, "closed", opened, closed, day,
                                      500_000, expected, expected, 0, ""))
                report = {"net_total": net, "totals_by_method": by_method,
                          "expected_cash": expected, "counted_cash": expected,
                          "difference": 0, "note": ""}
                manifest = {"count_by_type": {"shift_opened": 1, "sale_completed": count,
                                              "sale_refunded": shift_refunds,
                                              "shift_closed": 1}}
                rows["shift_report"].append((shift_id, booth_id, day, "", Jsonb(report),
                                             Jsonb(manifest), closed))
        for (booth_id, pid), (qty, amount, n, refund_qty, refund_amount) in daily.items():
            rows["sales_daily"].append((day, booth_id, pid, qty, amount, n, refund_qty,
                                        refund_amount))
            month = self.month[(booth_id, pid)]
            for i, value in enumerate((qty, amount, n, refund_qty, refund_amount)):
                month[i] += value
        if (day + timedelta(days=1)).day == 1:
            self.flush_month(day, rows)
        for booth_id in self.booths:
            rows["sales_daily_booth"].append((day, booth_id, receipts[booth_id],
                                              refunds[booth_id]))
        self._copy(rows)
        return len(rows["sale"])

    def flush_month(self, day: date, rows=None) -> None:
        """Write the month of ``day`` to ``sales_monthly`` (with ``rows``, or now)."""
        target = rows if rows is not None else defaultdict(list)
        for (booth_id, pid), figures in self.month.items():
            target["sales_monthly"].append((day.replace(day=1), booth_id, pid, *figures))
        self.month.clear()
        if rows is None:
            self._copy(target)

    def _event(self, rows, booth_id, shift_id, kind, at):
        self.event_seq[booth_id] += 1
        rows["ingested_event"].append((str(uuid.uuid4()), booth_id, self.epochs[booth_id],
                                       self.event_seq[booth_id], kind, "x" * 64, at, at,
                                       Jsonb({}), "applied", shift_id, ""))

    COLUMNS = {
        "shift": "id, booth_id, cashier_id, status, opened_at, closed_at, business_day, "
                 "opening_float, counted_cash, expected_cash, difference, note",
        "sale": "id, booth_id, seq, number, shift_id, cashier_id, created_at, status, kind, "
                "total, discount_total, change, reason, void_reason, request_hash, "
                "refund_of_id",
        "sale_line": "sale_id, position, product_id, barcode, name, qty, unit_price, "
                     "catalog_price, discount, amount, vat_rate",
        "payment": "sale_id, position, method, amount, tendered, reference",
        "ingested_event": "id, booth_id, epoch, seq, type, hash, occurred_at, received_at, "
                          "payload, status, shift_id, problem",
        "shift_report": "shift_id, booth_id, business_day, closed_by, report, manifest, "
                        "received_at",
        "sales_daily": "business_day, booth_id, product_id, qty, amount, receipts, "
                       "refund_qty, refund_amount",
        "sales_daily_booth": "business_day, booth_id, receipts, refund_receipts",
        "sales_monthly": "month, booth_id, product_id, qty, amount, receipts, refund_qty, "
                         "refund_amount",
    }

    def _copy(self, rows):
        with self.conn.cursor() as cur:
            for table in ("shift", "sale", "sale_line", "payment", "ingested_event",
                          "shift_report", "sales_daily", "sales_daily_booth",
                          "sales_monthly"):
                with cur.copy(f'COPY {table} ({self.COLUMNS[table]}) FROM STDIN') as copy:
                    for row in rows[table]:
                        copy.write_row(row)
        self.conn.commit()


def measure(app, conn, *, first: date, last: date, label: str) -> None:
    middle = first + (last - first) // 2
    whole = {"start": first, "end": last}
    with app.test_request_context():
        session = db.session
        session.execute(text("ANALYZE"))
        session.commit()

        def timed(fn, runs=5):
            return median_ms(lambda: (fn(), session.rollback()), runs)

        figures = [
            ("floor (SELECT 1)", timed(lambda: session.execute(text("SELECT 1")).scalar()), ""),
            ("reconciliation of one day", timed(lambda: reconcile_day(session, day=middle)),
             "goal < 200 ms"),
        ]
        for by in ("district", "month", "booth", "product", "week", "day"):
            figures.append((f"sales report by {by}", timed(lambda by=by: sales_report(
                session, start=first, end=last, by=by)),
                "goal < 1000 ms" if by == "district" else ""))
        # Odd days at both ends: the whole months between from the monthly summary.
        odd = (first + timedelta(days=14), last - timedelta(days=16))
        figures.append(("sales report by district, mid-month ends", timed(
            lambda: sales_report(session, start=odd[0], end=odd[1], by="district")), ""))
        figures += [
            ("top 10 sellers", timed(lambda: top_products(
                session, start=first, end=last, limit=10, order="top")), ""),
            ("OCOP view (stars × district)", timed(lambda: ocop_view(
                session, start=first, end=last)), ""),
            ("sell-through per booth, 30 days", timed(lambda: stock_cover(
                session, as_of=last)), ""),
            ("by district, bare SQL on the summary", timed(lambda: session.execute(
                DISTRICT_FROM_SUMMARY, whole).all()), ""),
            ("by district, raw sale lines (before)", timed(lambda: session.execute(
                DISTRICT_FROM_LINES, whole).all(), runs=3), "what the summary saves"),
        ]
        by_district = sales_report(session, start=first, end=last, by="district")
        from_lines = {district: int(amount) for district, _qty, amount in session.execute(
            DISTRICT_FROM_LINES, whole)}
        same = {r["key"]: r["takings"] for r in by_district["rows"]} == from_lines
        sales = session.scalar(text("SELECT count(*) FROM sale"))
        lines = session.scalar(text("SELECT count(*) FROM sale_line"))
        summary = session.scalar(text("SELECT count(*) FROM sales_daily"))
        months = session.scalar(text("SELECT count(*) FROM sales_monthly"))
        session.rollback()
    print(f"\n{label}: {sales:,} sales, {lines:,} lines, {summary:,} daily and {months:,} "
          f"monthly summary rows ({first} … {last})")
    for name, ms, note in figures:
        print(f"  {name:<40} {ms:9.1f} ms   {note}")
    print(f"  the report by district equals the raw sale lines: {'yes' if same else 'NO'}")


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
            last = first + timedelta(days=args.days - 1)
            if generator.month:
                generator.flush_month(last)
            print(f"generated {args.days} days in {time.perf_counter() - started:.0f} s")
            if args.days != 30:
                measure(app, conn, first=first, last=first + timedelta(days=args.days - 1),
                        label=f"{args.days} days")


if __name__ == "__main__":
    main()
