"""The daily summaries central keeps while ingesting (``sales_daily`` per business day,
booth and product; ``sales_daily_booth`` per business day and booth) equal the sale rows it
holds, recomputed here in plain Python over plain SELECTs: through sales, refunds, voids
arriving in a later batch, a booth's events arriving days late, and the migration's
backfill."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from flask_migrate import downgrade, stamp, upgrade
from sqlalchemy import text

from core.extensions import db
from pos import MIGRATIONS_DIR, counter
from pos.counter import BUSINESS_TZ
from pos.counter_models import Sale
from tests.central.test_reports import (
    FIGURES,
    business_today,
    expected_sales,
    get,
    raw_rows,
    till_clock,
)
from tests.sync.conftest import (
    booth_row,
    close_shift,
    open_shift,
    refund,
    sell,
    staff,
    stocked_products,
)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def recomputed(app) -> tuple[dict, dict]:
    """Both summaries rebuilt line by line from central's raw rows (no SQL grouping)."""
    with app.app_context():
        q = db.session.execute
        days = {r.id: _day(r.business_day) for r in q(text("SELECT id, business_day FROM shift"))}
        sales = {r.id: r for r in q(text(
            "SELECT id, kind, status, booth_id, shift_id FROM sale"))}
        lines = list(q(text("SELECT sale_id, product_id, qty, amount FROM sale_line")))
    per_product: dict = defaultdict(lambda: [0, 0, set(), 0, 0])
    per_booth: dict = defaultdict(lambda: [0, 0])
    for sale in sales.values():
        if sale.status == "completed":
            per_booth[(days[sale.shift_id], sale.booth_id)][sale.kind == "refund"] += 1
    for line in lines:
        sale = sales[line.sale_id]
        if sale.status != "completed":
            continue
        row = per_product[(days[sale.shift_id], sale.booth_id, line.product_id)]
        if sale.kind == "sale":
            row[0] += line.qty
            row[1] += line.amount
            row[2].add(sale.id)
        else:
            row[0] -= line.qty
            row[1] -= line.amount
            row[3] += line.qty
            row[4] += line.amount
    return ({k: (v[0], v[1], len(v[2]), v[3], v[4]) for k, v in per_product.items()},
            dict(per_booth.items()))


def monthly(app) -> tuple[dict, dict]:
    """``sales_monthly``, and the daily rows as recomputed, added up per month."""
    per_product, _per_booth = recomputed(app)
    want: dict = defaultdict(lambda: [0] * 5)
    for (day, booth, product), figures in per_product.items():
        row = want[(day.replace(day=1), booth, product)]
        for i, value in enumerate(figures):
            row[i] += value
    with app.app_context():
        got = {(_day(r[0]), r[1], r[2]): tuple(r[3:]) for r in db.session.execute(text(
            "SELECT month, booth_id, product_id, qty, amount, receipts, refund_qty, "
            "refund_amount FROM sales_monthly"))}
    return {k: v for k, v in got.items() if any(v)}, {k: tuple(v) for k, v in want.items()}


def summaries(app) -> tuple[dict, dict]:
    """What the summaries hold (rows a whole void left at zero are nothing)."""
    with app.app_context():
        q = db.session.execute
        per_product = {(_day(r[0]), r[1], r[2]): tuple(r[3:]) for r in q(text(
            "SELECT business_day, booth_id, product_id, qty, amount, receipts, refund_qty, "
            "refund_amount FROM sales_daily"))}
        per_booth = {(_day(r[0]), r[1]): [r[2], r[3]] for r in q(text(
            "SELECT business_day, booth_id, receipts, refund_receipts FROM sales_daily_booth"))}
    return ({k: v for k, v in per_product.items() if any(v)},
            {k: v for k, v in per_booth.items() if any(v)})


def test_the_summary_follows_sales_refunds_and_voids(pair):
    open_shift(pair.booth)
    a, b, c = stocked_products(pair.booth)
    first = sell(pair.booth, [(a, 2), (b, 1), (a, 1)])  # a twice on one receipt: one receipt
    voided = sell(pair.booth, [(c, 4)])
    client = pair.client()
    client.sync_once()  # the void and the refund arrive in a later batch than their sale
    refund(pair.booth, first["id"], [(a, 1)])
    with pair.booth.app_context():
        counter.void_sale(db.session, booth=booth_row(), actor=staff("manager"),
                          sale=db.session.get(Sale, voided["id"]), reason="Bấm nhầm")
        db.session.commit()
    sell(pair.booth, [(b, 2)], method="card")
    client.sync_once()

    per_product, per_booth = summaries(pair.central)
    assert (per_product, per_booth) == recomputed(pair.central)
    # not vacuous: the refund, the double line and the void are all in the figures
    today = business_today()
    with pair.central.app_context():
        booth_id = booth_row().id
    assert per_booth == {(today, booth_id): [2, 1]}
    assert per_product[(today, booth_id, a)][2:] == (1, 1, first["lines"][0]["unit_price"])
    assert {key[2] for key in per_product} == {a, b}


def test_a_booths_events_arriving_days_late_land_on_their_business_day(pair):
    """The office reads yesterday's report; then the rest of yesterday's sales and a
    refund, held at a booth that was offline, arrive: yesterday's figures change, today's
    do not, and both still equal the raw rows."""
    yesterday = business_today() - timedelta(days=1)
    a, b, _c = stocked_products(pair.booth)
    client = pair.client()
    with till_clock(datetime.combine(yesterday, time(9), BUSINESS_TZ).astimezone(UTC)):
        open_shift(pair.booth)
        early = sell(pair.booth, [(a, 1), (b, 1)])
    client.sync_once()
    params = {"by": "day", "from": yesterday.isoformat(), "to": yesterday.isoformat()}
    before = get(pair.central, "/api/v1/reports/sales", **params).get_json()
    assert before["totals"]["takings"] == early["total"]
    assert before["totals"]["receipts"] == 1

    with till_clock(datetime.combine(yesterday, time(20), BUSINESS_TZ).astimezone(UTC)):
        late = sell(pair.booth, [(b, 3)], method="transfer")
        back = refund(pair.booth, early["id"], [(a, 1)])
    client.sync_once()  # a day later

    after = get(pair.central, "/api/v1/reports/sales", **params).get_json()
    assert after["totals"]["takings"] == early["total"] + late["total"] - back["total"]
    assert after["totals"]["receipts"] == 2
    assert after["totals"]["refunds"] == back["total"]
    assert summaries(pair.central) == recomputed(pair.central)
    got, want = monthly(pair.central)
    assert got == want
    today = get(pair.central, "/api/v1/reports/sales", by="day").get_json()
    assert [row["key"] for row in today["rows"]] == [yesterday.isoformat()]


def test_the_migration_backfills_the_summaries_from_the_rows_held(pair):
    """Upgrading a central that already holds sales rebuilds both summaries from the raw
    rows, equal to what the ingest keeps."""
    open_shift(pair.booth)
    a, b, c = stocked_products(pair.booth)
    first = sell(pair.booth, [(a, 2), (b, 1)])
    voided = sell(pair.booth, [(c, 1), (a, 1)])
    refund(pair.booth, first["id"], [(b, 1)])
    with pair.booth.app_context():
        counter.void_sale(db.session, booth=booth_row(), actor=staff("manager"),
                          sale=db.session.get(Sale, voided["id"]), reason="Bấm nhầm")
        db.session.commit()
    pair.client().sync_once()
    kept = summaries(pair.central)
    assert kept == recomputed(pair.central) and kept[0]

    with pair.central.app_context():
        stamp(directory=MIGRATIONS_DIR)  # the test schema is made by create_all, at head
        downgrade(directory=MIGRATIONS_DIR, revision="0006")
        db.session.execute(text("DELETE FROM sales_daily"))  # as if never kept
        db.session.commit()
        upgrade(directory=MIGRATIONS_DIR)
        db.session.remove()
        db.engine.dispose()
    assert summaries(pair.central) == kept
    got, want = monthly(pair.central)
    assert got == want and got


def test_reports_over_whole_months_and_odd_days_match_the_raw_rows(pair):
    """A range of whole months and odd days at both ends: the months come from the
    monthly summary, the odd days from the daily one; every figure by every grouping still
    equals the raw rows, and a range inside one month too."""
    today = business_today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    a, b, c = stocked_products(pair.booth)
    days = (last_month - timedelta(days=2), last_month, last_month + timedelta(days=9))
    for n, day in enumerate(days):
        with till_clock(datetime.combine(day, time(9), BUSINESS_TZ).astimezone(UTC)):
            shift = open_shift(pair.booth)
            first = sell(pair.booth, [(a, n + 1), (b, 1)])
            sell(pair.booth, [(c, 2)], method="transfer")
            refund(pair.booth, first["id"], [(b, 1)])
            close_shift(pair.booth, shift)
    open_shift(pair.booth)
    sell(pair.booth, [(a, 1), (c, 1)])
    pair.client().sync_once()
    got, want = monthly(pair.central)
    assert got == want and len({key[0] for key in got}) >= 2

    raw = raw_rows(pair.central)
    ranges = [(days[0] - timedelta(days=1), today), (last_month, today),
              (days[1], days[2]), (days[0], days[0])]
    for start, end in ranges:
        for by in ("day", "week", "month", "venue", "booth", "product", "producer",
                   "category", "stars", "district"):
            body = get(pair.central, "/api/v1/reports/sales", by=by, **{
                "from": start.isoformat(), "to": end.isoformat()}).get_json()
            assert {row["key"]: {f: row[f] for f in FIGURES} for row in body["rows"]} == \
                expected_sales(raw, by, start, end), (start, end, by)
        ocop = get(pair.central, "/api/v1/reports/ocop", **{
            "from": start.isoformat(), "to": end.isoformat()}).get_json()
        sold = expected_sales(raw, "product", start, end)
        assert sum(row["takings"] for row in ocop["rows"]) == sum(
            r["takings"] for r in sold.values())
        assert sum(row["products_sold"] for row in ocop["rows"]) == sum(
            1 for r in sold.values() if r["quantity"] > 0)
