"""The manager's screens at 1366×768 in Chromium: prices and codes each stay on one line
in the catalogue, the label sheet and a sale's page; void and refund look destructive; a
manager lands on the booth's home after signing in."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD
from tests.pos.test_counter_support import make_till

pytestmark = pytest.mark.browser

# For every element of the selector: how many line boxes its first text holds.
LINES_OF = """(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
  const text = Array.from(el.childNodes).find((n) => n.nodeType === 3 && n.textContent.trim());
  if (!text) return [el.textContent.trim(), 0];
  const range = document.createRange();
  range.selectNodeContents(text);
  const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
  return [text.textContent.trim(), tops.size];
})"""


def wrapped(page, selector: str) -> list[str]:
    """The texts of ``selector`` that the browser broke over more than one line."""
    rows = page.evaluate(LINES_OF, selector)
    assert rows, f"nothing matches {selector}"
    return [text for text, lines in rows if lines > 1]


def sign_in(page, base_url: str, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


@pytest.fixture
def till(live_server, seeded):
    return make_till(seeded, seed=False)


def test_a_manager_lands_on_the_booth_home(live_server, till, page):
    sign_in(page, live_server, "quanly.coop-01")
    page.wait_for_url("**/home")
    assert "Tổng quan quầy" in page.locator("h1").inner_text()
    for section in ("#home-takings", "#home-shifts", "#home-printer", "#home-sync",
                    "#home-negative", "#home-low"):
        assert page.locator(section).is_visible(), section
    screenshot(page, "manager-home")


def test_prices_and_codes_stay_on_one_line(live_server, till, page):
    till.open_shift()
    sale = till.sell([{"product_id": p["id"], "qty": 1} for p in till.products])
    sign_in(page, live_server, "quanly.coop-01")
    page.wait_for_url("**/home")

    page.goto(f"{live_server}/catalog")
    assert wrapped(page, "#products td.num") == []
    assert wrapped(page, "#products td .code") == []
    screenshot(page, "catalog-nowrap")

    page.goto(f"{live_server}/labels")
    assert wrapped(page, "#label-products td.num") == []
    assert wrapped(page, "#label-products td .code") == []

    page.goto(f"{live_server}/sales/{sale['id']}")
    assert wrapped(page, "#sale-lines td.num, #sale-payments td.num") == []
    screenshot(page, "sale-page")

    page.goto(f"{live_server}/sales")
    assert wrapped(page, "#sales td.num, #sales td.code a, #day-totals td.num") == []


def test_void_and_refund_look_destructive(live_server, till, page):
    till.open_shift()
    sale = till.sell()
    sign_in(page, live_server, "quanly.coop-01")
    page.wait_for_url("**/home")
    page.goto(f"{live_server}/sales/{sale['id']}")
    style = """(el) => { const s = getComputedStyle(el);
                         return [s.backgroundColor, s.color, s.borderTopColor]; }"""
    brand = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    reprint = page.locator("#reprint-form button[type=submit]").evaluate(style)
    assert reprint[0] == brand  # an ordinary action keeps the green primary
    for form in ("#void-form", "#refund-form"):
        background, color, border = page.locator(f"{form} button[type=submit]").evaluate(style)
        assert background != brand, form
        assert "179, 38, 30" in color + border, form  # the danger red (--bad)


def test_the_tills_z_report_names_the_cashier_not_the_username(live_server, seeded, page):
    from tests.browser.test_cashier import _sign_in_and_open_shift
    from tests.browser.test_cashier_more import _open_close_dialog_and_count

    _sign_in_and_open_shift(page, live_server)  # opens with a 500.000 ₫ float
    _open_close_dialog_and_count(page, {500_000: 1})
    page.click("#close-shift-confirm")
    page.wait_for_selector("#zreport:not([hidden])")
    report = page.locator("#zreport").inner_text()
    assert "Thu ngân COOP-01" in report and "thungan.coop-01" not in report
    screenshot(page, "till-zreport-name")
