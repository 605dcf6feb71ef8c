"""A booth manager receives a transfer from central by scanning each item, in a real
browser; a short line stays visible as a difference."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Booth
from inventory.models import Barcode, Product, StockLevel, Transfer
from pos.demo import DEMO_PASSWORD
from sync.feeds import apply_transfers_page
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _arrived_transfer(app) -> tuple[str, list[tuple[int, str, int]]]:
    """A transfer as the booth stores it after pulling the transfers feed: two products
    with their barcodes, 3 and 2 shipped."""
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        rows = db.session.execute(
            select(Product.id, Barcode.code).join(Barcode).where(Barcode.code.like("893%"))
            .order_by(Product.id).limit(2)).all()
        page = {"next_version": 1, "has_more": False, "transfers": [{
            "id": "2f1c6f0e-9b7a-4c36-9a52-3f1d9f7f1a01", "number": "PC-COOP-01-00001",
            "status": "shipped", "shipped_at": "2026-12-01T01:00:00+00:00",
            "shipped_by": "vanphong", "note": "", "version": 1, "received_at": None,
            "received_by": "", "lines": [
                {"product_id": rows[0][0], "name": "", "qty": 3, "received": None},
                {"product_id": rows[1][0], "name": "", "qty": 2, "received": None}]}]}
        apply_transfers_page(db.session, booth=booth, page=page)
        db.session.commit()
        before = {pid: db.session.scalar(select(StockLevel.on_hand).where(
            StockLevel.booth_id == booth.id, StockLevel.product_id == pid)) or 0
            for pid, _ in rows}
    return page["transfers"][0]["id"], [(pid, code, before[pid]) for pid, code in rows]


def test_a_manager_receives_a_transfer_by_scanning(seeded, live_server, page):
    transfer_id, lines = _arrived_transfer(seeded)
    (first, first_code, first_before), (second, second_code, second_before) = lines

    page.goto(f"{live_server}/login?next=/transfers")
    page.fill("#username", "quanly.coop-01")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/transfers")
    page.click("text=PC-COOP-01-00001")
    page.wait_for_selector("#receive-scan")
    for code in (first_code, first_code, first_code, second_code, "8930000000007"):
        page.fill("#receive-scan", code)
        page.press("#receive-scan", "Enter")
    assert page.inner_text("#receive-scan-status") == (
        "Mã 8930000000007 không có trong phiếu chuyển này.")
    assert page.input_value(f"input[name=received-{first}]") == "3"
    assert page.input_value(f"input[name=received-{second}]") == "1"  # one box missing
    screenshot(page, "receive-transfer-scanned")
    page.click("text=Xác nhận đã nhận")
    page.wait_for_selector("text=Đã nhận lúc")
    assert "-1" in page.inner_text("table.grid")
    screenshot(page, "receive-transfer-done")

    with seeded.app_context():
        transfer = db.session.get(Transfer, transfer_id)
        assert transfer.status == "discrepancy"
        assert {line.product_id: line.received for line in transfer.lines} == {
            first: 3, second: 1}
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        levels = dict(db.session.execute(select(StockLevel.product_id, StockLevel.on_hand)
                                         .where(StockLevel.booth_id == booth.id)).all())
    assert levels[first] == first_before + 3 and levels[second] == second_before + 1
