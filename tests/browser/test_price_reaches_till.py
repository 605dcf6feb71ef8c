"""The office changes a price at central in a real browser; after the booth syncs, the
cashier scanning that product at the till is charged the new price."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Booth
from inventory.models import Barcode, Product, StockLevel
from pos.demo import DEMO_PASSWORD
from sync.client import CentralClient
from tests.browser.conftest import VIETQR, screenshot, serve
from tests.sync.conftest import make_booth, make_central, register

pytestmark = pytest.mark.browser


@pytest.fixture
def servers(tmp_path):
    central = make_central(tmp_path)
    central_server, central_url = serve(central)
    booth = make_booth(tmp_path, token=register(central), central_url=central_url, **VIETQR)
    booth_server, booth_url = serve(booth)
    yield central, central_url, booth, booth_url
    for server in (central_server, booth_server):
        server.close()


def _product_on_shelf(booth):
    with booth.app_context():
        code = db.session.scalar(select(Booth.id).where(Booth.code == "COOP-01"))
        return db.session.execute(
            select(Product.id, Barcode.code, Product.price).join(Barcode)
            .join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.booth_id == code, StockLevel.on_hand > 0,
                   Barcode.code.like("893%")).order_by(Product.id)).first()


def test_a_price_changed_at_central_is_charged_at_the_till(servers, browser):
    central, central_url, booth, booth_url = servers
    product_id, barcode, old_price = _product_on_shelf(booth)
    new_price = old_price + 7_000

    office = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    office.goto(f"{central_url}/login?next=/catalog/products/{product_id}")
    office.fill("#username", "vanphong")
    office.fill("#password", DEMO_PASSWORD)
    office.click("#login-submit")
    office.wait_for_url(f"**/catalog/products/{product_id}")
    office.fill("#new-price", str(new_price))
    office.click("text=Đổi giá")
    office.wait_for_selector("#price-history >> text=Đã áp dụng")
    screenshot(office, "central-price-change")

    client = CentralClient(booth)  # what the booth's sync worker does every few seconds
    try:
        client.sync_once()
    finally:
        client.close()

    till = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    till.goto(f"{booth_url}/login?next=/pos")
    till.fill("#username", "thungan.coop-01")
    till.fill("#password", DEMO_PASSWORD)
    till.click("#login-submit")
    till.wait_for_url("**/pos")
    till.wait_for_selector("#open-shift-dialog[open]")
    till.fill("#opening-float", "500000")
    till.click("#open-shift-confirm")
    till.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan'")
    till.keyboard.type(barcode, delay=3)
    till.keyboard.press("Enter")
    till.wait_for_selector("#cart tbody tr")
    shown = f"{new_price:,}".replace(",", ".")
    assert shown in till.inner_text("#cart")
    screenshot(till, "till-new-price")
    with booth.app_context():
        assert db.session.get(Product, product_id).price == new_price
