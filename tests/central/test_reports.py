"""Sales reports at central: every figure checked against a recomputation in plain Python
over the raw rows central holds (read with plain SELECTs, no GROUP BY), after real sales
at a booth travelled through the real sync."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select, text

from central.charts import bar_chart, line_chart
from core.extensions import db
from core.models import User
from core.services import create_token
from core.types import utcnow
from pos import counter
from pos.counter import BUSINESS_TZ
from pos.counter_models import Sale
from pos.demo import DEMO_PASSWORD
from tests.sync.conftest import booth_row, make_central, refund, staff, stocked_products

SECOND = "thungan2.coop-01"


# --- acting at the booth -------------------------------------------------------------------


def add_cashier(pair, username: str = SECOND) -> None:
    """A second cashier, known to the booth and to central (sync names people by login)."""
    for app in (pair.booth, pair.central):
        with app.app_context():
            db.session.add(User(username=username, full_name="Lê Thị Hoa", role="cashier",
                                booth=booth_row(), password_hash="x"))
            db.session.commit()


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def open_shift_for(app, username: str) -> str:
    with app.app_context():
        shift = counter.open_shift(db.session, booth=booth_row(), cashier=_user(username),
                                   opening_float=200_000)
        db.session.commit()
        return shift.id


def ring(app, username: str, lines: list[tuple], *, discount: int = 0,
         method: str = "cash") -> dict:
    """A sale by ``username``; a line is (product, qty) or (product, qty, unit price). A
    price change or a discount carries the manager's approval, as at the till."""
    from inventory.models import Product

    with app.app_context():
        inputs, total = [], 0
        for line in lines:
            pid, qty, price = (line + (None,))[:3]
            inputs.append(counter.LineInput(qty=qty, product_id=pid, unit_price=price))
            total += qty * (price if price is not None else db.session.get(Product, pid).price)
        approval = None
        if discount or any(len(line) == 3 for line in lines):
            approval = counter.Approval(username="quanly.coop-01", password=DEMO_PASSWORD)
        sale, _created = counter.complete_sale(
            db.session, booth=booth_row(), cashier=_user(username), sale_id=None,
            lines=inputs, payments=[counter.PaymentInput(method=method, amount=total - discount)],
            discount=discount or None, approval=approval)
        db.session.commit()
        return counter.sale_to_json(sale)


def void(app, sale_id: str) -> None:
    with app.app_context():
        counter.void_sale(db.session, booth=booth_row(), actor=staff("manager"),
                          sale=db.session.get(Sale, sale_id), reason="Bấm nhầm")
        db.session.commit()


def business_today() -> date:
    return utcnow().astimezone(BUSINESS_TZ).date()


@contextmanager
def till_clock(when: datetime):
    """The booth's till believes it is ``when`` (its shifts, sales and refunds take it)."""
    import pos.counter

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pos.counter, "utcnow", lambda: when)
        yield


def scenario(pair) -> dict:
    """Two cashiers' shifts at COOP-01: sales, a discount, price overrides, voids and
    refunds; the second shift rung yesterday by the till's clock; synced, so central's
    rows and summaries come from the real ingest; two consignment intakes of the first
    product at central (the newer agreed price is its cost)."""
    yesterday = business_today() - timedelta(days=1)
    add_cashier(pair)
    a, b, c, d = stocked_products(pair.booth, 4)
    with pair.booth.app_context():
        from inventory.models import Product

        price = {pid: db.session.get(Product, pid).price for pid in (a, b, c, d)}
    first = open_shift_for(pair.booth, "thungan.coop-01")
    s1 = ring(pair.booth, "thungan.coop-01", [(a, 2), (b, 1)])
    ring(pair.booth, "thungan.coop-01", [(c, 3)], method="transfer")
    ring(pair.booth, "thungan.coop-01", [(a, 1), (d, 1)], discount=5_000)
    s4 = ring(pair.booth, "thungan.coop-01", [(b, 1)])
    void(pair.booth, s4["id"])
    refund(pair.booth, s1["id"], [(a, 1)])
    with till_clock(datetime.combine(yesterday, time(14), BUSINESS_TZ).astimezone(UTC)):
        second = open_shift_for(pair.booth, SECOND)
        ring(pair.booth, SECOND, [(a, 1, price[a] - 3_000)])
        t2 = ring(pair.booth, SECOND, [(d, 2)], method="card")
        t3 = ring(pair.booth, SECOND, [(c, 1)])
        t4 = ring(pair.booth, SECOND, [(b, 1)])
        void(pair.booth, t3["id"])
        void(pair.booth, t4["id"])
        ring(pair.booth, SECOND, [(c, 1, price[c] - 1_000), (b, 1)])
        refund(pair.booth, t2["id"], [(d, 1)])
    pair.client().sync_once()

    with pair.central.app_context():
        from inventory.models import ConsignmentIntake, ConsignmentLine, Product
        from inventory.warehouse import central_warehouse

        product = db.session.get(Product, a)
        warehouse = central_warehouse(db.session)
        now = utcnow()
        for n, (days_ago, agreed) in enumerate(((20, product.price // 2),
                                                (5, product.price * 6 // 10))):
            db.session.add(ConsignmentIntake(
                number=f"KG-TEST-{n}", producer_id=product.producer_id,
                warehouse_id=warehouse.id, received_at=now - timedelta(days=days_ago),
                lines=[ConsignmentLine(position=0, product_id=a, qty=10,
                                       agreed_price=agreed)]))
        db.session.commit()
    return {"products": (a, b, c, d), "first": first, "second": second,
            "yesterday": yesterday, "today": business_today()}


# --- reading central -----------------------------------------------------------------------


def office_token(app) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "vanphong"))
        token = create_token(db.session, user=user)[1]
        db.session.commit()
    return token


def get(app, path: str, **params):
    return app.test_client().get(path, query_string=params,
                                 headers={"Authorization": f"Bearer {office_token(app)}"})


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def raw_rows(app) -> dict:
    """Central's raw rows by plain SELECTs: no grouping, no sums, no joins beyond
    naming."""
    with app.app_context():
        q = db.session.execute
        sales = [dict(r._mapping) for r in q(text(
            "SELECT s.id, s.number, s.kind, s.status, s.cashier_id, s.refund_of_id, s.total, "
            "s.discount_total, s.booth_id, s.shift_id FROM sale s"))]
        shifts = {r.id: _day(r.business_day) for r in q(text(
            "SELECT id, business_day FROM shift"))}
        booths = {r.id: (r.code, r.venue_id, r.kind) for r in q(text(
            "SELECT id, code, venue_id, kind FROM booth"))}
        venues = {r.id: r.code for r in q(text("SELECT id, code FROM venue"))}
        lines = [dict(r._mapping) for r in q(text(
            "SELECT sale_id, product_id, qty, amount, unit_price, catalog_price "
            "FROM sale_line"))]
        products = {r.id: dict(r._mapping) for r in q(text(
            "SELECT id, code, name, active, category, stars, producer_id, price FROM product"))}
        districts = {r.id: r.district for r in q(text("SELECT id, district FROM producer"))}
        intakes = {r.id: r.received_at for r in q(text(
            "SELECT id, received_at FROM consignment_intake"))}
        consigned = [dict(r._mapping) for r in q(text(
            "SELECT id, intake_id, product_id, agreed_price FROM consignment_line"))]
        levels = [dict(r._mapping) for r in q(text(
            "SELECT booth_id, product_id, on_hand FROM stock_level"))]
        users = {r.id: r.username for r in q(text('SELECT id, username FROM "user"'))}
    for sale in sales:
        sale["day"] = shifts[sale["shift_id"]]
        sale["booth"], venue_id, _kind = booths[sale["booth_id"]]
        sale["venue"] = venues[venue_id]
    costs: dict[int, tuple] = {}
    for line in consigned:
        when = (str(intakes[line["intake_id"]]), line["id"])
        if line["product_id"] not in costs or when > costs[line["product_id"]][0]:
            costs[line["product_id"]] = (when, line["agreed_price"])
    return {"sales": {s["id"]: s for s in sales}, "lines": lines, "products": products,
            "districts": districts, "costs": {p: c for p, (_w, c) in costs.items()},
            "levels": levels, "booths": booths, "users": users}


def expected_sales(raw: dict, by: str, start: date, end: date) -> dict:
    """The sales report recomputed line by line in Python."""
    out: dict = defaultdict(lambda: {"takings": 0, "gross": 0, "refunds": 0, "quantity": 0,
                                     "receipts": set(), "margin": None})
    for line in raw["lines"]:
        sale = raw["sales"][line["sale_id"]]
        if sale["status"] != "completed" or not start <= sale["day"] <= end:
            continue
        product = raw["products"][line["product_id"]]
        iso = sale["day"].isocalendar()
        key = {"day": sale["day"].isoformat(), "week": f"{iso[0]}-W{iso[1]:02d}",
               "month": sale["day"].strftime("%Y-%m"), "venue": sale["venue"],
               "booth": sale["booth"], "product": product["id"],
               "producer": product["producer_id"], "category": product["category"],
               "stars": product["stars"],
               "district": raw["districts"][product["producer_id"]]}[by]
        row = out[key]
        sign = 1 if sale["kind"] == "sale" else -1
        row["takings"] += sign * line["amount"]
        row["quantity"] += sign * line["qty"]
        row["gross" if sign > 0 else "refunds"] += line["amount"]
        if sign > 0:
            # By a group of products, a receipt counts once per product of the group on it
            # (the report says so); otherwise once.
            grouped = by in ("producer", "category", "stars", "district")
            row["receipts"].add((sale["id"], line["product_id"]) if grouped else sale["id"])
        cost = raw["costs"].get(line["product_id"])
        if cost is not None:
            row["margin"] = (row["margin"] or 0) + sign * (line["amount"] - line["qty"] * cost)
    return {k: v | {"receipts": len(v["receipts"])} for k, v in out.items()}


FIGURES = ("takings", "gross", "refunds", "quantity", "receipts", "margin")


# --- the tests -----------------------------------------------------------------------------


def test_sales_by_every_dimension_match_a_recomputation_from_raw_rows(pair):
    s = scenario(pair)
    raw = raw_rows(pair.central)
    start, end = s["yesterday"], s["today"]
    for by in ("day", "week", "month", "venue", "booth", "product", "producer", "category",
               "stars", "district"):
        response = get(pair.central, "/api/v1/reports/sales", by=by, **{
            "from": start.isoformat(), "to": end.isoformat()})
        assert response.status_code == 200, (by, response.get_json())
        body = response.get_json()
        got = {row["key"]: {f: row[f] for f in FIGURES} for row in body["rows"]}
        want = expected_sales(raw, by, start, end)
        assert got == want, by
        assert body["totals"]["takings"] == sum(r["takings"] for r in want.values())
        # a product group's receipts add up its products' receipts, and the report says so
        assert ("receipts_note" in body) == (by in ("producer", "category", "stars",
                                                    "district")), by
        assert body["totals"]["receipts"] == len({  # each receipt once, whatever the rows
            sale["id"] for sale in raw["sales"].values() if sale["kind"] == "sale"
            and sale["status"] == "completed" and start <= sale["day"] <= end}), by
    # the recomputation is not vacuous: two days, refunds, a margin on the costed product
    days = expected_sales(raw, "day", start, end)
    assert set(days) == {start.isoformat(), end.isoformat()}
    products = expected_sales(raw, "product", start, end)
    a = s["products"][0]
    assert products[a]["refunds"] > 0 and products[a]["margin"] is not None
    assert products[s["products"][1]]["margin"] is None
    assert raw["costs"][a] == raw["products"][a]["price"] * 6 // 10  # the newer intake


def test_one_day_and_one_booth_narrow_the_report(pair):
    s = scenario(pair)
    raw = raw_rows(pair.central)
    today = s["today"]
    body = get(pair.central, "/api/v1/reports/sales", by="product", booth="COOP-01",
               **{"from": today.isoformat(), "to": today.isoformat()}).get_json()
    assert {r["key"]: {f: r[f] for f in FIGURES} for r in body["rows"]} == \
        expected_sales(raw, "product", today, today)
    other = get(pair.central, "/api/v1/reports/sales", by="product", booth="COOP-02").get_json()
    assert other["rows"] == [] and "Không có bán hàng" in other["message"]


def test_top_and_bottom_sellers(pair):
    s = scenario(pair)
    raw = raw_rows(pair.central)
    start, end = s["yesterday"].isoformat(), s["today"].isoformat()
    want = expected_sales(raw, "product", s["yesterday"], s["today"])
    ranked = sorted(want.items(), key=lambda kv: -kv[1]["takings"])
    top = get(pair.central, "/api/v1/reports/top-products", limit=2, order="top",
              **{"from": start, "to": end}).get_json()
    assert [(r["key"], r["takings"], r["quantity"]) for r in top["rows"]] == \
        [(k, v["takings"], v["quantity"]) for k, v in ranked[:2]]
    assert [r["rank"] for r in top["rows"]] == [1, 2]
    bottom = get(pair.central, "/api/v1/reports/top-products", limit=100, order="bottom",
                 **{"from": start, "to": end}).get_json()["rows"]
    unsold = {pid for pid, p in raw["products"].items() if p["active"] and pid not in want}
    assert unsold and {r["key"] for r in bottom[:len(unsold)]} <= unsold | set(want)
    assert bottom[0]["takings"] == 0 and bottom[0]["key"] in unsold
    assert [r["takings"] for r in bottom] == sorted(r["takings"] for r in bottom)
    at_booth = get(pair.central, "/api/v1/reports/top-products", limit=100, order="bottom",
                   booth="COOP-01", **{"from": start, "to": end}).get_json()["rows"]
    bid = next(b for b, (code, _v, _k) in raw["booths"].items() if code == "COOP-01")
    shelved = {lv["product_id"] for lv in raw["levels"]
               if lv["booth_id"] == bid and lv["on_hand"] > 0}
    assert {r["key"] for r in at_booth} <= shelved | set(want)
    assert len(at_booth) == min(100, len(shelved | set(want)))


def test_stock_cover_per_booth(pair):
    scenario(pair)
    raw = raw_rows(pair.central)
    body = get(pair.central, "/api/v1/reports/stock-cover").get_json()
    today = business_today()
    window_start = today - timedelta(days=body["window_days"] - 1)
    rows = {r["key"]: r for r in body["rows"]}
    booth_ids = {code: bid for bid, (code, _v, kind) in raw["booths"].items() if kind == "booth"}
    assert set(rows) == set(booth_ids)
    for code, bid in booth_ids.items():
        on_hand = sum(lv["on_hand"] for lv in raw["levels"]
                      if lv["booth_id"] == bid and lv["on_hand"] > 0)
        value = sum(lv["on_hand"] * raw["products"][lv["product_id"]]["price"]
                    for lv in raw["levels"] if lv["booth_id"] == bid and lv["on_hand"] > 0)
        sold = sum((1 if raw["sales"][ln["sale_id"]]["kind"] == "sale" else -1) * ln["qty"]
                   for ln in raw["lines"]
                   if raw["sales"][ln["sale_id"]]["booth_id"] == bid
                   and raw["sales"][ln["sale_id"]]["status"] == "completed"
                   and window_start <= raw["sales"][ln["sale_id"]]["day"] <= today)
        row = rows[code]
        assert (row["on_hand"], row["stock_value"], row["sold"]) == (on_hand, value, sold), code
        if sold > 0:
            assert row["days_of_cover"] == round(on_hand * 30 / sold, 1)
            assert row["sell_through"] == round(100 * sold / (sold + on_hand), 1)
        else:
            assert row["days_of_cover"] is None
    assert rows["COOP-01"]["sold"] > 0

    # one booth, product by product
    bid = booth_ids["COOP-01"]
    per_product = get(pair.central, "/api/v1/reports/stock-cover", booth="COOP-01").get_json()
    codes = {p["id"]: p for p in raw["products"].values()}
    want: dict = defaultdict(lambda: [0, 0])
    for lv in raw["levels"]:
        if lv["booth_id"] == bid and lv["on_hand"] > 0:
            want[lv["product_id"]][0] += lv["on_hand"]
    for ln in raw["lines"]:
        sale = raw["sales"][ln["sale_id"]]
        if sale["booth_id"] == bid and sale["status"] == "completed" \
                and window_start <= sale["day"] <= today:
            want[ln["product_id"]][1] += (1 if sale["kind"] == "sale" else -1) * ln["qty"]
    assert {r["key"]: (r["on_hand"], r["sold"]) for r in per_product["rows"]} == \
        {codes[pid]["code"]: tuple(v) for pid, v in want.items()}
    assert sum(r["on_hand"] for r in per_product["rows"]) == rows["COOP-01"]["on_hand"]
    page = get(pair.central, "/reports/stock-cover", booth="COOP-01")
    assert page.status_code == 200 and "COOP-01" in page.get_data(as_text=True)


def test_the_ocop_view_by_stars_and_district(pair):
    s = scenario(pair)
    raw = raw_rows(pair.central)
    body = get(pair.central, "/api/v1/reports/ocop", **{
        "from": s["yesterday"].isoformat(), "to": s["today"].isoformat()}).get_json()
    catalogue: dict = defaultdict(int)
    for p in raw["products"].values():
        if p["active"]:
            catalogue[(p["stars"], raw["districts"][p["producer_id"]])] += 1
    per_product = expected_sales(raw, "product", s["yesterday"], s["today"])
    sold: dict = defaultdict(lambda: [0, 0, 0])
    for pid, figures in per_product.items():
        p = raw["products"][pid]
        cell = sold[(p["stars"], raw["districts"][p["producer_id"]])]
        cell[0] += figures["quantity"] > 0
        cell[1] += figures["quantity"]
        cell[2] += figures["takings"]
    got = {(r["stars"], r["district"]): (r["products"], r["products_sold"], r["quantity"],
                                         r["takings"]) for r in body["rows"]}
    want = {k: (catalogue.get(k, 0), *sold.get(k, [0, 0, 0])) for k in set(catalogue) | set(sold)}
    assert got == want
    assert sum(r["takings"] for r in body["by_stars"]) == sum(v[3] for v in want.values())


def test_exports_read_back_with_csv_and_openpyxl(pair):
    s = scenario(pair)
    params = {"from": s["yesterday"].isoformat(), "to": s["today"].isoformat(),
              "by": "product"}
    rows = get(pair.central, "/api/v1/reports/sales", **params).get_json()["rows"]

    response = get(pair.central, "/api/v1/reports/sales", format="csv", **params)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][:3] == ["Mã", "Sản phẩm", "Doanh thu thuần"]
    assert [(int(r[0]), r[1], int(r[2]), "" if r[7] == "" else int(r[7])) for r in table[1:]] == \
        [(r["key"], r["label"], r["takings"], "" if r["margin"] is None else r["margin"])
         for r in rows]

    response = get(pair.central, "/reports", format="xlsx", **params)  # the page exports too
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][1] == "Sản phẩm" and len(values) == len(rows) + 1
    assert [(v[0], v[1], v[2], v[7]) for v in values[1:]] == \
        [(r["key"], r["label"], r["takings"], r["margin"]) for r in rows]
    assert sheet["C2"].number_format.startswith("#,##0")

    cashiers = get(pair.central, "/api/v1/reports/cashiers", format="xlsx", **params)
    sheet = load_workbook(io.BytesIO(cashiers.data)).active
    assert sheet["A1"].value == "Quầy" and sheet.max_row == 3
    api_rows = get(pair.central, "/api/v1/reports/cashiers", **params).get_json()["rows"]
    assert sheet.cell(row=1, column=8).value == "Hủy hóa đơn: tỷ lệ"
    assert [sheet.cell(row=i, column=8).value for i in (2, 3)] == \
        [r["voids_rate"] for r in api_rows]
    assert sheet.cell(row=2, column=8).number_format == "0.0%"


def test_the_pages_show_a_chart_a_sortable_table_and_exports(pair):
    s = scenario(pair)
    params = {"from": s["yesterday"].isoformat(), "to": s["today"].isoformat()}
    for path, extra in (("/reports", {"by": "day"}), ("/reports", {"by": "district"}),
                        ("/reports/top-products", {"order": "bottom"}),
                        ("/reports/stock-cover", {}), ("/reports/ocop", {})):
        page = get(pair.central, path, **params, **extra)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, path
        assert "<svg" in html and "format=xlsx" in html and "format=csv" in html, path
        assert "sort=" in html, path
    page = get(pair.central, "/reports", by="product", sort="takings", dir="asc", **params)
    html = page.get_data(as_text=True)
    body = get(pair.central, "/api/v1/reports/sales", by="product", **params).get_json()
    ascending = sorted(body["rows"], key=lambda r: r["takings"])
    positions = [html.index(f"<td>{escape(r['label'])}</td>") for r in ascending]
    assert positions == sorted(positions)
    assert "₫" in html and "Lãi gộp" in html


@pytest.fixture
def central(tmp_path):
    app = make_central(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def _future() -> str:
    return (business_today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("path, params, field, code", [
    ("/api/v1/reports/sales", {"from": "2026-13-01"}, "from", "bad_date"),
    ("/api/v1/reports/sales", {"to": "hôm qua"}, "to", "bad_date"),
    ("/api/v1/reports/sales", {"from": "2026-1-1"}, "from", "bad_date"),
    ("/api/v1/reports/sales", {"to": "FUTURE"}, "to", "future_date"),
    ("/api/v1/reports/sales", {"from": "2025-03-02", "to": "2025-03-01"}, "from", "bad_range"),
    ("/api/v1/reports/sales", {"from": "2024-01-01", "to": "2025-02-04"}, "from",
     "range_too_long"),
    ("/api/v1/reports/sales", {"by": "colour"}, "by", "invalid"),
    ("/api/v1/reports/sales", {"format": "pdf"}, "format", "invalid"),
    ("/api/v1/reports/sales", {"booth": "NOWHERE"}, "booth", "unknown_booth"),
    ("/api/v1/reports/cashiers", {"booth": "COOP\x0001"}, "booth", "unknown_booth"),
    ("/api/v1/reports/top-products", {"limit": "0"}, "limit", "invalid"),
    ("/api/v1/reports/top-products", {"limit": "abc"}, "limit", "invalid"),
    ("/api/v1/reports/top-products", {"limit": "101"}, "limit", "invalid"),
    ("/api/v1/reports/top-products", {"limit": "²"}, "limit", "invalid"),
    ("/api/v1/reports/sales", {"from": "0000-01-01"}, "from", "bad_date"),
    ("/api/v1/reports/ocop", {"from": "0001-01-01"}, "from", "range_too_long"),
    ("/api/v1/reports/sales", {"by": "district", "booth": "B" * 500}, "booth", "unknown_booth"),
    ("/api/v1/reports/top-products", {"order": "middle"}, "order", "invalid"),
    ("/api/v1/reports/ocop", {"from": "x"}, "from", "bad_date"),
    ("/api/v1/reports/cashiers", {"to": "FUTURE"}, "to", "future_date"),
    ("/api/v1/reports/cashiers/thungan.coop-01/bribes", {}, "signal", "invalid"),
    ("/api/v1/reports/cashiers/nobody/voids", {}, "username", "unknown_cashier"),
])
def test_bad_parameters_get_a_vietnamese_answer_naming_the_field(central, path, params, field,
                                                                  code):
    params = {k: _future() if v == "FUTURE" else v for k, v in params.items()}
    response = get(central, path, **params)
    error = response.get_json()["error"]
    assert response.status_code in (404, 422) and error["code"] == code
    assert error["field"] == field
    if response.status_code == 422:
        assert field in error["message"]
    assert any(ch in error["message"] for ch in "ạảãáàâầấậăắằặêếệểôốồộơớờợưứừựđ"), error


def test_a_range_of_exactly_400_days_is_allowed_and_empty(central):
    end = business_today()
    body = get(central, "/api/v1/reports/sales", **{
        "from": (end - timedelta(days=399)).isoformat(), "to": end.isoformat()}).get_json()
    assert body["rows"] == [] and "Không có bán hàng" in body["message"]
    assert body["totals"]["takings"] == 0 and body["totals"]["margin"] is None


def test_bad_parameters_on_a_page_show_on_the_form(central):
    page = get(central, "/reports", to=_future())
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'data-field="to"' in html and "chưa tới" in html
    assert get(central, "/reports", sort="nothing").status_code == 422


def test_charts_escape_their_labels():
    svg = str(bar_chart([("<script>alert(1)</script>", 125_000), ("Nem chua", -5_000)],
                        title="Doanh thu & <b>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    assert "125.000 ₫" in svg and "-5.000 ₫" in svg
    line = str(line_chart([("01/12", 10), ("<i>", 20)], title="x"))
    assert "<i>" not in line and "&lt;i&gt;" in line
    assert "<svg" in str(bar_chart([], title="Trống"))


def test_exported_text_never_runs_as_a_formula():
    from central.export import Column, to_csv, to_xlsx

    columns = [Column("label", "Sản phẩm"), Column("takings", "Doanh thu", "money")]
    rows = [{"label": '=HYPERLINK("http://x","Nem")', "takings": -5_000}]
    sheet = load_workbook(io.BytesIO(to_xlsx(columns, rows, title="t"))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("'=")
    assert sheet["B2"].value == -5_000
    (_head, row) = list(csv.reader(io.StringIO(to_csv(columns, rows).decode("utf-8-sig"))))
    assert row == ["'=HYPERLINK(\"http://x\",\"Nem\")", "-5000"]


def test_a_day_is_its_shifts_business_day_not_the_utc_date(pair):
    """A receipt rung at 23:30 UTC (06:30 the next morning in Vietnam) belongs to its
    shift's business day."""
    s = scenario(pair)
    with pair.central.app_context():
        sale_id = db.session.scalar(text("SELECT id FROM sale WHERE shift_id = :s LIMIT 1"),
                                    {"s": s["first"]})
        late = datetime.combine(s["yesterday"], datetime.min.time()).replace(hour=23, minute=30)
        # Setting the scene: the books refuse edits, so the test lifts that for its write.
        from pos.append_only import drop_statements

        for statement in drop_statements(db.engine.dialect.name):
            db.session.execute(text(statement))
        db.session.execute(text("UPDATE sale SET created_at = :t WHERE id = :i"),
                           {"t": late, "i": sale_id})
        db.session.commit()
    raw = raw_rows(pair.central)
    body = get(pair.central, "/api/v1/reports/sales", by="day", **{
        "from": s["yesterday"].isoformat(), "to": s["today"].isoformat()}).get_json()
    assert {r["key"]: r["takings"] for r in body["rows"]} == {
        k: v["takings"] for k, v in expected_sales(raw, "day", s["yesterday"],
                                                   s["today"]).items()}
