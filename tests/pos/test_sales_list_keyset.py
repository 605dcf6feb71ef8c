"""The day's receipts page by keyset: each page continues below the last receipt shown,
with no receipt skipped or shown twice, and a day is read from its own shifts rather
than by walking the booth's whole history."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from core.extensions import db
from core.models import User
from pos.counter_models import Sale
from pos.sale_history import list_sales, today
from tests.conftest import TEST_PASSWORD, login
from tests.pos.test_counter_support import make_till

MANAGER = "quanly.coop-01"


@pytest.fixture
def till(app):
    till = make_till(app)
    till.open_shift()
    return till


def test_pages_continue_by_keyset_without_gaps_or_repeats(till, session):
    sold = [till.sell()["number"] for _ in range(5)]
    booth = session.scalar(select(Sale)).booth
    manager = session.scalar(select(User).where(User.username == MANAGER))

    seen, after, pages = [], None, []
    while True:
        page = list_sales(session, booth=booth, viewer=manager, day=today(), per_page=2,
                          after=after)
        seen += [sale.number for sale in page.sales]
        pages.append(page.page)
        after = page.next_after
        if after is None:
            break
    assert seen == sold[::-1]  # newest first, each once
    assert pages == [1, 2, 3] and page.count == 5 and page.pages == 3


def test_the_next_page_link_carries_the_keyset_cursor(app, till, client, session,
                                                       monkeypatch):
    """The page's own "next" link, followed, shows the receipts after the first page."""
    import html as html_lib

    from pos import sale_history

    for _ in range(3):
        till.sell()
    booth = session.scalar(select(Sale)).booth
    manager = session.scalar(select(User).where(User.username == MANAGER))
    paged = sale_history.list_sales
    monkeypatch.setattr(sale_history, "list_sales",
                        lambda *args, **kwargs: paged(*args, **kwargs | {"per_page": 2}))
    first = list_sales(session, booth=booth, viewer=manager, day=today(), per_page=2)
    login(client, MANAGER, TEST_PASSWORD)
    page_one = client.get("/sales").get_data(as_text=True)
    assert re.findall(r'href="/sales/([0-9a-f-]{36})"', page_one) == [
        sale.id for sale in first.sales]
    link = re.search(r'<a href="([^"]+)" rel="next"', page_one)
    assert link is not None, "no link to the next page"
    html = client.get(html_lib.unescape(link.group(1))).get_data(as_text=True)
    shown = re.findall(r'href="/sales/([0-9a-f-]{36})"', html)
    assert shown == [sale.id for sale in list_sales(
        session, booth=booth, viewer=manager, day=today(), per_page=50,
        after=first.next_after).sales]
    assert first.sales[-1].id not in shown


def test_a_day_is_read_from_its_shifts_not_the_whole_history(app, till, client):
    """SQLite, with no statistics, would walk every sale of the booth by
    ix_sale_booth_created to find one day's; the list, its totals, its export and the
    manager's home start from the day's shifts instead, so they cost the same after
    years of sales."""
    till.sell()
    login(client, MANAGER, TEST_PASSWORD)
    with app.app_context():
        engine = db.engine
    statements = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM sale" in statement and "shift" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert client.get("/sales").status_code == 200
        assert client.get("/sales/export?format=csv").status_code == 200
        assert client.get("/home").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert statements
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
            assert "ix_sale_booth_created" not in plan, (statement, plan)
