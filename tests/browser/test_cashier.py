"""The cashier's counter in a real browser: scan at scanner speed, take the money, and the
sale is in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Booth
from inventory.models import Barcode, Product, StockLevel
from pos.counter_models import Payment, Sale
from pos.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _product_in_stock(app, *, below: int):
    """A demo product on COOP-01's shelf cheaper than ``below``: (barcode, price, stock)."""
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        row = db.session.execute(
            select(Barcode.code, Product.price, StockLevel.on_hand, Product.id)
            .join(Product, Barcode.product_id == Product.id)
            .join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.booth_id == booth.id, StockLevel.on_hand > 2,
                   Product.price < below, Barcode.code.like("893%"))
            .order_by(Product.price.desc())).first()
    assert row is not None
    return row


def _sign_in_and_open_shift(page, base_url: str):
    page.goto(f"{base_url}/login?next=/pos")
    page.fill("#username", "thungan.coop-01")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/pos")
    page.wait_for_selector("#open-shift-dialog[open]")
    page.fill("#opening-float", "500000")
    page.click("#open-shift-confirm")
    page.wait_for_selector("#open-shift-dialog:not([open])", state="attached")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan'")


def _scan(page, code: str):
    """A keyboard-wedge scanner: the digits a few milliseconds apart, then Enter."""
    page.keyboard.type(code, delay=3)
    page.keyboard.press("Enter")


def test_scan_pay_cash_with_quick_tender(seeded, live_server, page):
    code, price, stock, product_id = _product_in_stock(seeded, below=50_000)
    _sign_in_and_open_shift(page, live_server)

    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")
    _scan(page, code)  # the same code again grows the quantity
    page.wait_for_function(
        "() => document.querySelector('#cart tbody tr') && "
        "document.querySelectorAll('#cart tbody tr').length === 1 && "
        f"document.querySelector('#total').textContent.replace(/\\D/g, '') === '{2 * price}'")
    screenshot(page, "cashier-cart")

    page.keyboard.press("F4")
    page.wait_for_selector("#payment-dialog[open]")
    page.click('[data-tender="100000"]')
    change = 100_000 - 2 * price
    page.wait_for_function(
        f"() => document.querySelector('#change').textContent.replace(/\\D/g, '') === '{change}'")
    screenshot(page, "cashier-payment")
    page.click("#confirm-payment")
    page.wait_for_selector("#sale-done:not([hidden])")
    number = page.locator("#sale-number").inner_text().strip()
    assert number.startswith("COOP-01-")
    screenshot(page, "cashier-sale-done")

    with seeded.app_context():
        sale = db.session.scalar(select(Sale).where(Sale.number == number))
        assert sale is not None and sale.total == 2 * price and sale.change == change
        assert [(line.product_id, line.qty) for line in sale.lines] == [(product_id, 2)]
        payments = db.session.scalars(select(Payment).where(Payment.sale_id == sale.id)).all()
        assert [(p.method, p.tendered) for p in payments] == [("cash", 100_000)]
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        level = db.session.get(StockLevel, (booth.id, product_id))
        assert level.on_hand == stock - 2


def test_pay_by_vietqr_transfer(seeded, live_server, page):
    code, price, _, _ = _product_in_stock(seeded, below=300_000)
    _sign_in_and_open_shift(page, live_server)
    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")

    page.click("#pay")
    page.wait_for_selector("#payment-dialog[open]")
    page.click("#method-transfer")
    page.wait_for_selector("#vietqr svg, #vietqr canvas, #vietqr img")
    amount = page.locator("#vietqr-amount").inner_text()
    assert amount.replace(".", "").replace("₫", "").strip() == str(price)
    screenshot(page, "cashier-vietqr")
    page.click("#transfer-received")
    page.click("#confirm-payment")
    page.wait_for_selector("#sale-done:not([hidden])")
    number = page.locator("#sale-number").inner_text().strip()

    with seeded.app_context():
        sale = db.session.scalar(select(Sale).where(Sale.number == number))
        assert sale.total == price and sale.change == 0
        assert [(p.method, p.amount) for p in sale.payments] == [("transfer", price)]
