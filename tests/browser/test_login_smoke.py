"""A cashier signs in through the real page in a real browser."""

from __future__ import annotations

import pytest

from pos.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_cashier_signs_in_through_the_login_page(live_server, page):
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    assert page.locator("h1").inner_text() == "Đăng nhập"
    screenshot(page, "login")

    page.fill("#username", "thungan.coop-01")
    page.fill("#password", "sai-mat-khau")
    page.press("#password", "Enter")
    page.wait_for_selector(".flash.error")
    assert "Sai tên đăng nhập hoặc mật khẩu." in page.locator(".flash.error").inner_text()

    page.fill("#username", "thungan.coop-01")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/pos")  # a cashier lands at the till
    page.goto(f"{live_server}/catalog")
    assert "Hàng hóa tại quầy COOP-01" in page.locator("h1").inner_text()
    assert "₫" in page.locator("#products").inner_text()
    screenshot(page, "catalog")
