"""Shifts: opening, cash in and out, the X/Z reports against the raw rows, closing on a
blind count, and the VietQR payload."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry
from core.money import vat_contained
from pos.counter_models import CashMovement, Payment, Sale, SaleLine, Shift
from pos.vietqr import parse_tlv
from sync.models import OutboxEvent
from tests.conftest import TEST_PASSWORD
from tests.pos.test_counter_support import till  # noqa: F401


def test_one_open_shift_per_cashier(till):  # noqa: F811
    shift = till.open_shift(opening_float=300_000)
    assert shift["status"] == "open" and shift["opening_float"] == 300_000
    assert shift["cashier"] == "thungan.coop-01" and shift["booth"] == "COOP-01"
    # The till's header names the person, not the sign-in name.
    assert shift["cashier_name"] == "Thu ngân COOP-01"
    before = till.snapshot()
    again = till.post("/shifts", {"opening_float": 0})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "shift_already_open"
    assert till.snapshot() == before
    assert till.open_shift(who="cashier2")["id"] != shift["id"]


def test_current_shift_is_null_without_one_and_blind_for_cashiers(till):  # noqa: F811
    assert till.get("/shifts/current").get_json() == {"shift": None, "report": None}
    shift = till.open_shift()
    till.sell()
    current = till.get("/shifts/current").get_json()
    assert current["shift"]["id"] == shift["id"]
    assert current["report"]["sales"]["count"] == 1
    assert current["report"]["expected_cash"] is None  # the cashier counts blind
    report = till.get(f"/shifts/{shift['id']}/report", who="manager").get_json()
    assert report["expected_cash"] == 500_000 + till.products[0]["price"]


def test_the_business_day_is_the_date_in_thanh_hoa(till, monkeypatch):  # noqa: F811
    import pos.counter

    # 18:30 UTC on the 28th is 01:30 on the 29th in Asia/Ho_Chi_Minh (UTC+7).
    monkeypatch.setattr(pos.counter, "utcnow",
                        lambda: datetime(2026, 11, 28, 18, 30, tzinfo=UTC))
    shift = till.open_shift()
    assert shift["business_day"] == "2026-11-29"
    assert shift["opened_at"] == "2026-11-28T18:30:00+00:00"


def test_bad_opening_float_is_refused(till):  # noqa: F811
    before = till.snapshot()
    for value, code in ((-1, "invalid"), ("100000", "invalid_type"), (1.5, "invalid_type"),
                        (None, "required")):
        response = till.post("/shifts", {"opening_float": value})
        assert response.status_code == 422
        assert response.get_json()["error"] == response.get_json()["error"] | {
            "code": code, "field": "opening_float"}
    assert till.snapshot() == before


def test_cash_in_and_out_need_a_reason_and_an_open_shift(till):  # noqa: F811
    shift = till.open_shift()
    path = f"/shifts/{shift['id']}/cash"
    before = till.snapshot()
    for body, field in (({"kind": "in", "amount": 100_000, "reason": " "}, "reason"),
                        ({"kind": "sideways", "amount": 1, "reason": "x"}, "kind"),
                        ({"kind": "out", "amount": 0, "reason": "x"}, "amount"),
                        ({"kind": "out", "amount": "5", "reason": "x"}, "amount")):
        response = till.post(path, body)
        assert response.status_code == 422 and response.get_json()["error"]["field"] == field
    assert till.post(path, {"kind": "in", "amount": 1, "reason": "x"},
                     who="cashier2").status_code == 403
    assert till.snapshot() == before
    moved = till.post(path, {"kind": "out", "amount": 200_000, "reason": "Nộp ngân hàng"})
    assert moved.status_code == 201 and moved.get_json()["amount"] == 200_000
    assert till.post("/shifts/nope/cash", {"kind": "in", "amount": 1, "reason": "x"}
                     ).status_code == 404


def _recompute(app, shift_id: str) -> dict:
    """The Z-report's figures summed in Python from the raw rows."""
    with app.app_context():
        session = db.session
        shift = session.get(Shift, shift_id)
        sales = session.scalars(select(Sale).where(Sale.shift_id == shift_id)).all()
        done = [s for s in sales if s.status == "completed"]
        by_method = defaultdict(int)
        gross = defaultdict(int)
        for sale in done:
            sign = 1 if sale.kind == "sale" else -1
            for payment in session.scalars(select(Payment).where(Payment.sale_id == sale.id)):
                by_method[payment.method] += sign * payment.amount
            for line in session.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id)):
                gross[line.vat_rate] += sign * line.amount
        cash_sales = sum(
            p.amount - 0 for s in done if s.kind == "sale" for p in s.payments
            if p.method == "cash")
        change_check = sum(s.change for s in done if s.kind == "sale")
        tendered = sum(p.tendered for s in done if s.kind == "sale" for p in s.payments
                       if p.method == "cash")
        assert tendered - change_check == cash_sales  # cash kept = handed over - change
        cash_refunds = sum(p.amount for s in done if s.kind == "refund" for p in s.payments
                           if p.method == "cash")
        movements = session.scalars(select(CashMovement).where(
            CashMovement.shift_id == shift_id)).all()
        cash_in = sum(m.amount for m in movements if m.kind == "in")
        cash_out = sum(m.amount for m in movements if m.kind == "out")
        result = {
            "sales": {"count": sum(1 for s in done if s.kind == "sale"),
                      "amount": sum(s.total for s in done if s.kind == "sale")},
            "refunds": {"count": sum(1 for s in done if s.kind == "refund"),
                        "amount": sum(s.total for s in done if s.kind == "refund")},
            "voids": {"count": sum(1 for s in sales if s.status == "voided"),
                      "amount": sum(s.total for s in sales if s.status == "voided")},
            "discounts": {"count": sum(1 for s in done if s.kind == "sale" and s.discount_total),
                          "amount": sum(s.discount_total for s in done if s.kind == "sale")},
            "totals_by_method": {m: by_method[m] for m in ("cash", "transfer", "card")},
            "vat_by_rate": {str(rate): {"gross": g, "vat": vat_contained(g, rate),
                                        "net": g - vat_contained(g, rate)}
                            for rate, g in sorted(gross.items())},
            "cash_in": cash_in, "cash_out": cash_out,
            "expected_cash": shift.opening_float + cash_sales + cash_in - cash_out
            - cash_refunds,
        }
        session.remove()
    return result


def test_z_report_matches_the_raw_rows(till):  # noqa: F811
    shift = till.open_shift(opening_float=1_000_000)
    a, b, c = till.products
    sales = [
        till.sell([{"product_id": a["id"], "qty": 2}],
                  [{"method": "cash", "amount": 2 * a["price"], "tendered": 2 * a["price"]
                    + 30_000}]),
        till.sell([{"product_id": b["id"], "qty": 1}],
                  [{"method": "transfer", "amount": b["price"]}]),
        till.sell([{"product_id": a["id"], "qty": 1}, {"product_id": c["id"], "qty": 3}],
                  [{"method": "card", "amount": 10_000},
                   {"method": "cash", "amount": a["price"] + 3 * c["price"]}]),
        till.sell([{"product_id": b["id"], "qty": 2, "discount": 7_000}],
                  [{"method": "cash", "amount": 2 * b["price"] - 7_000}],
                  approved_by=till.tokens["manager"]),
        till.sell([{"product_id": c["id"], "qty": 1}]),
    ]
    base = f"/shifts/{shift['id']}"
    assert till.post(base + "/cash", {"kind": "in", "amount": 200_000,
                                      "reason": "Đổi tiền lẻ"}).status_code == 201
    assert till.post(base + "/cash", {"kind": "out", "amount": 50_000,
                                      "reason": "Mua túi"}).status_code == 201
    assert till.post(f"/sales/{sales[4]['id']}/void", {"reason": "Khách đổi ý"},
                     who="manager").status_code == 200
    refund = till.post(f"/sales/{sales[2]['id']}/refund",
                       {"lines": [{"product_id": c["id"], "qty": 1}],
                        "reason": "Hàng lỗi", "method": "cash"}, who="manager")
    assert refund.status_code == 201, refund.get_json()

    x_report = till.get(base + "/report", who="manager").get_json()
    expected = _recompute(till.app, shift["id"])
    assert x_report == x_report | expected
    assert x_report["sales"]["count"] == 4 and x_report["voids"]["count"] == 1
    assert x_report["refunds"]["count"] == 1 and x_report["discounts"] == {
        "count": 1, "amount": 7_000}

    counted = expected["expected_cash"]
    notes = {}
    for value in (500_000, 200_000, 100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500):
        notes[str(value)], counted = divmod(counted, value)
    assert counted == 0  # demo prices are multiples of 500 đồng
    z_report = till.post(base + "/close", {"counted": notes}).get_json()
    assert z_report == z_report | expected
    assert z_report["status"] == "closed"
    assert z_report["counted_cash"] == expected["expected_cash"]
    assert z_report["difference"] == 0
    assert z_report["counted_denominations"] == {k: v for k, v in notes.items()}
    assert till.get(base + "/report").get_json() == z_report | {
        "counted_denominations": z_report["counted_denominations"]}

    with till.app.app_context():
        closed = db.session.scalars(select(OutboxEvent).where(
            OutboxEvent.type == "shift_closed")).one()
        manifest = closed.payload["manifest"]
        assert manifest["first_seq"] == 1 and manifest["last_seq"] == closed.seq
        assert manifest["count_by_type"] == {"shift_opened": 1, "sale_completed": 5,
                                             "cash_moved": 2, "sale_voided": 1,
                                             "sale_refunded": 1, "shift_closed": 1}
        seqs = db.session.scalars(select(OutboxEvent.seq).order_by(OutboxEvent.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1))
        db.session.remove()
    # Closed is closed: no more cash, no second close, no selling on it.
    assert till.post(base + "/close", {"counted_cash": 0}).get_json()["error"]["code"] \
        == "shift_closed"
    assert till.post(base + "/cash", {"kind": "in", "amount": 1, "reason": "x"}
                     ).status_code == 409
    assert till.sell(expect=409)["error"]["code"] == "no_open_shift"


def test_a_big_difference_needs_a_manager_and_a_note(till):  # noqa: F811
    shift = till.open_shift(opening_float=500_000)
    path = f"/shifts/{shift['id']}/close"
    before = till.snapshot()
    short = till.post(path, {"counted_cash": 400_000})
    assert short.status_code == 409
    assert short.get_json()["error"]["code"] == "needs_manager"
    # The count stays blind: no amount is given away, and the refused count is audited
    # (recounting until it fits would show), nothing else is written.
    assert not any(ch.isdigit() for ch in short.get_json()["error"]["message"])
    after = till.snapshot()
    assert after.pop("audit_entry") == before.pop("audit_entry") + 1
    assert after == before
    with till.app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "shift_count_refused"))
        assert entry.target_id == shift["id"] and entry.after["counted_cash"] == 400_000
        db.session.remove()
    before = till.snapshot()
    no_note = till.post(path, {"counted_cash": 400_000,
                               "approved_by": {"username": "quanly.coop-01",
                                               "password": TEST_PASSWORD}})
    assert no_note.status_code == 422 and no_note.get_json()["error"]["field"] == "note"
    assert till.snapshot() == before

    closed = till.post(path, {"counted_cash": 400_000, "note": "Thiếu, đã báo quản lý",
                              "approved_by": {"username": "quanly.coop-01",
                                              "password": TEST_PASSWORD}})
    assert closed.status_code == 200, closed.get_json()
    report = closed.get_json()
    assert report["difference"] == -100_000 and report["approved_by"] == "quanly.coop-01"
    assert report["note"] == "Thiếu, đã báo quản lý"


def test_a_small_difference_closes_without_approval(till):  # noqa: F811
    shift = till.open_shift(opening_float=500_000)
    report = till.post(f"/shifts/{shift['id']}/close", {"counted_cash": 550_000}).get_json()
    assert report["difference"] == 50_000 and report["approved_by"] is None


def test_threshold_comes_from_the_config(till):  # noqa: F811
    till.app.config["OCOP_CASH_DIFF_THRESHOLD"] = 0
    shift = till.open_shift(opening_float=500_000)
    response = till.post(f"/shifts/{shift['id']}/close", {"counted_cash": 500_500})
    assert response.get_json()["error"]["code"] == "needs_manager"


def test_bad_counts_are_refused(till):  # noqa: F811
    shift = till.open_shift()
    path = f"/shifts/{shift['id']}/close"
    before = till.snapshot()
    for body, field in (({"counted": {"300000": 1}}, "counted.300000"),
                        ({"counted": {"500000": -1}}, "counted.500000"),
                        ({"counted": {"500000": "1"}}, "counted.500000"),
                        ({"counted": [1]}, "counted"),
                        ({}, "counted_cash"),
                        ({"counted_cash": 1.5}, "counted_cash")):
        response = till.post(path, body)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["field"] == field, body
    assert till.post(path, {"counted_cash": 500_000}, who="cashier2").status_code == 403
    assert till.snapshot() == before


def test_vietqr_payload_needs_the_account(till):  # noqa: F811
    response = till.get("/vietqr?amount=125000&ref=COOP-01-000001")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "vietqr_not_configured"
    till.app.config.update(OCOP_VIETQR_BIN="970436", OCOP_VIETQR_ACCOUNT="0123456789",
                           OCOP_VIETQR_NAME="HTX Nông sản Thanh Hóa")
    payload = till.get("/vietqr?amount=125000&ref=COOP-01-000001").get_json()["payload"]
    fields = parse_tlv(payload)
    assert fields["54"] == "125000" and "970436" in fields["38"]
    assert parse_tlv(fields["62"])["08"] == "COOP-01-000001"
    assert till.get("/vietqr?amount=-5").status_code == 422
    assert till.get("/vietqr?amount=abc").status_code == 422
