"""The manager's stock list (``GET /api/v1/stock`` and ``/stock``): what is on the shelf,
what sold lately, how long it lasts, what runs low or below zero and which sales did it,
in one SQL statement per page."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import event, select

from core.extensions import db
from core.models import Booth, User
from core.services import create_token
from core.textfold import fold
from core.types import utcnow
from inventory.models import Product, StockLevel
from inventory.services import post_move
from pos import counter
from pos.counter_models import Sale
from pos.demo import DEMO_PASSWORD
from tests.conftest import csrf_token, login
from tests.inventory.test_catalog_api import assert_error


class Shop:
    """The seeded demo booth COOP-01 with its till open, driven through the services
    (quick) and read through the API (what a manager sees)."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        with app.app_context():
            s = db.session
            self.booth_id = s.scalar(select(Booth.id).where(Booth.code == "COOP-01"))
            users = {u.username: u for u in s.scalars(select(User))}
            self.cashier_id = users["thungan.coop-01"].id
            self.manager_id = users["quanly.coop-01"].id
            self.tokens = {"cashier": create_token(s, user=users["thungan.coop-01"])[1],
                           "manager": create_token(s, user=users["quanly.coop-01"])[1]}
            counter.open_shift(s, booth=s.get(Booth, self.booth_id),
                               cashier=s.get(User, self.cashier_id), opening_float=0)
            s.commit()
            s.remove()

    def product(self, name: str) -> int:
        with self.app.app_context():
            return db.session.scalar(select(Product.id).where(Product.name == name))

    def set_on_hand(self, product_id: int, qty: int) -> None:
        """Bring the shelf to ``qty`` with a counted move, as a stocktake would."""
        with self.app.app_context():
            s = db.session
            level = s.get(StockLevel, (self.booth_id, product_id))
            delta = qty - (level.on_hand if level else 0)
            if delta:
                post_move(s, booth=s.get(Booth, self.booth_id),
                          product=s.get(Product, product_id), qty=delta, kind="count")
            s.commit()
            s.remove()

    def sell(self, product_id: int, qty: int, *, days_ago: float = 0) -> str:
        with self.app.app_context():
            s = db.session
            price = s.get(Product, product_id).price
            # The till's clock set back: the books refuse to edit a sale afterwards.
            with mock.patch("pos.counter.utcnow",
                            return_value=utcnow() - timedelta(days=days_ago)):
                sale, _ = counter.complete_sale(
                    s, booth=s.get(Booth, self.booth_id),
                    cashier=s.get(User, self.cashier_id), sale_id=None,
                    lines=[counter.LineInput(qty=qty, product_id=product_id)],
                    payments=[counter.PaymentInput(method="card", amount=qty * price)])
            s.commit()
            sale_id = sale.id
            s.remove()
            return sale_id

    def refund(self, sale_id: str, product_id: int, qty: int) -> None:
        with self.app.app_context():
            s = db.session
            counter.refund_sale(s, booth=s.get(Booth, self.booth_id),
                                actor=s.get(User, self.manager_id),
                                original=s.get(Sale, sale_id), refund_id=None,
                                lines=[(product_id, qty)], reason="Khách trả hàng")
            s.commit()
            s.remove()

    def void(self, sale_id: str) -> None:
        with self.app.app_context():
            s = db.session
            counter.void_sale(s, booth=s.get(Booth, self.booth_id),
                              actor=s.get(User, self.manager_id), sale=s.get(Sale, sale_id),
                              reason="Nhập nhầm")
            s.commit()
            s.remove()

    def get(self, path: str, who: str = "manager"):
        return self.client.get("/api/v1" + path,
                               headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def send(self, method: str, path: str, body, who: str = "manager"):
        return self.client.open("/api/v1" + path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def rows(self, query: str = "") -> list[dict]:
        response = self.get(f"/stock?per_page=200{query}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["stock"]

    def row(self, product_id: int, query: str = "") -> dict:
        return next(r for r in self.rows(query) if r["product_id"] == product_id)


@pytest.fixture
def shop(seeded):
    return Shop(seeded)


NEM = "Nem chua Chí Quý Bình Chí"


def test_sold_figures_count_this_booths_recent_sales_net_of_refunds(shop):
    nem = shop.product(NEM)
    shop.set_on_hand(nem, 100)
    today = shop.sell(nem, 5)
    shop.refund(today, nem, 2)               # net 3 this week
    shop.void(shop.sell(nem, 4))             # voided: never sold
    shop.sell(nem, 4, days_ago=10)           # this month, not this week
    shop.sell(nem, 6, days_ago=40)           # too old for either
    row = shop.row(nem)
    assert (row["sold_7"], row["sold_30"]) == (3, 7)
    assert row["on_hand"] == 100 - 5 + 2 - 4 - 6
    assert row["days_of_cover"] == round(row["on_hand"] * 30 / 7, 1)
    assert row["product"] == {"id": nem, "code": row["code"], "name": NEM,
                              "price": row["product"]["price"], "unit": row["product"]["unit"]}
    # Nothing sold: no figure for the days of cover, rather than a division by zero.
    other = next(r for r in shop.rows() if r["product_id"] != nem)
    assert (other["sold_30"], other["days_of_cover"]) == (0, None)


def test_search_ignores_accents_and_finds_codes_and_producers(shop):
    names = {q: {r["name"] for r in shop.rows(f"&q={q}")}
             for q in ("nuoc mam", "NƯỚC MẮM", "  Nước   Mắm ")}
    assert names["nuoc mam"] and len(set(map(frozenset, names.values()))) == 1
    assert all("nước mắm" in n.lower() for n in names["nuoc mam"])
    shop.set_on_hand(shop.product(NEM), 10)
    nem = shop.row(shop.product(NEM))
    assert [r["code"] for r in shop.rows(f"&q={nem['code'].lower()}")] == [nem["code"]]
    assert NEM in {r["name"] for r in shop.rows("&q=chi quy")}  # the producer's name
    assert shop.rows("&q=khong co hang nay") == []


def test_sorts_put_what_needs_attention_first(shop):
    nem = shop.product(NEM)
    ids = [r["product_id"] for r in shop.rows()]
    fast, slow = ids[3], ids[5]
    shop.set_on_hand(fast, 10)
    shop.set_on_hand(slow, 90)
    shop.set_on_hand(nem, 50)
    shop.sell(fast, 9, days_ago=2)   # 1 on hand, 9 sold → 3.3 days of cover
    shop.sell(slow, 3, days_ago=20)  # 87 on hand, 3 sold → 870 days
    shop.sell(nem, 20)               # 30 on hand, 20 sold → 45 days

    by_sales = shop.rows("&sort=sold_30")
    assert [r["product_id"] for r in by_sales[:3]] == [nem, fast, slow]
    unsold = [r["name"] for r in by_sales[3:]]
    assert all(r["sold_30"] == 0 for r in by_sales[3:])
    assert len(unsold) == len(shop.rows()) - 3 and unsold == sorted(unsold, key=fold)

    by_cover = shop.rows("&sort=days_of_cover")
    assert [r["product_id"] for r in by_cover[:3]] == [fast, nem, slow]
    assert by_cover[0]["days_of_cover"] == 3.3 and by_cover[3]["days_of_cover"] is None
    assert [r["product_id"] for r in shop.rows("&sort=days_of_cover&dir=desc")[-3:]] == [
        slow, nem, fast]

    on_hand = [r["on_hand"] for r in shop.rows("&sort=on_hand")]
    assert on_hand == sorted(on_hand)
    assert [r["on_hand"] for r in shop.rows("&sort=on_hand&dir=desc")] == sorted(
        on_hand, reverse=True)
    # By name, "Bánh" sits with "Banh", not after "Z" as byte order would put it.
    folded = [fold(r["name"]) for r in shop.rows()]
    assert folded == sorted(folded)


def test_low_and_negative_rows_are_flagged_and_filtered(shop):
    nem = shop.product(NEM)
    rows = shop.rows()
    plenty, reorder = rows[0]["product_id"], rows[1]["product_id"]
    shop.set_on_hand(plenty, 40)
    shop.set_on_hand(reorder, 12)
    shop.set_on_hand(nem, 2)
    shop.sell(nem, 5)   # sold what the books did not have: -3
    assert shop.send("PUT", f"/stock/{reorder}/reorder-point",
                     {"reorder_point": 12}).status_code == 200

    row = shop.row(nem)
    assert (row["on_hand"], row["negative"], row["low"]) == (-3, True, True)
    assert row["days_of_cover"] == 0  # nothing left to sell, not "-18 days"
    assert shop.row(reorder)["low"] and shop.row(reorder)["reorder_point"] == 12
    assert not shop.row(plenty)["low"]
    low = {r["product_id"] for r in shop.rows("&low=1")}
    assert {nem, reorder} <= low and plenty not in low
    assert all(r["on_hand"] <= (r["reorder_point"] if r["reorder_point"] is not None else 5)
               for r in shop.rows("&low=1"))
    assert [r["product_id"] for r in shop.rows("&negative=1")] == [nem]


def test_pages_cover_every_row_once_and_say_what_comes_next(shop):
    everything = [r["product_id"] for r in shop.rows()]
    seen, url = [], "/api/v1/stock?per_page=7&sort=on_hand"
    while url:
        body = shop.client.get(url, headers={
            "Authorization": f"Bearer {shop.tokens['manager']}"}).get_json()
        assert len(body["stock"]) <= 7
        seen += [r["product_id"] for r in body["stock"]]
        url = body["next"]
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))


def test_the_list_keeps_the_fields_its_callers_read(shop):
    """A cashier's token still gets the list, with the fields it always had."""
    body = shop.get("/stock", who="cashier").get_json()
    assert body["booth"] == "COOP-01"
    assert {"product_id", "code", "name", "on_hand", "low", "negative"} <= set(body["stock"][0])


@pytest.mark.parametrize("sort", ["name", "on_hand", "sold_30", "days_of_cover"])
def test_one_sql_statement_per_page_whatever_the_page_size(shop, sort):
    ids = [r["product_id"] for r in shop.rows()]
    for pid in ids[:6]:
        shop.sell(pid, 1)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with shop.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        totals = {}
        for per_page in (5, 100):
            statements.clear()
            response = shop.get(f"/stock?sort={sort}&per_page={per_page}&q=a")
            assert response.status_code == 200
            assert len(response.get_json()["stock"]) > 1
            stock_reads = [s for s in statements if re.search(r"\bstock_level\b", s)]
            assert len(stock_reads) == 1, stock_reads
            totals[per_page] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert totals[5] == totals[100]  # no statement per row


@pytest.mark.parametrize(("query", "status", "field"), [
    ("sort=price", 422, "sort"), ("dir=up", 422, "dir"), ("page=0", 422, "page"),
    ("per_page=1000", 422, "per_page"), ("page=abc", 400, "page")])
def test_bad_list_parameters_are_named(shop, query, status, field):
    response = shop.get(f"/stock?{query}")
    assert response.status_code == status
    assert response.get_json()["error"]["field"] == field


def test_a_negative_balance_leads_to_the_sales_that_caused_it(shop):
    nem = shop.product(NEM)
    shop.set_on_hand(nem, 3)
    shop.sell(nem, 2)
    culprit = shop.sell(nem, 4)   # 1 on the shelf, 4 sold: -3
    shop.sell(nem, 1)             # already below zero
    moves = shop.get(f"/stock/{nem}/moves").get_json()
    assert moves["on_hand"] == -4
    latest = moves["moves"]
    assert [m["kind"] for m in latest[:3]] == ["sale"] * 3
    assert [m["balance_after"] for m in latest[:4]] == [-4, -3, 1, 3]
    crossed = [m for m in latest if m["went_negative"]]
    with shop.app.app_context():
        number = db.session.get(Sale, culprit).number
    assert [(m["reference"], m["sale_id"]) for m in crossed] == [(number, culprit)]
    assert shop.get(f"/stock/{nem}/moves", who="cashier").status_code == 403
    assert_error(shop.get("/stock/999999/moves"), 404, "unknown_product")

    login(shop.client, "quanly.coop-01", DEMO_PASSWORD)
    page = shop.client.get("/stock?negative=1").get_data(as_text=True)
    assert "Tồn âm" in page and f'href="/stock/{nem}"' in page
    detail = shop.client.get(f"/stock/{nem}").get_data(as_text=True)
    assert f'href="/sales/{culprit}"' in detail and "xuống dưới 0" in detail


@pytest.mark.parametrize("body", [
    {"reorder_point": -1}, {"reorder_point": 1.5}, {"reorder_point": "10"},
    {"reorder_point": True}, {"reorder_point": 100_001}, {}])
def test_a_bad_reorder_point_is_refused_and_changes_nothing(shop, body):
    nem = shop.product(NEM)
    assert shop.send("PUT", f"/stock/{nem}/reorder-point", {"reorder_point": 8}).status_code \
        == 200
    error = assert_error(shop.send("PUT", f"/stock/{nem}/reorder-point", body), 422,
                         "invalid", "reorder_point")
    assert "0 đến 100.000" in error["message"]
    assert shop.row(nem)["reorder_point"] == 8


def test_reorder_point_is_set_cleared_and_kept_to_managers(shop):
    nem = shop.product(NEM)
    shop.set_on_hand(nem, 20)
    path = f"/stock/{nem}/reorder-point"
    assert shop.send("PUT", path, {"reorder_point": 25}).get_json()["reorder_point"] == 25
    assert shop.row(nem)["low"] is True
    assert shop.send("PUT", path, {"reorder_point": None}).status_code == 200
    assert (shop.row(nem)["reorder_point"], shop.row(nem)["low"]) == (None, False)
    assert shop.send("PUT", path, {"reorder_point": 3}, who="cashier").status_code == 403
    assert_error(shop.send("PUT", "/stock/999999/reorder-point", {"reorder_point": 3}), 404,
                 "unknown_product")
    assert_error(shop.client.put("/api/v1" + path, data="{", headers={
        "Authorization": f"Bearer {shop.tokens['manager']}",
        "Content-Type": "application/json"}), 400, "malformed")


def test_the_page_sets_a_reorder_point_with_its_small_form(shop):
    nem = shop.product(NEM)
    login(shop.client, "quanly.coop-01", DEMO_PASSWORD)
    token = csrf_token(shop.client, "/stock")
    saved = shop.client.post(f"/stock/{nem}/reorder-point", follow_redirects=True,
                             data={"csrf_token": token, "reorder_point": "15"})
    assert "Đã lưu điểm đặt hàng lại" in saved.get_data(as_text=True)
    assert shop.row(nem)["reorder_point"] == 15
    refused = shop.client.post(f"/stock/{nem}/reorder-point", follow_redirects=True,
                               data={"csrf_token": token, "reorder_point": "-4"})
    assert "0 đến 100.000" in refused.get_data(as_text=True)
    assert shop.row(nem)["reorder_point"] == 15


def test_the_page_searches_sorts_and_pages(shop):
    login(shop.client, "quanly.coop-01", DEMO_PASSWORD)
    page = shop.client.get("/stock?q=nuoc+mam&sort=sold_30").get_data(as_text=True)
    assert "Nước mắm" in page and "Nem chua" not in page
    assert re.search(r'href="/stock\?[^"]*sort=on_hand[^"]*"', page)
    assert all("q=nuoc+mam" in href for href in re.findall(r'href="(/stock\?[^"]*)"', page)
               if "sort=" in href)
    first = shop.client.get("/stock?per_page=5").get_data(as_text=True)
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert re.search(r'href="/stock\?[^"]*per_page=5[^"]*" rel="next"', first)  # kept
    assert shop.client.get("/stock", headers={}).status_code == 200


@pytest.mark.parametrize("query", ["", "&sort=on_hand", "&sort=sold_30", "&sort=days_of_cover",
                                   "&low=1", "&sort=name&dir=desc"])
def test_no_page_reads_the_whole_shelf(shop, query):
    """The page's statement walks an index and stops: SQLite's plan (without statistics,
    as on every booth) never scans the booth's levels, however many products it holds."""
    shop.sell(shop.rows()[0]["product_id"], 1)
    grabbed: list[tuple] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\bstock_level\b", statement):
            grabbed.append((statement, parameters))

    with shop.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert shop.get(f"/stock?per_page=5{query}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    with shop.app.app_context():
        with db.engine.connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + grabbed[0][0], grabbed[0][1])]
    for step in plan:
        if "stock_level" in step and "on_hand" in query:
            # Walking the booth's levels is right only in on-hand order, with no sort.
            assert "ix_stock_level_booth_on_hand" in step or "product_id=?" in step, plan
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
        elif "stock_level" in step:
            assert "(booth_id=? AND product_id=?)" in step, plan  # one shelf by its key
        assert step != "SCAN product", plan
