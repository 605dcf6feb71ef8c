"""The cashier screen in English (?lang=en): the messages cashier.js writes come from the
page's translated #i18n dictionary, not from Vietnamese literals in the script."""

from __future__ import annotations

import re

import pytest

from pos.demo import DEMO_PASSWORD
from tests.browser.test_cashier import _product_in_stock, _scan

pytestmark = pytest.mark.browser


def test_cashier_messages_follow_the_english_page(seeded, live_server, page):
    code, price, _, _ = _product_in_stock(seeded, below=50_000)
    page.goto(f"{live_server}/login?next=/pos")
    page.fill("#username", "thungan.coop-01")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/pos")
    page.goto(f"{live_server}/pos?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"

    # The open-shift dialog (template) and the shift indicator (script) are English.
    page.wait_for_selector("#open-shift-dialog[open]")
    assert page.locator("#open-shift-title").inner_text() == "Open sales shift"
    page.wait_for_function(
        "() => document.querySelector('#shift-info').textContent === 'No shift open'")
    page.fill("#opening-float", "500000")
    page.click("#open-shift-confirm")
    page.wait_for_selector("#open-shift-dialog:not([open])", state="attached")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan'")
    assert re.fullmatch(r"Shift opened at \d\d:\d\d · opening float 500\.000 ₫",
                        page.locator("#shift-info").inner_text())

    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")
    page.keyboard.press("F4")
    page.wait_for_selector("#payment-dialog[open]")
    page.click('[data-tender="100000"]')
    change = 100_000 - price
    page.wait_for_function(
        f"() => document.querySelector('#change').textContent.replace(/\\D/g, '') === '{change}'")
    assert page.locator("#payments li span").first.inner_text() == "Cash (tendered)"
    page.click("#confirm-payment")
    page.wait_for_selector("#sale-done:not([hidden])")
    number = page.locator("#sale-number").inner_text().strip()
    assert number.startswith("COOP-01-")

    change = f"{100_000 - price:,}".replace(",", ".") + " ₫"
    status = page.locator("#status").inner_text()
    assert status == f"Sale {number} saved. Change: {change}."
    assert page.locator("#sale-done h2").inner_text().startswith("Sale saved")
    page.wait_for_function(
        "() => document.querySelector('#printer-state').textContent === 'Printer: not configured'")

    shown = page.locator("#pos-app").inner_text()
    for vietnamese in ("Đã lưu đơn", "Máy in", "Tiền thừa", "Ca mở lúc", "chưa cấu hình"):
        assert vietnamese not in shown
