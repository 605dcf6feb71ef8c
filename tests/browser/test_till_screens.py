"""The till as a cashier meets it at 1366×768 (issue 12, "Screens"): a typed tender that
counts as it is typed, search results that offer what is on the shelf, a clear warning
when selling past the stock, a scanner burst that wins over typed letters, a finished
sale that fits the screen, and the VietQR account line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Booth
from inventory.models import Barcode, Product, StockLevel
from pos.counter_models import Sale
from tests.browser.conftest import VIETQR, screenshot, vnd
from tests.browser.test_cashier import _product_in_stock, _scan, _sign_in_and_open_shift

pytestmark = pytest.mark.browser

# Demo barcodes: "Trà rau má" is on COOP-01's shelf, "Nem chua Chí Quý Bình Chí" is not.
TRA_RAU_MA = "8936038000021"


def _not_on_shelf(app) -> tuple[str, str]:
    """(barcode, name) of a demo product COOP-01 holds none of."""
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        row = db.session.execute(
            select(Barcode.code, Product.name).join(Product, Barcode.product_id == Product.id)
            .outerjoin(StockLevel, (StockLevel.product_id == Product.id)
                       & (StockLevel.booth_id == booth.id))
            .where((StockLevel.on_hand.is_(None)) | (StockLevel.on_hand <= 0))
            .order_by(Barcode.code)).first()
    assert row is not None
    return row


def test_typed_tender_counts_without_enter(seeded, live_server, page):
    code, price, _, _ = _product_in_stock(seeded, below=300_000)
    _sign_in_and_open_shift(page, live_server)
    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")
    page.click("#pay")
    page.wait_for_selector("#payment-dialog[open]")

    page.click("#tendered")
    page.keyboard.type("2000k", delay=20)
    assert page.locator("#tendered-preview").inner_text() == "= 2.000.000 ₫"
    page.wait_for_function("() => !document.querySelector('#confirm-payment').disabled")
    assert page.locator("#pay-paid").inner_text() == "2.000.000 ₫"
    assert page.locator("#change").inner_text() == vnd(2_000_000 - price)
    screenshot(page, "till-typed-tender")

    page.click("#confirm-payment")  # a touch user finishes without a keyboard
    page.wait_for_selector("#sale-done:not([hidden])")
    number = page.locator("#sale-number").inner_text().strip()
    with seeded.app_context():
        sale = db.session.scalar(select(Sale).where(Sale.number == number))
        assert sale.change == 2_000_000 - price
        assert [(p.method, p.amount, p.tendered) for p in sale.payments] == [
            ("cash", price, 2_000_000)]


def _results(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#search-results li[data-index]",
        "items => items.map(li => ({name: li.querySelector('.result-name').textContent,"
        " text: li.textContent, selected: li.getAttribute('aria-selected') === 'true',"
        " out: li.classList.contains('is-out')}))")


def test_search_offers_names_and_shelf_stock_first(seeded, live_server, page):
    _sign_in_and_open_shift(page, live_server)
    page.click("#search")
    page.keyboard.type("nuoc mam", delay=20)
    page.wait_for_selector("#search-results li[data-index]")
    found = _results(page)
    assert found[0]["name"].startswith("Nước mắm"), found
    assert not found[0]["out"]
    assert [r["name"] for r in found if r["selected"]] == [found[0]["name"]]
    names = [r["name"] for r in found]
    assert all(n.startswith("Nước mắm") for n in names[:names.index("Mắm tép Vị Thanh")])
    screenshot(page, "till-search-nuoc-mam")

    # Nothing on the shelf matches: the list shows them, but none is pre-selected.
    page.fill("#search", "")
    page.click("#search")
    page.keyboard.type("nem chua", delay=20)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#search-results .result-name')]"
        ".some(n => n.textContent.startsWith('Nem chua'))")
    found = _results(page)
    assert [r["name"] for r in found] == ["Nem chua Chí Quý Bình Chí"]
    assert found[0]["out"] and not found[0]["selected"]


def test_selling_past_the_stock_is_allowed_and_loud(seeded, live_server, page):
    code, name = _not_on_shelf(seeded)
    _sign_in_and_open_shift(page, live_server)
    _scan(page, code)
    row = page.locator("#cart tbody tr")
    row.wait_for()
    warning = row.locator(".line-stock-warning")
    assert warning.is_visible()
    assert "Hết hàng" in warning.inner_text()
    assert page.locator("#status").get_attribute("data-kind") == "warn"
    assert name in page.locator("#status").inner_text()
    assert "Hết hàng" in page.locator("#status").inner_text()
    screenshot(page, "till-out-of-stock")
    assert not page.locator("#pay").is_disabled()  # the counter never blocks the sale


def test_scanner_burst_wins_over_typed_letters(seeded, live_server, page):
    _sign_in_and_open_shift(page, live_server)
    page.click("#search")
    page.keyboard.type("tr", delay=120)  # a person types "tra"; the scanner follows "a"
    page.keyboard.type("a" + TRA_RAU_MA, delay=3)  # within milliseconds
    page.keyboard.press("Enter")
    page.wait_for_selector("#cart tbody tr")
    assert page.locator("#cart tbody tr .line-name").inner_text() == "Trà rau má"
    assert page.locator("#search").input_value() == ""
    assert page.locator("#cart tbody tr").count() == 1


@pytest.mark.parametrize("lost", [4, 13], ids=["first-keys", "every-key"])
def test_a_scan_whose_text_never_reached_the_focused_field_still_sells(
        seeded, live_server, page, lost):
    """Just after a dialog closes, Chromium may keep the scan field focused in name only
    until the till refocuses it: the first keys arrive, their text does not (seen in CI:
    the code was looked up without its first four digits). Here the text of the first
    ``lost`` keys is held back on purpose, and the burst still lands in the cart."""
    _sign_in_and_open_shift(page, live_server)
    page.evaluate("""lost => { let n = 0; document.getElementById('scan').addEventListener(
        'keydown', e => { if (e.key.length === 1 && n++ < lost) e.preventDefault(); }); }""",
                  lost)
    _scan(page, TRA_RAU_MA)
    page.wait_for_selector("#cart tbody tr")
    assert page.locator("#cart tbody tr .line-name").inner_text() == "Trà rau má"
    assert page.locator("#scan").input_value() == ""


def test_finished_sale_fits_the_screen_and_the_receipt_opens_full_size(
        seeded, live_server, page):
    code, price, _, _ = _product_in_stock(seeded, below=50_000)
    _sign_in_and_open_shift(page, live_server)
    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")
    page.keyboard.press("F4")
    page.wait_for_selector("#payment-dialog[open]")
    page.click('[data-tender="100000"]')
    page.click("#confirm-payment")
    page.wait_for_selector("#sale-done:not([hidden])")
    page.wait_for_selector("#receipt-open:not([hidden])")
    screenshot(page, "till-sale-done")

    for selector in ("#reprint", "#sale-done-close", "#receipt-open"):
        box = page.locator(selector).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 768, (selector, box)
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 768

    page.click("#receipt-open")
    page.wait_for_selector("#receipt-dialog[open]")
    size = page.eval_on_selector(
        "#receipt-full", "img => ({w: img.getBoundingClientRect().width, n: img.naturalWidth})")
    assert size["n"] > 0 and size["w"] >= size["n"] * 0.99, size
    screenshot(page, "till-receipt-full")
    page.keyboard.press("Escape")
    page.wait_for_selector("#receipt-dialog:not([open])", state="attached")


def test_vietqr_shows_the_account_it_pays_into(seeded, live_server, page):
    code, price, _, _ = _product_in_stock(seeded, below=300_000)
    _sign_in_and_open_shift(page, live_server)
    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")
    page.click("#pay")
    page.wait_for_selector("#payment-dialog[open]")
    page.click("#method-transfer")
    page.wait_for_selector("#vietqr svg")
    page.wait_for_function("() => document.querySelector('#vietqr-account').textContent")
    account = page.locator("#vietqr-account").inner_text()
    assert "Vietcombank" in account
    assert VIETQR["OCOP_VIETQR_ACCOUNT"] in account
    assert VIETQR["OCOP_VIETQR_NAME"] in account
    screenshot(page, "till-vietqr-account")
