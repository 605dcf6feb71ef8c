"""More of the cashier's screen in a real browser: a lost answer, a scan into the search
field, closing the shift on a blind count, cash in/out, and the printer indicator."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Booth
from pos.counter_models import DENOMINATIONS, CashMovement, Payment, Sale, Shift
from pos.demo import DEMO_PASSWORD
from receipts.models import PrintJob
from tests.browser.conftest import screenshot, vnd
from tests.browser.test_cashier import _product_in_stock, _scan, _sign_in_and_open_shift

pytestmark = pytest.mark.browser

MANAGER = "quanly.coop-01"


def _sell_for_cash(page, code: str, price: int) -> str:
    """Scan one item, take 100.000 ₫ in cash, and return the sale's number."""
    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")
    page.keyboard.press("F4")
    page.wait_for_selector("#payment-dialog[open]")
    page.click('[data-tender="100000"]')
    change = 100_000 - price
    page.wait_for_function(
        f"() => document.querySelector('#change').textContent.replace(/\\D/g, '') === '{change}'")
    page.click("#confirm-payment")
    page.wait_for_selector("#sale-done:not([hidden])")
    return page.locator("#sale-number").inner_text().strip()


def _open_shift_in_db(app) -> tuple[str, int]:
    """The open shift's id and the cash the drawer should hold: float + cash takings."""
    with app.app_context():
        shift = db.session.scalar(select(Shift).where(Shift.status == "open"))
        cash = db.session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0))
            .join(Sale, Payment.sale_id == Sale.id)
            .where(Sale.shift_id == shift.id, Sale.kind == "sale", Sale.status == "completed",
                   Payment.method == "cash"))
        return shift.id, shift.opening_float + int(cash)


def _count_in_notes(amount: int) -> dict[int, int]:
    """The fewest notes that make ``amount`` (the demo's prices are multiples of 5.000)."""
    assert amount % 500 == 0
    notes = {}
    for value in DENOMINATIONS:
        notes[value], amount = divmod(amount, value)
    return {value: n for value, n in notes.items() if n}


def _open_close_dialog_and_count(page, notes: dict[int, int]):
    page.keyboard.press("F9")
    page.wait_for_selector("#close-shift-dialog[open]")
    page.wait_for_function("() => document.activeElement.dataset.denomination === '500000'")
    for value, n in notes.items():
        page.fill(f'[data-denomination="{value}"]', str(n))
    total = sum(value * n for value, n in notes.items())
    page.wait_for_function(
        f"() => document.querySelector('#counted-total').textContent.replace(/\\D/g, '') "
        f"=== '{total}'")


def test_lost_answer_keeps_the_cart_and_the_retry_makes_one_sale(seeded, live_server, page):
    code, price, _, _ = _product_in_stock(seeded, below=50_000)
    bodies = []

    def flaky_network(route):
        if route.request.method != "POST":
            route.continue_()
            return
        bodies.append(route.request.post_data_json)
        if len(bodies) == 1:
            route.abort()  # the first attempt never reaches the booth
        else:
            route.continue_()

    _sign_in_and_open_shift(page, live_server)
    page.route("**/api/v1/sales", flaky_network)
    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")
    page.keyboard.press("F4")
    page.wait_for_selector("#payment-dialog[open]")
    page.click("#tender-exact")
    page.click("#confirm-payment")

    page.wait_for_selector("#status.is-error #retry-now")
    assert "Mất kết nối" in page.locator("#status").inner_text()
    assert "Đơn vẫn được giữ" in page.locator("#status").inner_text()
    assert page.locator("#cart tbody tr").count() == 1
    screenshot(page, "cashier-retry")

    page.wait_for_selector("#sale-done:not([hidden])")  # the automatic retry got through
    number = page.locator("#sale-number").inner_text().strip()
    assert len(bodies) == 2 and bodies[0] == bodies[1]

    with seeded.app_context():
        sales = db.session.scalars(select(Sale)).all()
        assert [(sale.id, sale.number, sale.total) for sale in sales] == [
            (bodies[0]["id"], number, price)]


def test_scan_while_the_search_field_has_focus(seeded, live_server, page):
    code, price, _, product_id = _product_in_stock(seeded, below=300_000)
    _sign_in_and_open_shift(page, live_server)
    label = page.locator("#shift-info").inner_text()
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    times = {now.strftime("%H:%M"), (now - timedelta(minutes=1)).strftime("%H:%M")}
    match = re.fullmatch(r"Ca mở lúc (\d\d:\d\d) · quỹ đầu ca 500\.000 ₫", label)
    assert match and match.group(1) in times, label  # Thanh Hóa's clock, no UUID
    assert page.locator("#printer-state").inner_text() == "Máy in: chưa cấu hình"

    page.click("#search")
    page.keyboard.type(code, delay=3)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#cart tbody tr[data-product-id="{product_id}"]')
    page.wait_for_timeout(300)  # let a stray search answer arrive, if there were one
    assert page.locator("#search").input_value() == ""
    assert page.locator("#cart tbody tr").count() == 1
    assert page.locator("#total").inner_text() == vnd(price)
    screenshot(page, "cashier-scan-into-search")


def test_close_shift_on_an_exact_blind_count(seeded, live_server, page):
    code, price, _, _ = _product_in_stock(seeded, below=50_000)
    _sign_in_and_open_shift(page, live_server)
    _sell_for_cash(page, code, price)
    shift_id, expected = _open_shift_in_db(seeded)

    page.keyboard.press("F9")
    page.wait_for_selector("#close-shift-dialog[open]")
    dialog_text = page.locator("#close-shift-dialog").inner_text()
    assert vnd(expected) not in dialog_text  # blind: the expected cash is not shown
    assert shift_id not in dialog_text
    page.click("#close-count [data-close]")
    _open_close_dialog_and_count(page, _count_in_notes(expected))
    assert page.locator("#counted-total").inner_text() == vnd(expected)
    screenshot(page, "cashier-close-count")
    page.click("#close-shift-confirm")

    page.wait_for_selector("#zreport:not([hidden])")
    assert page.locator("#zreport-difference").inner_text() == "0 ₫"
    assert vnd(expected) in page.locator("#zreport-expected").inner_text()
    assert vnd(expected) in page.locator("#zreport-counted").inner_text()
    assert vnd(price) in page.locator("#zreport-cash").inner_text()
    assert "1 đơn" in page.locator("#zreport-sales").inner_text()
    assert page.locator("#zreport [data-vat-rate]").count() >= 1
    screenshot(page, "cashier-zreport")
    assert page.locator("#shift-info").inner_text() == "Chưa mở ca"

    with seeded.app_context():
        shift = db.session.get(Shift, shift_id)
        assert (shift.status, shift.counted_cash, shift.difference) == ("closed", expected, 0)
        assert shift.approved_by_id is None

    page.click("#zreport-print")
    page.wait_for_selector("#zreport-message.is-warn")  # no printer here: use the PDF
    page.click("#zreport-done")
    page.wait_for_selector("#close-shift-dialog:not([open])", state="attached")

    # The next sale asks for a new shift first.
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan'")
    _scan(page, code)
    page.wait_for_selector("#cart tbody tr")
    page.keyboard.press("F4")
    page.wait_for_selector("#open-shift-dialog[open]")


def test_close_shift_short_needs_a_manager(seeded, live_server, page):
    code, price, _, _ = _product_in_stock(seeded, below=50_000)
    _sign_in_and_open_shift(page, live_server)
    _sell_for_cash(page, code, price)
    shift_id, expected = _open_shift_in_db(seeded)
    counted = expected - 100_000

    _open_close_dialog_and_count(page, _count_in_notes(counted))
    page.click("#close-shift-confirm")
    page.wait_for_selector("#close-approval:not([hidden])")
    assert "cần quản lý duyệt" in page.locator("#close-shift-error").inner_text()
    assert page.locator("#close-note-required").is_visible()
    assert page.locator("#zreport").is_hidden()

    page.fill("#approver-username", MANAGER)
    page.fill("#approver-password", "sai-mat-khau")
    page.fill("#close-note", "Thiếu 100.000 ₫, đã báo quản lý")
    page.press("#approver-password", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#close-shift-error').textContent.includes('không đúng')")
    assert page.locator("#approver-password").input_value() == ""
    assert page.locator("#zreport").is_hidden()
    page.fill("#approver-password", DEMO_PASSWORD)
    screenshot(page, "cashier-close-approval")
    page.press("#approver-password", "Enter")

    page.wait_for_selector("#zreport:not([hidden])")
    assert page.locator("#zreport-difference").inner_text() == "\u2212100.000 ₫"
    assert "is-short" in page.locator(".zreport-diff").get_attribute("class")
    assert MANAGER in page.locator("#zreport").inner_text()
    screenshot(page, "cashier-zreport-short")

    with seeded.app_context():
        shift = db.session.get(Shift, shift_id)
        assert (shift.status, shift.counted_cash, shift.difference) == ("closed", counted, -100_000)
        assert shift.approved_by.username == MANAGER
        assert shift.note == "Thiếu 100.000 ₫, đã báo quản lý"


def test_cash_out_of_the_drawer_with_a_reason(seeded, live_server, page):
    _sign_in_and_open_shift(page, live_server)
    page.click("#cash-move-open")
    page.wait_for_selector("#cash-move[open]")
    page.select_option("#cash-move-kind", "out")
    page.fill("#cash-move-amount", "50k")
    assert page.locator("#cash-move-preview").inner_text() == "= 50.000 ₫"
    page.fill("#cash-move-reason", "Mua túi đựng hàng")
    page.press("#cash-move-reason", "Enter")
    page.wait_for_selector("#cash-move:not([open])", state="attached")
    assert "rút khỏi két 50.000 ₫" in page.locator("#status").inner_text()

    with seeded.app_context():
        moves = db.session.scalars(select(CashMovement)).all()
        assert [(m.kind, m.amount, m.reason) for m in moves] == [
            ("out", 50_000, "Mua túi đựng hàng")]


def test_printer_indicator_shows_a_failed_receipt_and_retries_it(seeded, live_server, page):
    from receipts.printers import PrintSettings
    from receipts.queue import run_print_queue

    seeded.config["OCOP_PRINTER"] = "escpos+network://127.0.0.1:9"  # nothing listens there
    code, price, _, _ = _product_in_stock(seeded, below=50_000)
    _sign_in_and_open_shift(page, live_server)
    number = _sell_for_cash(page, code, price)
    page.wait_for_selector('#printer-state[data-state="busy"]')
    assert page.locator("#printer-state").inner_text() == "Máy in: đang in (1)"

    with seeded.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        tried = run_print_queue(db.session, booth=booth,
                                settings=PrintSettings.from_config(seeded.config), timeout=1)
        assert [job.state for job in tried] == ["failed"]
        job_id = tried[0].id

    page.click("#printer-state")
    page.wait_for_selector('#printer-state[data-state="error"]')
    assert page.locator("#printer-state").inner_text() == "Máy in: lỗi (1)"
    job = page.locator(f'#printer-jobs li[data-job-id="{job_id}"]')
    assert number in job.inner_text()
    assert "127.0.0.1:9" in job.inner_text() and "Đã thử 1 lần" in job.inner_text()
    screenshot(page, "cashier-printer-error")

    page.click(f'[data-retry-job="{job_id}"]')
    page.wait_for_selector('#printer-state[data-state="busy"]')
    with seeded.app_context():
        job = db.session.get(PrintJob, job_id)
        assert (job.state, job.attempts) == ("pending", 0)
