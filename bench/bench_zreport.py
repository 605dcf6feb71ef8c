"""How long the X/Z report and closing take for a busy shift.

Usage: ``python bench/bench_zreport.py [--sales 2000]``. Builds a throw-away SQLite
booth with the demo data, rings up the sales through ``pos.counter.complete_sale`` (mixed
methods, some discounted, a few voided and refunded), then times ``shift_report`` and
``close_shift``. The report is a handful of aggregate queries, so it should stay in the
milliseconds however many sales the shift holds.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from core.config import Config  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Booth, User  # noqa: E402
from inventory.models import Product, StockLevel  # noqa: E402
from pos import counter, create_app  # noqa: E402
from pos.demo import seed_demo  # noqa: E402


def ring_up(session, *, booth, cashier, products, count: int, rng) -> list:
    """``count`` sales on the cashier's open shift; every 10th has a discount, which the
    cashier (a manager) approves by role."""
    sales = []
    for i in range(count):
        picked = rng.sample(products, k=rng.randint(1, 4))
        lines = [counter.LineInput(product_id=p.id, qty=rng.randint(1, 3)) for p in picked]
        discount = 5_000 if i % 10 == 0 else None
        total = sum(p.price * line.qty for p, line in zip(picked, lines, strict=True))
        total -= discount or 0
        method = rng.choice(("cash", "cash", "transfer", "card"))
        tendered = -(-total // 50_000) * 50_000 if method == "cash" else None
        payments = [counter.PaymentInput(method=method, amount=total, tendered=tendered)]
        sale, _ = counter.complete_sale(session, booth=booth, cashier=cashier, sale_id=None,
                                        lines=lines, payments=payments, discount=discount)
        sales.append(sale)
        if i % 100 == 99:
            session.commit()
    session.commit()
    return sales


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Config(OCOP_INSTANCE=tmp, OCOP_ROLE="booth", OCOP_BOOTH="COOP-01",
                                SECRET_KEY="bench", DATABASE_URL=f"sqlite:///{tmp}/bench.db"))
        with app.app_context():
            session = db.session
            db.create_all()
            seed_demo(session, booth_code="COOP-01", hash_method="pbkdf2:sha256:1000")
            session.commit()
            booth = session.scalar(select(Booth).where(Booth.code == "COOP-01"))
            # A manager works the till, so discounts are approved by their own role.
            cashier = session.scalar(select(User).where(User.username == "quanly.coop-01"))
            manager = cashier
            products = list(session.scalars(
                select(Product).join(StockLevel, StockLevel.product_id == Product.id)
                .where(StockLevel.booth_id == booth.id)))
            shift = counter.open_shift(session, booth=booth, cashier=cashier,
                                       opening_float=2_000_000)
            session.commit()

            started = time.perf_counter()
            sales = ring_up(session, booth=booth, cashier=cashier, products=products,
                            count=args.sales, rng=rng)
            ringing = time.perf_counter() - started
            for sale in sales[:20]:
                counter.void_sale(session, booth=booth, actor=manager, sale=sale,
                                  reason="bench")
            for sale in sales[20:40]:
                line = sale.lines[0]
                counter.refund_sale(session, booth=booth, actor=manager, original=sale,
                                    refund_id=None, lines=[(line.product_id, 1)],
                                    reason="bench", method="cash")
            session.commit()

            started = time.perf_counter()
            report = counter.shift_report(session, shift=shift)
            x_time = time.perf_counter() - started
            session.commit()

            started = time.perf_counter()
            z = counter.close_shift(session, booth=booth, shift=shift, actor=manager,
                                    counted_cash=report["expected_cash"])
            session.commit()
            close_time = time.perf_counter() - started
            db.engine.dispose()

    print(f"sales rung up:        {args.sales} in {ringing:.1f} s "
          f"({ringing / args.sales * 1000:.1f} ms each)")
    net = f"{z['net_total']:,}".replace(",", ".")
    print(f"sales/voids/refunds:  {z['sales']['count']}/{z['voids']['count']}/"
          f"{z['refunds']['count']}, net {net} đồng")
    print(f"X-report (shift_report): {x_time * 1000:.1f} ms")
    print(f"close_shift (Z-report):  {close_time * 1000:.1f} ms")


if __name__ == "__main__":
    main()
