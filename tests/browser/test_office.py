"""The central office in a real Chromium: the office user signs in and lands on the
reconciliation cockpit, sees the booth whose figures do not add up, drills down to the
receipts behind them, downloads a producer's settlement statement as PDF (read back with
pdftotext) and a sales report as XLSX (read back with openpyxl). Central's figures come
from real sales at a booth, through the real sync over HTTP."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from central.models import ShiftReport
from core.extensions import db
from core.money import format_vnd
from inventory.models import Product
from pos.counter import BUSINESS_TZ
from pos.demo import DEMO_PASSWORD
from sync.client import CentralClient
from tests.browser.conftest import screenshot, serve
from tests.central.test_reports import business_today, till_clock
from tests.sync.conftest import (
    close_shift,
    make_booth,
    make_central,
    open_shift,
    register,
    sell,
    stocked_products,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def office_day(tmp_path):
    """Yesterday at COOP-01: one closed shift of three receipts (cash and VietQR), synced
    to a central served over HTTP; the shift's closing report then disagrees with its
    receipts by 5.000 ₫ (set at central: the scene of a mismatch)."""
    central = make_central(tmp_path)
    server, url = serve(central)
    booth = make_booth(tmp_path, token=register(central), central_url=url)
    day = business_today() - timedelta(days=1)
    a, b, c = stocked_products(booth)
    with till_clock(datetime.combine(day, time(10), BUSINESS_TZ).astimezone(UTC)):
        shift = open_shift(booth)
        sales = [sell(booth, [(a, 2), (b, 1)]), sell(booth, [(c, 1)], method="transfer"),
                 sell(booth, [(a, 1)])]
        close_shift(booth, shift)
    client = CentralClient(booth)
    try:
        client.sync_once()
    finally:
        client.close()
    with central.app_context():
        report = db.session.get(ShiftReport, shift)
        report.report = report.report | {"net_total": report.report["net_total"] + 5_000}
        producer = db.session.get(Product, a).producer_id
        db.session.commit()
    yield {"central": central, "url": url, "day": day, "sales": sales, "shift": shift,
           "producer": producer, "products": (a, b, c)}
    server.close()


def _sign_in(page, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", "vanphong")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/cockpit")


def _pdftotext(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install -y poppler-utils")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True).stdout.decode("utf-8")
    return " ".join(out.split())


def test_the_office_drills_from_a_mismatched_booth_to_its_receipts(office_day, page):
    s = office_day
    _sign_in(page, s["url"])  # the office lands on the cockpit
    page.goto(f"{s['url']}/cockpit?day={s['day'].isoformat()}")
    row = page.locator('#reconciliation tr[data-booth="COOP-01"]')
    assert "Lệch" in row.inner_text()
    total = sum(sale["total"] for sale in s["sales"])
    assert format_vnd(total) in row.inner_text()          # recomputed from the receipts
    assert format_vnd(total + 5_000) in row.inner_text()  # what the booth reported
    assert (f"Tổng bán báo cáo {format_vnd(total + 5_000)} ≠ tính lại {format_vnd(total)}"
            in page.inner_text("#reconciliation"))
    screenshot(page, "office-cockpit")

    page.click(f"#reconciliation a[href$='/cockpit/shifts/{s['shift']}']")
    page.wait_for_url(f"**/cockpit/shifts/{s['shift']}")
    listed = page.inner_text("#shift-sales")
    for sale in s["sales"]:
        assert sale["number"] in listed and format_vnd(sale["total"]) in listed
    with s["central"].app_context():  # the rows behind the figure, by plain SQL
        numbers = db.session.scalars(text(
            "SELECT number FROM sale WHERE shift_id = :s"), {"s": s["shift"]}).all()
    assert page.locator("#shift-sales tbody tr").count() == len(numbers) == 3
    screenshot(page, "office-cockpit-shift")


def test_the_office_downloads_a_settlement_pdf_and_a_report_xlsx(office_day, page, tmp_path):
    s = office_day
    day = s["day"].isoformat()
    _sign_in(page, s["url"])

    page.goto(f"{s['url']}/settlements?producer={s['producer']}&from={day}&to={day}")
    with page.expect_download() as download:
        page.click("text=Tải PDF")
    pdf = tmp_path / "statement.pdf"
    download.value.save_as(pdf)
    words = _pdftotext(pdf)
    with s["central"].app_context():  # the producer's takings that day, by plain SQL
        gross = db.session.scalar(text(
            "SELECT sum(l.amount) FROM sale_line l JOIN sale s ON s.id = l.sale_id "
            "JOIN product p ON p.id = l.product_id WHERE s.status = 'completed' "
            "AND s.kind = 'sale' AND p.producer_id = :p"), {"p": s["producer"]})
        name = db.session.scalar(text("SELECT name FROM producer WHERE id = :p"),
                                 {"p": s["producer"]})
    assert "BẢNG QUYẾT TOÁN HÀNG KÝ GỬI" in words and "Số tiền phải trả chủ thể" in words
    assert format_vnd(int(gross)) in words
    assert " ".join(name.split()) in words

    page.goto(f"{s['url']}/reports?by=product&from={day}&to={day}")
    assert page.locator("figure.chart svg").count() == 1
    screenshot(page, "office-report-chart")
    with page.expect_download() as download:
        page.click("p.exports >> text=XLSX")
    xlsx = tmp_path / "report.xlsx"
    download.value.save_as(xlsx)
    sheet = load_workbook(xlsx).active
    head, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert head[:3] == ["Mã", "Sản phẩm", "Doanh thu thuần"]
    got = {row[0]: (row[2], row[5]) for row in rows}
    want: dict = {}
    with s["central"].app_context():  # takings and quantity per product, in Python
        for pid, qty, amount in db.session.execute(text(
                "SELECT l.product_id, l.qty, l.amount FROM sale_line l "
                "JOIN sale s ON s.id = l.sale_id WHERE s.status = 'completed'")):
            taken, sold = want.get(pid, (0, 0))
            want[pid] = (taken + amount, sold + qty)
        assert set(db.session.scalars(select(Product.id).where(
            Product.id.in_(want)))) == set(s["products"])
    assert got == want
