"""Stocktakes as a booth manager runs them: a blind count, the differences, a commit."""

from __future__ import annotations

import re
import subprocess
import threading

import pytest
from sqlalchemy import func, select, text

from core.extensions import db
from core.models import AuditEntry, Booth, User
from core.services import create_token
from inventory.models import Barcode, Product, StockLevel, StockMove, Stocktake
from inventory.services import post_move
from pos.demo import DEMO_PASSWORD
from sync.models import OutboxEvent
from tests.browser import conftest as browser_conftest
from tests.conftest import csrf_token, login

# A message a Vietnamese manager reads carries the language's marked letters.
VIETNAMESE = re.compile("[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]")


@pytest.fixture
def api(seeded):
    """Call the API as the booth's manager (or ``as_="cashier"``)."""
    with seeded.app_context():
        tokens = {}
        for role, name in (("manager", "quanly.coop-01"), ("cashier", "thungan.coop-01")):
            user = db.session.scalar(select(User).where(User.username == name))
            tokens[role] = create_token(db.session, user=user)[1]
        db.session.commit()
    client = seeded.test_client()

    def call(method: str, url: str, json=None, as_: str = "manager"):
        return client.open(url, method=method, json=json,
                           headers={"Authorization": f"Bearer {tokens[as_]}"})

    return call


def levels(app) -> dict[int, int]:
    with app.app_context():
        return dict(db.session.execute(text(
            "SELECT product_id, on_hand FROM stock_level sl JOIN booth b ON b.id = sl.booth_id "
            "WHERE b.code = 'COOP-01'")).all())


def written(app) -> tuple[int, int, int]:
    """Stocktakes, moves and outbox events: what a failed request must leave as it was."""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Stocktake)),
                db.session.scalar(select(func.count()).select_from(StockMove)),
                db.session.scalar(select(func.count()).select_from(OutboxEvent)))


def test_a_full_count_books_each_difference_with_its_reason(seeded, api):
    before = levels(seeded)
    started = api("POST", "/api/v1/stocktakes/start", {"scope": "all"})
    assert started.status_code == 201
    body = started.get_json()
    assert body["number"] == "KK-COOP-01-00001" and body["status"] == "open"
    assert {line["product_id"] for line in body["lines"]} == set(before)
    assert all("expected" not in line for line in body["lines"])  # blind while counting
    short, over = sorted(before)[:2]
    counts = [{"product_id": pid, "counted": qty} for pid, qty in before.items()]
    assert api("POST", f"/api/v1/stocktakes/{body['id']}/counts", {"counts": counts}
               ).status_code == 200
    # Recounted: the last count wins.
    api("POST", f"/api/v1/stocktakes/{body['id']}/counts", {"counts": [
        {"product_id": short, "counted": before[short] - 2},
        {"product_id": over, "counted": before[over] + 1}]})

    report = api("GET", f"/api/v1/stocktakes/{body['id']}/differences").get_json()
    with seeded.app_context():
        price = {pid: db.session.get(Product, pid).price for pid in (short, over)}
    diffs = {row["product_id"]: (row["expected"], row["counted"], row["difference"],
                                 row["value"]) for row in report["lines"] if row["difference"]}
    assert diffs == {short: (before[short], before[short] - 2, -2, -2 * price[short]),
                     over: (before[over], before[over] + 1, 1, price[over])}
    assert report["totals"]["short_qty"] == 2 and report["totals"]["over_qty"] == 1
    assert report["totals"]["net_value"] == price[over] - 2 * price[short]

    committed = api("POST", f"/api/v1/stocktakes/{body['id']}/commit",
                    {"reason": "Kiểm kê cuối tháng"})
    assert committed.status_code == 200
    answer = committed.get_json()
    assert answer["status"] == "committed"
    assert sorted((m["product_id"], m["qty"], m["kind"]) for m in answer["moves"]) == sorted(
        [(short, -2, "count"), (over, 1, "count")])
    after = levels(seeded)
    assert after == before | {short: before[short] - 2, over: before[over] + 1}
    with seeded.app_context():
        event = db.session.scalar(select(OutboxEvent).where(
            OutboxEvent.type == "stocktake_committed"))
        assert event.payload["reason"] == "Kiểm kê cuối tháng"
        assert len(event.payload["moves"]) == 2
        audit = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "stocktake_commit"))
        assert audit.reason == "Kiểm kê cuối tháng" and audit.after["moves"] == 2
    shown = api("GET", f"/api/v1/stocktakes/{body['id']}").get_json()
    assert {line["product_id"]: line["expected"] for line in shown["lines"]}[short] == \
        before[short]  # once committed, what the books said is part of the record


def test_scanned_barcodes_count_and_the_last_count_wins(seeded, api):
    with seeded.app_context():
        product = db.session.scalar(select(Product).join(StockLevel).order_by(Product.id))
        code, pid = product.barcodes[0].code, product.id
    st = api("POST", "/api/v1/stocktakes/start", {"product_ids": [pid]}).get_json()
    for counted in (1, 2, 3):  # the count page sends the running total on each scan
        assert api("POST", f"/api/v1/stocktakes/{st['id']}/counts",
                   {"counts": [{"barcode": code, "counted": counted}]}).status_code == 200
    line = api("GET", f"/api/v1/stocktakes/{st['id']}").get_json()["lines"][0]
    assert line["counted"] == 3


def test_a_producer_stocktake_touches_only_that_producers_goods(seeded, api):
    before = levels(seeded)
    with seeded.app_context():
        product = db.session.get(Product, sorted(before)[0])
        producer_id = product.producer_id
        mine = set(db.session.scalars(select(Product.id).where(
            Product.producer_id == producer_id)))
        outsider = next(pid for pid in sorted(before) if pid not in mine)
    st = api("POST", "/api/v1/stocktakes/start", {"scope": "producer",
                                                   "producer_id": producer_id}).get_json()
    assert {line["product_id"] for line in st["lines"]} <= mine
    refused = api("POST", f"/api/v1/stocktakes/{st['id']}/counts",
                  {"counts": [{"product_id": outsider, "counted": 1}]})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "not_in_scope"
    assert "không thuộc phạm vi" in refused.get_json()["error"]["message"]
    api("POST", f"/api/v1/stocktakes/{st['id']}/counts", {"counts": [
        {"product_id": line["product_id"], "counted": 0} for line in st["lines"]]})
    assert api("POST", f"/api/v1/stocktakes/{st['id']}/commit",
               {"reason": "Kiểm hàng chủ thể"}).status_code == 200
    after = levels(seeded)
    counted = {line["product_id"] for line in st["lines"]}
    assert all(after[pid] == 0 for pid in counted if pid in after)
    assert {pid: q for pid, q in after.items() if pid not in counted} == {
        pid: q for pid, q in before.items() if pid not in counted}


@pytest.mark.parametrize(("count", "field", "code"), [
    ({"product_id": "first", "counted": -1}, "counts[0].counted", "bad_quantity"),
    ({"product_id": "first", "counted": 1.5}, "counts[0].counted", "bad_quantity"),
    ({"product_id": "first", "counted": True}, "counts[0].counted", "bad_quantity"),
    ({"product_id": "first", "counted": "3"}, "counts[0].counted", "bad_quantity"),
    ({"product_id": 999_999, "counted": 1}, "counts[0].product_id", "unknown_product"),
    ({"barcode": "8930000000002", "counted": 1}, "counts[0].barcode", "unknown_barcode"),
    ({"barcode": "8936000000005", "counted": 1}, "counts[0].barcode", "bad_check_digit"),
    ({"counted": 1}, "counts[0]", "invalid"),
])
def test_a_bad_count_is_refused_in_vietnamese_and_writes_nothing(seeded, api, count, field,
                                                                 code):
    st = api("POST", "/api/v1/stocktakes/start", {"scope": "all"}).get_json()
    first = st["lines"][0]["product_id"]
    count = {k: (first if v == "first" else v) for k, v in count.items()}
    good = {"product_id": first, "counted": 4}
    response = api("POST", f"/api/v1/stocktakes/{st['id']}/counts",
                   {"counts": [count, good]})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["field"], error["code"]) == (field, code)
    assert VIETNAMESE.search(error["message"]), error["message"]
    lines = api("GET", f"/api/v1/stocktakes/{st['id']}").get_json()["lines"]
    assert all(line["counted"] is None for line in lines)  # the good count went nowhere


def test_a_committed_stocktake_takes_no_more_counts_and_no_second_commit(seeded, api):
    pid = sorted(levels(seeded))[0]
    st = api("POST", "/api/v1/stocktakes/start", {"product_ids": [pid]}).get_json()
    no_reason = api("POST", f"/api/v1/stocktakes/{st['id']}/commit", {"reason": "  "})
    assert no_reason.status_code == 422
    assert no_reason.get_json()["error"]["code"] == "missing_reason"
    uncounted = api("POST", f"/api/v1/stocktakes/{st['id']}/commit", {"reason": "Kiểm"})
    assert uncounted.status_code == 422
    assert uncounted.get_json()["error"]["code"] == "line_not_counted"
    api("POST", f"/api/v1/stocktakes/{st['id']}/counts",
        {"counts": [{"product_id": pid, "counted": 1}]})
    assert api("POST", f"/api/v1/stocktakes/{st['id']}/commit",
               {"reason": "Kiểm"}).status_code == 200
    state = written(seeded)
    again = api("POST", f"/api/v1/stocktakes/{st['id']}/commit", {"reason": "Kiểm"})
    late = api("POST", f"/api/v1/stocktakes/{st['id']}/counts",
               {"counts": [{"product_id": pid, "counted": 9}]})
    for response in (again, late):
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "stocktake_closed"
        assert "đã chốt" in response.get_json()["error"]["message"]
    assert written(seeded) == state


def test_counting_is_for_staff_the_differences_and_commit_for_managers(seeded, api):
    st = api("POST", "/api/v1/stocktakes/start", {"scope": "all"}).get_json()
    pid = st["lines"][0]["product_id"]
    assert api("POST", f"/api/v1/stocktakes/{st['id']}/counts",
               {"counts": [{"product_id": pid, "counted": 2}]}, as_="cashier").status_code == 200
    assert api("GET", f"/api/v1/stocktakes/{st['id']}/differences",
               as_="cashier").status_code == 403
    assert api("POST", f"/api/v1/stocktakes/{st['id']}/commit", {"reason": "x"},
               as_="cashier").status_code == 403


def test_the_one_shot_stocktake_is_idempotent_on_its_id(seeded, api):
    before = levels(seeded)
    pid = sorted(before)[0]
    body = {"id": "5b0c4a52-7f43-4c1b-9a59-2d1f4bbd0d01",
            "counts": [{"product_id": pid, "counted": before[pid] + 5}]}
    first = api("POST", "/api/v1/stocktakes", body)
    assert first.status_code == 201
    assert first.get_json()["status"] == "committed"
    assert [(m["product_id"], m["qty"]) for m in first.get_json()["moves"]] == [(pid, 5)]
    state = written(seeded)
    again = api("POST", "/api/v1/stocktakes", body)
    assert again.status_code == 200 and again.get_json()["number"] == first.get_json()["number"]
    assert written(seeded) == state and levels(seeded)[pid] == before[pid] + 5
    reused = api("POST", "/api/v1/stocktakes", body | {"counts": [
        {"product_id": pid, "counted": 1}]})
    assert reused.status_code == 409 and reused.get_json()["error"]["code"] == "id_reused"
    bad = api("POST", "/api/v1/stocktakes", {"counts": [{"product_id": pid, "counted": -3}]})
    assert bad.status_code == 422 and written(seeded) == state


def test_the_count_sheet_lists_the_products_but_never_the_books(seeded, api, tmp_path):
    pid = sorted(levels(seeded))[0]
    with seeded.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        product = db.session.get(Product, pid)
        post_move(db.session, booth=booth, product=product, qty=7777, kind="receive")
        db.session.commit()
        name, code, barcode = product.name, product.code, product.barcodes[0].code
    st = api("POST", "/api/v1/stocktakes/start", {"scope": "all"}).get_json()
    response = api("GET", f"/stocktakes/{st['id']}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(response.data)
    sheet = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                           capture_output=True, text=True).stdout
    assert "PHIẾU KIỂM KÊ" in sheet and st["number"] in sheet and "Số đếm" in sheet
    assert code in sheet and barcode in sheet
    assert " ".join(name.split()[:2]) in " ".join(sheet.split())
    assert "7777" not in sheet and "7.777" not in sheet


def test_a_manager_counts_and_commits_through_the_pages(seeded, client):
    login(client, "quanly.coop-01", DEMO_PASSWORD)
    token = csrf_token(client, "/stocktakes")
    started = client.post("/stocktakes", data={"scope": "products", "csrf_token": token,
                                               "product_codes": "OCOP-TH-0004"})
    assert started.status_code == 303
    page = client.get(started.location).get_data(as_text=True)
    assert 'id="scan"' in page and "Nem chua Chí Quý Bình Chí" in page
    assert 'data-lookup="/api/v1/products/by-barcode/"' in page
    with seeded.app_context():
        st = db.session.scalar(select(Stocktake))
        pid = st.lines[0].product_id
        on_hand = db.session.get(StockLevel, (st.booth_id, pid))
        expected = on_hand.on_hand if on_hand else 0
    bad = client.post(f"/stocktakes/{st.id}/counts", data={"csrf_token": token,
                                                            f"counted-{pid}": "2,5"},
                      headers={"Referer": f"/stocktakes/{st.id}"}, follow_redirects=True)
    assert "không phải số nguyên" in bad.get_data(as_text=True)  # back on the count page
    client.post(f"/stocktakes/{st.id}/counts", data={"csrf_token": token,
                                                      f"counted-{pid}": str(expected + 3)})
    report = client.get(f"/stocktakes/{st.id}/differences").get_data(as_text=True)
    assert "+3" in report and "Chốt kiểm kê" in report
    done = client.post(f"/stocktakes/{st.id}/commit", data={"csrf_token": token,
                                                             "reason": "Đếm lại kệ nem"},
                       follow_redirects=True)
    assert "Đã chốt phiếu kiểm kê" in done.get_data(as_text=True)
    assert levels(seeded)[pid] == expected + 3


@pytest.fixture
def browser_page(seeded):
    """The seeded booth served by waitress, and a Chromium page (as tests/browser does)."""
    from playwright.sync_api import sync_playwright
    from waitress import create_server

    executable = browser_conftest.chromium_path()
    server = create_server(seeded, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=browser_conftest.CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        yield f"http://127.0.0.1:{server.effective_port}", context.new_page()
        context.close()
        browser.close()
    server.close()
    thread.join(timeout=5)


@pytest.mark.browser
def test_a_manager_completes_a_stocktake_by_scanning_in_a_browser(seeded, browser_page):
    live_server, page = browser_page
    with seeded.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        rows = db.session.execute(
            select(Product.id, Product.code, Barcode.code).join(Barcode)
            .join(StockLevel, (StockLevel.product_id == Product.id)
                  & (StockLevel.booth_id == booth.id))
            .where(Barcode.code.like("893%")).order_by(Product.id).limit(2)).all()
    (first, first_code, first_bar), (second, second_code, _bar) = rows

    page.goto(f"{live_server}/login?next=/stocktakes")
    page.fill("#username", "quanly.coop-01")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/stocktakes")
    page.check("input[name=scope][value=products]")
    page.fill("textarea[name=product_codes]", f"{first_code}\n{second_code}")
    page.click("button:has-text(\"Mở phiếu kiểm kê\")")
    page.wait_for_selector("#scan")
    for _ in range(3):
        page.fill("#scan", first_bar)
        page.press("#scan", "Enter")
    page.fill(f"input[name=counted-{second}]", "5")
    page.press(f"input[name=counted-{second}]", "Tab")
    page.wait_for_function(
        f"() => document.querySelector('input[name=counted-{first}]').value === '3'")
    page.fill("#scan", "8930000000002")  # a code no product carries
    page.press("#scan", "Enter")
    page.wait_for_selector("#scan-status.negative")
    assert "Không tìm thấy sản phẩm" in page.inner_text("#scan-status")
    browser_conftest.screenshot(page, "stocktake-scanned")
    page.click("text=Xem chênh lệch và chốt")
    page.wait_for_selector("input[name=reason]")
    page.fill("input[name=reason]", "Kiểm kê thử")
    page.click("button:has-text(\"Chốt kiểm kê\")")
    page.wait_for_selector("text=Đã chốt phiếu kiểm kê")
    browser_conftest.screenshot(page, "stocktake-committed")
    assert {pid: q for pid, q in levels(seeded).items() if pid in (first, second)} == {
        first: 3, second: 5}
