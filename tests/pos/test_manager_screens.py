"""The manager's and the office's screens: where each person lands after signing in, the
booth's home, the day's totals and export of the sales list, the shift history with its
Z-reports, the refund page's wording and the favicon."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from core.money import format_vnd
from tests.conftest import TEST_PASSWORD, build_app, login
from tests.pos.test_counter_support import make_till

MANAGER, CASHIER = "quanly.coop-01", "thungan.coop-01"


@pytest.fixture
def till(app):
    return make_till(app)


def signed_in(app, username: str):
    client = app.test_client()
    login(client, username, TEST_PASSWORD)
    return client


def test_a_cashier_lands_at_the_till_and_a_manager_on_the_booth_home(till):
    from pos.demo import DEMO_PASSWORD

    cashier = till.app.test_client()
    landed = login(cashier, CASHIER, DEMO_PASSWORD, follow=True)
    assert landed.request.path == "/pos"

    manager = till.app.test_client()
    landed = login(manager, MANAGER, TEST_PASSWORD, follow=True)
    assert landed.request.path == "/home"
    assert "Tổng quan quầy" in landed.get_data(as_text=True)


def test_the_office_lands_on_the_reconciliation_cockpit(tmp_path):
    central = build_app(tmp_path, role="central")
    from werkzeug.security import generate_password_hash

    from core.extensions import db
    from core.models import User
    from tests.conftest import FAST_HASH

    with central.app_context():
        db.session.add(User(username="vp", role="office", full_name="Văn phòng",
                            password_hash=generate_password_hash(TEST_PASSWORD,
                                                                 method=FAST_HASH)))
        db.session.commit()
    client = central.test_client()
    landed = login(client, "vp", TEST_PASSWORD, follow=True)
    assert landed.request.path == "/cockpit"


def test_the_booth_home_shows_takings_open_shifts_and_stock_sold_below_zero(till):
    till.open_shift()
    product = till.products[0]
    on_hand = till.on_hand(product["id"])
    sale = till.sell([{"product_id": product["id"], "qty": on_hand + 3}])  # never blocked
    assert till.on_hand(product["id"]) == -3

    page = signed_in(till.app, MANAGER).get("/home")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    takings = html[html.index('id="home-takings"'):html.index('id="home-shifts"')]
    assert format_vnd(sale["total"]) in takings
    shifts = html[html.index('id="home-shifts"'):html.index('id="home-printer"')]
    assert "Thu ngân COOP-01" in shifts  # the open shift, by the person's name
    negative = html[html.index('id="home-negative"'):html.index('id="home-low"')]
    assert product["name"] in negative and ">-3<" in negative
    assert "Chưa cấu hình máy in" in html  # the printer's state
    assert 'id="home-sync-pending"' in html
    for link in ("/sales", "/printer", "/sync", "/stock?negative=1", "/shifts"):
        assert f'href="{link}' in html


def test_the_sales_list_shows_the_days_totals_and_exports_them(till):
    till.open_shift()
    a, b = till.products[0], till.products[1]
    cash = till.sell([{"product_id": a["id"], "qty": 2}])
    transfer = till.sell([{"product_id": b["id"], "qty": 1}],
                         [{"method": "transfer", "amount": b["price"]}])
    client = signed_in(till.app, MANAGER)

    html = client.get("/sales").get_data(as_text=True)
    totals = html[html.index('id="day-totals"'):html.index('id="sales"')]
    assert re.search(r'id="total-sales">2<', totals)
    assert f'data-method="cash">{format_vnd(cash["total"])}<' in totals
    assert f'data-method="transfer">{format_vnd(transfer["total"])}<' in totals
    assert format_vnd(cash["total"] + transfer["total"]) in totals

    exported = client.get("/sales/export?format=csv")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Số hóa đơn"
    assert {rows[1][0], rows[2][0]} == {cash["number"], transfer["number"]}
    assert rows[-1][0] == "Tổng ngày" and rows[-1][5] == str(cash["total"] + transfer["total"])

    book = load_workbook(io.BytesIO(client.get("/sales/export?format=xlsx").get_data()))
    sheet = book.active
    assert sheet.max_row == 4 and sheet.cell(row=4, column=6).value == (
        cash["total"] + transfer["total"])

    bad = client.get("/sales/export?format=pdf")
    assert bad.status_code in (400, 422)
    assert "csv hoặc xlsx" in bad.get_data(as_text=True)


def test_past_shifts_are_listed_with_their_z_report_and_the_persons_name(till):
    shift = till.open_shift()
    sale = till.sell()
    closed = till.post(f"/shifts/{shift['id']}/close", {"counted_cash": 500_000 + sale["total"]})
    assert closed.status_code == 200, closed.get_json()
    client = signed_in(till.app, MANAGER)

    listing = client.get("/shifts").get_data(as_text=True)
    assert f'href="/shifts/{shift["id"]}"' in listing and "Báo cáo Z" in listing
    page = client.get(f"/shifts/{shift['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'id="shift-cashier">Thu ngân COOP-01<', html)  # not the username
    assert CASHIER not in html
    assert format_vnd(sale["total"]) in html
    assert f'/api/v1/shifts/{shift["id"]}/zreport?format=pdf' in html

    printed = client.post(f"/shifts/{shift['id']}/print",
                          data={"csrf_token": re.search(
                              r'name="csrf_token" value="([^"]+)"', html).group(1)})
    assert printed.status_code == 303
    assert client.get("/shifts/no-such-shift").status_code == 404


def test_the_refund_page_calls_the_manager_a_manager(till):
    till.open_shift()
    sale = till.sell()
    refund = till.post(f"/sales/{sale['id']}/refund",
                       {"lines": [{"product_id": till.products[0]["id"], "qty": 1}],
                        "reason": "Khách đổi ý"}, who="manager")
    assert refund.status_code == 201, refund.get_json()
    html = signed_in(till.app, MANAGER).get(
        f"/sales/{refund.get_json()['id']}").get_data(as_text=True)
    facts = html[html.index('id="sale-facts"'):]
    facts = facts[:facts.index("</p>")]
    assert "Quản lý: Quản lý COOP-01" in facts and "Thu ngân" not in facts


def test_every_page_has_a_favicon(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
        assert icon.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert '<link rel="icon"' in client.get("/login").get_data(as_text=True)


def test_the_shift_history_pages_and_a_cashier_sees_only_their_own(till):
    from datetime import date, timedelta

    from sqlalchemy import select

    from core.extensions import db
    from core.models import Booth, User
    from core.types import utcnow
    from pos.counter_models import Shift

    with till.app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        cashier = db.session.scalar(select(User).where(User.username == CASHIER))
        for n in range(35):  # older closed shifts of the demo cashier
            opened = utcnow() - timedelta(days=n + 1)
            db.session.add(Shift(booth=booth, cashier=cashier, status="closed",
                                 opened_at=opened, closed_at=opened + timedelta(hours=8),
                                 business_day=date.today() - timedelta(days=n + 1),
                                 opening_float=500_000, counted_cash=500_000,
                                 expected_cash=500_000, difference=0))
        db.session.commit()
        oldest = db.session.scalar(select(Shift.id).order_by(Shift.opened_at).limit(1))
        db.session.remove()
    manager = signed_in(till.app, MANAGER)
    first = manager.get("/shifts").get_data(as_text=True)
    assert "Trang 1 / 2" in first and first.count('href="/shifts/') == 30
    second = manager.get("/shifts?page=2").get_data(as_text=True)
    assert f'href="/shifts/{oldest}"' in second and second.count('href="/shifts/') == 5

    other = signed_in(till.app, "thungan2.coop-01")
    assert "Chưa có ca nào." in other.get("/shifts").get_data(as_text=True)
    assert other.get(f"/shifts/{oldest}").status_code == 404


def test_the_home_lists_low_stock_even_behind_many_products_below_zero(till):
    """Products below zero are listed apart; the low list still shows the products that
    are low but not below zero, however many are below zero."""
    from sqlalchemy import select, update

    from core.extensions import db
    from inventory.models import Product, StockLevel
    from pos.home import STOCK_ROWS

    with till.app.app_context():
        levels = db.session.scalars(select(StockLevel).order_by(StockLevel.product_id)).all()
        assert len(levels) > STOCK_ROWS * 2 + 1
        low_one = levels[0]
        db.session.execute(update(StockLevel).values(on_hand=-1))
        db.session.execute(update(StockLevel).where(
            StockLevel.product_id == low_one.product_id).values(on_hand=2))
        low_name = db.session.get(Product, low_one.product_id).name
        db.session.commit()

    html = signed_in(till.app, MANAGER).get("/home").get_data(as_text=True)
    low = html[html.index('id="home-low"'):]
    assert low_name in low and ">2<" in low


def test_a_cashier_cannot_read_or_print_another_cashiers_shift_through_the_api(till):
    """The shift pages hide another cashier's shift; its report, Z-report and print job
    through the API answer the same 404 (the expected cash of a shift is blind)."""
    shift = till.open_shift()
    for method, path in (("GET", f"/shifts/{shift['id']}/report"),
                         ("GET", f"/shifts/{shift['id']}/zreport?format=text"),
                         ("POST", f"/shifts/{shift['id']}/print")):
        other = till.call(method, path, {} if method == "POST" else None, who="cashier2")
        assert other.status_code == 404, (path, other.get_json())
        assert other.get_json()["error"]["code"] == "shift_not_found"
        assert till.call(method, path, {} if method == "POST" else None,
                         who="cashier").status_code in (200, 202)
        assert till.call(method, path, {} if method == "POST" else None,
                         who="manager").status_code in (200, 202)
