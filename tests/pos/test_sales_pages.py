"""The “Hóa đơn” pages: the day's receipts, one receipt, and the manager's refund, void
and reprint buttons, through the browser-facing forms (session cookie + CSRF)."""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, User
from core.money import format_vnd
from pos.counter_models import Sale
from pos.demo import DEMO_PASSWORD
from pos.sale_history import list_sales, today
from receipts.models import PrintJob
from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.pos.test_counter_support import make_till

MANAGER, CASHIER, CASHIER2 = "quanly.coop-01", "thungan.coop-01", "thungan2.coop-01"
FLASH = re.compile(r'<div class="flash (\w+)" role="alert">([^<]+)</div>')


@pytest.fixture
def till(app):
    return make_till(app)  # demo booth; the manager and cashier 2 use TEST_PASSWORD


@pytest.fixture
def manager(till, client):
    login(client, MANAGER, TEST_PASSWORD)
    return client


def flashes(client, path: str) -> list[tuple[str, str]]:
    """The flashed messages a page shows (and so consumes)."""
    page = client.get(path).get_data(as_text=True)
    return [(kind, html_lib.unescape(text)) for kind, text in FLASH.findall(page)]


def refund_form(client, sale_id: str) -> dict[str, str]:
    """The refund form as the sale page renders it: hidden fields and empty quantities."""
    page = client.get(f"/sales/{sale_id}").get_data(as_text=True)
    form = page[page.index('id="refund-form"'):]
    form = form[:form.index("</form>")]
    fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form))
    fields.update({name: "" for name in re.findall(r'name="(lines-\d+-qty)"', form)})
    return fields


def post_refund(client, sale: dict, qty: dict[int, int], *, reason="Khách trả hàng",
                method="original"):
    data = refund_form(client, sale["id"])
    for key, value in list(data.items()):
        match = re.fullmatch(r"lines-(\d+)-product_id", key)
        if match and int(value) in qty:
            data[f"lines-{match.group(1)}-qty"] = str(qty[int(value)])
    data |= {"reason": reason, "method": method}
    return client.post(f"/sales/{sale['id']}/refund", data=data,
                       headers={"Referer": f"http://localhost/sales/{sale['id']}"})


def sale_count(till) -> int:
    return till.snapshot()["sale"]


def test_the_list_shows_the_days_receipts_with_totals_in_dong(till, manager):
    till.open_shift()
    a, b = till.products[0], till.products[1]
    first = till.sell([{"product_id": a["id"], "qty": 2}])
    second = till.sell([{"product_id": b["id"], "qty": 1}],
                       [{"method": "transfer", "amount": b["price"]}])

    page = manager.get("/sales")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Hóa đơn" in html and 'href="/sales"' in html  # the menu entry
    for sale in (first, second):
        assert f'href="/sales/{sale["id"]}">{sale["number"]}</a>' in html
        assert format_vnd(sale["total"]) in html
    assert re.search(r"\d{1,3}(\.\d{3})+ ₫", html)
    assert html.index(second["number"]) < html.index(first["number"])  # newest first
    assert "Tiền mặt" in html and "Chuyển khoản" in html and "Bán" in html
    assert "Hoàn tất" in html
    local = datetime.fromisoformat(first["created_at"]).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.strftime("%H:%M %d/%m/%Y") in html

    by_number = manager.get(f"/sales?q={first['number'][-3:]}").get_data(as_text=True)
    assert first["number"] in by_number and second["number"] not in by_number
    yesterday = (today() - timedelta(days=1)).isoformat()
    other_day = manager.get(f"/sales?day={yesterday}").get_data(as_text=True)
    assert first["number"] not in other_day and "Không có hóa đơn nào." in other_day
    assert manager.get("/sales?day=hom-nay").status_code == 422


def test_a_cashier_sees_only_their_own_sales_and_cannot_refund_or_void(till, client):
    till.open_shift()
    till.open_shift(who="cashier2")
    mine = till.sell()
    theirs = till.sell(who="cashier2")
    login(client, CASHIER2, TEST_PASSWORD)

    html = client.get("/sales").get_data(as_text=True)
    assert theirs["number"] in html and mine["number"] not in html
    assert client.get(f"/sales/{mine['id']}").status_code == 404
    page = client.get(f"/sales/{theirs['id']}").get_data(as_text=True)
    assert theirs["number"] in page and 'id="reprint-form"' in page
    assert 'id="refund-form"' not in page and 'id="void-form"' not in page

    token = csrf_token(client, f"/sales/{theirs['id']}")
    before = till.snapshot()
    refund = client.post(f"/sales/{theirs['id']}/refund", data={
        "csrf_token": token, "lines-0-product_id": str(till.products[0]["id"]),
        "lines-0-qty": "1", "reason": "x", "method": "cash"})
    void = client.post(f"/sales/{theirs['id']}/void", data={"csrf_token": token,
                                                           "reason": "x"})
    assert refund.status_code == 403 and void.status_code == 403
    assert till.snapshot() == before


def test_the_first_cashier_logs_in_with_the_demo_password_and_sees_their_sale(till, client):
    till.open_shift()
    sale = till.sell()
    login(client, CASHIER, DEMO_PASSWORD)
    assert sale["number"] in client.get("/sales").get_data(as_text=True)


def test_a_manager_refunds_one_of_two_units(till, manager):
    till.open_shift()
    a = till.products[0]
    sale = till.sell([{"product_id": a["id"], "qty": 2}])
    stock = till.on_hand(a["id"])

    response = post_refund(manager, sale, {a["id"]: 1}, method="cash")

    assert response.status_code == 303
    with till.app.app_context():
        refund = db.session.scalar(select(Sale).where(Sale.kind == "refund"))
        assert refund.refund_of_id == sale["id"]
        assert [(line.product_id, line.qty) for line in refund.lines] == [(a["id"], 1)]
        assert [p.method for p in refund.payments] == ["cash"]
        assert refund.reason == "Khách trả hàng"
        refund_id, refund_number, refund_total = refund.id, refund.number, refund.total
        job = db.session.scalar(select(PrintJob).where(PrintJob.sale_id == refund.id))
        assert job is not None and not job.reprint
        db.session.remove()
    assert response.location.endswith(f"/sales/{refund_id}")
    assert till.on_hand(a["id"]) == stock + 1

    refund_page = manager.get(f"/sales/{refund_id}").get_data(as_text=True)
    assert ("info", f"Đã hoàn {format_vnd(refund_total)} – phiếu hoàn {refund_number} "
            "đang được in.") in [(k, html_lib.unescape(t)) for k, t in FLASH.findall(refund_page)]
    assert "Phiếu hoàn" in refund_page and f'href="/sales/{sale["id"]}"' in refund_page

    page = manager.get(f"/sales/{sale['id']}").get_data(as_text=True)
    assert f'<td class="num" data-left="{a["id"]}">1</td>' in page
    assert refund_number in page and f'src="/sales/{sale["id"]}/receipt.png"' in page
    assert 'id="void-form"' not in page  # a refunded sale can no longer be voided
    listing = manager.get("/sales").get_data(as_text=True)
    assert refund_number in listing and "Hoàn</td>" in listing


def test_refunding_more_than_is_left_is_flashed_and_writes_nothing(till, manager):
    till.open_shift()
    a = till.products[0]
    sale = till.sell([{"product_id": a["id"], "qty": 2}])
    assert post_refund(manager, sale, {a["id"]: 1}).status_code == 303
    before = till.snapshot()

    response = post_refund(manager, sale, {a["id"]: 2})

    assert response.status_code == 303
    assert response.location.endswith(f"/sales/{sale['id']}")
    assert ("error", "Chỉ còn hoàn được 1.") in flashes(manager, f"/sales/{sale['id']}")
    assert till.snapshot() == before
    assert sale_count(till) == 2 and till.on_hand(a["id"]) == before["levels"][a["id"]]

    post_refund(manager, sale, {a["id"]: 1}, reason="  ")
    assert ("error", "Cần ghi lý do hoàn tiền.") in flashes(manager, f"/sales/{sale['id']}")
    post_refund(manager, sale, {a["id"]: "-1"})
    assert ("error", "Số lượng hoàn phải là số nguyên từ 0 đến 999.") in flashes(
        manager, f"/sales/{sale['id']}")
    assert till.snapshot() == before


def test_void_needs_a_reason_and_works_while_the_shift_is_open(till, manager):
    till.open_shift()
    a = till.products[0]
    stock = till.on_hand(a["id"])
    sale = till.sell([{"product_id": a["id"], "qty": 2}])
    page = manager.get(f"/sales/{sale['id']}").get_data(as_text=True)
    assert 'id="void-form"' in page and 'id="refund-form"' in page
    token = csrf_token(manager, f"/sales/{sale['id']}")
    before = till.snapshot()

    empty = manager.post(f"/sales/{sale['id']}/void", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 303
    assert ("error", "Cần ghi lý do hủy.") in flashes(manager, f"/sales/{sale['id']}")
    assert till.snapshot() == before

    done = manager.post(f"/sales/{sale['id']}/void",
                        data={"csrf_token": token, "reason": "Quét nhầm"})
    assert done.status_code == 303 and done.location.endswith(f"/sales/{sale['id']}")
    page = manager.get(f"/sales/{sale['id']}").get_data(as_text=True)
    assert f"Đã hủy hóa đơn {sale['number']}." in html_lib.unescape(page)
    assert 'id="void-details"' in page and "Quét nhầm" in page
    assert f'<td class="num" data-left="{a["id"]}">0</td>' in page
    assert 'id="void-form"' not in page and 'id="refund-form"' not in page
    assert till.on_hand(a["id"]) == stock
    assert "Đã hủy" in manager.get("/sales").get_data(as_text=True)


def test_void_is_refused_once_the_shift_is_closed(till, manager):
    shift = till.open_shift(opening_float=0)
    sale = till.sell()
    closed = till.post(f"/shifts/{shift['id']}/close", {"counted_cash": sale["total"]})
    assert closed.status_code == 200, closed.get_json()
    page = manager.get(f"/sales/{sale['id']}").get_data(as_text=True)
    assert 'id="void-form"' not in page
    token = csrf_token(manager, f"/sales/{sale['id']}")
    before = till.snapshot()

    response = manager.post(f"/sales/{sale['id']}/void",
                            data={"csrf_token": token, "reason": "Muộn"},
                            headers={"Referer": f"http://localhost/sales/{sale['id']}"})

    assert response.status_code == 303
    assert ("error", "Chỉ hủy được hóa đơn khi ca bán còn mở; hãy làm phiếu hoàn.") in flashes(
        manager, f"/sales/{sale['id']}")
    assert till.snapshot() == before


def test_reprint_queues_an_audited_job_for_cashiers_and_managers(till, client):
    till.open_shift()
    sale = till.sell()
    login(client, CASHIER, DEMO_PASSWORD)
    token = csrf_token(client, f"/sales/{sale['id']}")

    response = client.post(f"/sales/{sale['id']}/reprint",
                           data={"csrf_token": token, "reason": "Khách xin thêm bản"})

    assert response.status_code == 303
    assert ("info", f"Đã gửi lệnh in lại hóa đơn {sale['number']}.") in flashes(
        client, f"/sales/{sale['id']}")
    with till.app.app_context():
        jobs = db.session.scalars(select(PrintJob).where(PrintJob.sale_id == sale["id"])
                                  .order_by(PrintJob.created_at)).all()
        assert [job.reprint for job in jobs] == [False, True]
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reprint"))
        assert audit.target_id == sale["id"] and audit.reason == "Khách xin thêm bản"
        assert audit.actor.username == CASHIER
        db.session.remove()


def test_posts_without_a_csrf_token_are_refused(till, manager):
    till.open_shift()
    sale = till.sell()
    before = till.snapshot()
    for action, data in (("refund", {"lines-0-product_id": str(till.products[0]["id"]),
                                     "lines-0-qty": "1", "reason": "x"}),
                         ("void", {"reason": "x"}), ("reprint", {})):
        response = manager.post(f"/sales/{sale['id']}/{action}", data=data)
        assert response.status_code == 400, action
    assert till.snapshot() == before
    with till.app.app_context():
        assert db.session.scalar(select(PrintJob).where(PrintJob.reprint.is_(True))) is None
        db.session.remove()


def test_the_list_pages_fifty_at_a_time_newest_first(till, session):
    till.open_shift()
    sold = [till.sell()["number"] for _ in range(3)]
    booth = session.scalar(select(Sale)).booth
    manager = session.scalar(select(User).where(User.username == MANAGER))

    first = list_sales(session, booth=booth, viewer=manager, day=today(), per_page=2)
    last = list_sales(session, booth=booth, viewer=manager, day=today(), page=9, per_page=2)

    assert (first.count, first.pages, first.page) == (3, 2, 1)
    assert [s.number for s in first.sales] == sold[:0:-1]
    assert (last.page, [s.number for s in last.sales]) == (2, sold[:1])
    assert list_sales(session, booth=booth, viewer=manager, day=None, query="%").count == 0
