"""Consignment settlements, end to end: a real booth sells, syncs to central, and every
figure of central's statement is checked against a recomputation by the test itself, from
the raw rows (plain SQL over the sale lines and stock moves, rates from what the test set,
rounding with ``Decimal``), never through the settlement code."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select, text

import pos.counter
from central.models import (
    CommissionTerm,
    HostTerm,
    ProducerReturn,
    Settlement,
    SettlementLine,
)
from central.settlements import commission
from core.extensions import db
from core.models import Booth, User
from core.money import format_vnd
from core.services import create_token
from core.types import utcnow
from inventory.models import Product, StockMove
from pos import counter
from pos.counter import BUSINESS_TZ
from pos.counter_models import Sale
from tests.sync.conftest import booth_row, open_shift, refund, sell, staff

HOST_BP = 1_000        # Co.opmart's cut
HOST_BP_LATER = 800    # from the second period on


# --- helpers ------------------------------------------------------------------------------------


def office(app) -> dict:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "vanphong"))
        token = create_token(db.session, user=user)[1]
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def today() -> date:
    return utcnow().astimezone(BUSINESS_TZ).date()


def moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), BUSINESS_TZ).astimezone(UTC)


@contextmanager
def clock(monkeypatch, when: datetime):
    """The booth's till believes it is ``when`` (sales, refunds and shifts take its time)."""
    monkeypatch.setattr(pos.counter, "utcnow", lambda: when)
    try:
        yield
    finally:
        monkeypatch.setattr(pos.counter, "utcnow", utcnow)


def producer_with_two_products(booth_app) -> tuple[int, int, int]:
    """A producer and two of its products the booth holds at least 10 of."""
    with booth_app.app_context():
        row = db.session.execute(text(
            "SELECT p.producer_id, min(p.id), max(p.id) FROM stock_level s JOIN product p "
            "ON p.id = s.product_id WHERE s.on_hand >= 10 GROUP BY p.producer_id "
            "HAVING count(*) >= 2 ORDER BY p.producer_id LIMIT 1")).one()
    return int(row[0]), int(row[1]), int(row[2])


def half_up(amount: int, bp: int) -> int:
    """The test's own rounding: Decimal, half up, away from zero for refunds."""
    value = (Decimal(abs(amount)) * bp / Decimal(10_000)).quantize(Decimal(1), ROUND_HALF_UP)
    return int(value) if amount >= 0 else -int(value)


def raw_lines(app, sale_ids: list[str]) -> list[tuple]:
    """(sale id, kind, product, qty, amount, booth code) of the completed sales named, by
    plain SQL."""
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT s.id, s.kind, l.product_id, l.qty, l.amount, b.code FROM sale_line l "
            "JOIN sale s ON s.id = l.sale_id JOIN booth b ON b.id = s.booth_id "
            "WHERE s.status = 'completed'")).all()
    return [tuple(r) for r in rows if r[0] in sale_ids]


def expected(app, rates: dict[str, dict[int, int]], host: dict[str, int],
             products: set[int]) -> dict:
    """Totals, per product and per (booth, product, rates) from the raw lines of the sales
    in ``rates`` (sale id → product → showroom rate), restricted to the producer's goods."""
    totals = {"sold": 0, "gross": 0, "showroom_commission": 0, "host_commission": 0}
    per_product: dict[int, dict] = {}
    rows: dict[tuple, dict] = {}
    for sale_id, kind, product_id, qty, amount, booth in raw_lines(app, list(rates)):
        if product_id not in products:
            continue
        sign = -1 if kind == "refund" else 1
        showroom = rates[sale_id][product_id]
        figures = {"sold": sign * qty, "gross": sign * amount,
                   "showroom_commission": half_up(sign * amount, showroom),
                   "host_commission": half_up(sign * amount, host[sale_id])}
        for target in (totals, per_product.setdefault(product_id, dict.fromkeys(totals, 0)),
                       rows.setdefault((booth, product_id, showroom, host[sale_id]),
                                       dict.fromkeys(totals, 0))):
            for key, value in figures.items():
                target[key] += value
    for target in (totals, *per_product.values(), *rows.values()):
        target["payable"] = (target["gross"] - target["showroom_commission"]
                             - target["host_commission"])
    return {"totals": totals, "products": per_product, "rows": rows}


def on_hand_by_location(app, products: set[int], end: datetime) -> dict[str, int]:
    """Every location's stock of the producer's goods at ``end``, summed from the ledger."""
    with app.app_context():
        moves = db.session.execute(select(Booth.code, StockMove.qty, StockMove.at).join(
            Booth, Booth.id == StockMove.booth_id).where(StockMove.product_id.in_(products))).all()
    held: dict[str, int] = {}
    for code, qty, at in moves:
        if at < end:
            held[code] = held.get(code, 0) + qty
    return {code: qty for code, qty in held.items() if qty}


def applied_only(app) -> bool:
    """Every event the booth sent was applied (none kept for review)."""
    with app.app_context():
        return db.session.scalar(text(
            "SELECT count(*) FROM ingested_event WHERE status <> 'applied'")) == 0


def frozen_rates(app, sale_id: str) -> list[tuple]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(text(
            "SELECT product_id, showroom_rate_bp, host_rate_bp FROM sale_line "
            "WHERE sale_id = :s ORDER BY position"), {"s": sale_id})]


def statement(app, headers, producer: int, start: date, end: date, **extra):
    return app.test_client().get("/api/v1/settlements", headers=headers, query_string={
        "producer": producer, "from": start.isoformat(), "to": end.isoformat(), **extra})


def check_figures(body: dict, want: dict) -> None:
    totals = body["totals"]
    for key, value in want["totals"].items():
        assert totals[key] == value, key
    got_products = {p["product_id"]: p for p in body["products"] if p["sold"] or p["gross"]}
    assert set(got_products) == set(want["products"])
    for pid, figures in want["products"].items():
        for key, value in figures.items():
            assert got_products[pid][key] == value, (pid, key)
    got_rows = {(r["booth"], r["product_id"], r["showroom_rate_bp"], r["host_rate_bp"]): r
                for r in body["rows"]}
    assert set(got_rows) == set(want["rows"])
    for key, figures in want["rows"].items():
        for name, value in figures.items():
            assert got_rows[key][name] == value, (key, name)
    booth_sum = sum(b["payable"] for b in body["booths"])
    assert booth_sum == totals["payable"]


def count_rows(app) -> dict:
    with app.app_context():
        return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Settlement, SettlementLine, ProducerReturn, CommissionTerm,
                              HostTerm, StockMove)}


# --- the acceptance test ------------------------------------------------------------------------


def test_two_periods_with_a_rate_change_late_lines_refunds_and_returns(pair, monkeypatch,
                                                                       tmp_path):
    central, booth = pair.central, pair.booth
    headers = office(central)
    client = central.test_client()
    producer, a, b = producer_with_two_products(booth)
    products = {a, b}
    with central.app_context():
        products |= set(db.session.scalars(select(Product.id).where(
            Product.producer_id == producer)))
    d0 = today() - timedelta(days=20)
    first = (d0, d0 + timedelta(days=4))
    second = (d0 + timedelta(days=5), today())

    def term(path: str, **body):
        response = client.post(f"/api/v1/settlement-terms/{path}", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    old = (d0 - timedelta(days=30)).isoformat()
    term("commission", producer_id=producer, rate_bp=1_500, effective_from=old)
    term("commission", producer_id=producer, product_id=b, rate_bp=1_200, effective_from=old)
    # Mid-period change: from the third day on the showroom takes 20 %.
    term("commission", producer_id=producer, rate_bp=2_000,
         effective_from=(d0 + timedelta(days=2)).isoformat())
    term("host", venue="COOP", kind="commission", rate_bp=HOST_BP, effective_from=old)
    term("host", venue="SAOMAI", kind="rent", monthly_rent=5_000_000, effective_from=old)

    with clock(monkeypatch, moment(d0, 9)):
        open_shift(booth)
    with clock(monkeypatch, moment(d0, 10)):
        s1 = sell(booth, [(a, 2), (b, 1)])
    with clock(monkeypatch, moment(d0 + timedelta(days=3), 10)):
        s2 = sell(booth, [(a, 3)], method="transfer")
    with clock(monkeypatch, moment(d0 + timedelta(days=3), 11)):
        voided = sell(booth, [(a, 1)])
        with booth.app_context():
            counter.void_sale(db.session, booth=booth_row(), actor=staff("manager"),
                              sale=db.session.get(Sale, voided["id"]), reason="Nhập nhầm")
            db.session.commit()
    with clock(monkeypatch, moment(d0 + timedelta(days=4), 15)):
        r1 = refund(booth, s1["id"], [(a, 1)])
    pair.client().sync_once()

    # A back-dated change entered after the sales arrived rewrites nothing.
    term("commission", producer_id=producer, rate_bp=5_000, effective_from=old)

    rates1 = {s1["id"]: {a: 1_500, b: 1_200}, s2["id"]: {a: 2_000}, r1["id"]: {a: 1_500}}
    host1 = dict.fromkeys(rates1, HOST_BP)
    want1 = expected(central, rates1, host1, products)
    end1 = datetime.combine(first[1] + timedelta(days=1), time(), BUSINESS_TZ)

    # A sale of the first period that only reaches central after it was paid.
    with clock(monkeypatch, moment(d0 + timedelta(days=2), 16)):
        late = sell(booth, [(a, 1)])

    response = statement(central, headers, producer, *first)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert applied_only(central)
    assert body["status"] == "preview" and body["message"] == ""
    check_figures(body, want1)
    assert want1["totals"]["sold"] == 2 + 1 + 3 - 1  # the voided sale is left out
    held = {b_["booth"]: b_["on_hand"] for b_ in body["booths"]}
    assert {k: v for k, v in held.items() if v} == on_hand_by_location(central, products, end1)

    saved = client.post("/api/v1/settlements", headers=headers, json={
        "producer_id": producer, "from": first[0].isoformat(), "to": first[1].isoformat()})
    assert saved.status_code == 201, saved.get_json()
    draft = saved.get_json()
    assert draft["status"] == "draft" and draft["totals"] == body["totals"]
    paid = client.post(f"/api/v1/settlements/{draft['id']}/pay", headers=headers, json={
        "amount": draft["totals"]["payable"], "paid_on": today().isoformat(),
        "reference": "UNC 0001"})
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "paid"
    with central.app_context():
        locked = db.session.scalar(select(func.count()).select_from(SettlementLine).where(
            SettlementLine.settlement_id == draft["id"], SettlementLine.locked.is_(True)))
    assert locked == len([1 for sid, _k, pid, *_ in raw_lines(central, list(rates1))
                          if pid in products])

    # Overlapping the paid period: refused, in Vietnamese, nothing written.
    before = count_rows(central)
    overlap = (first[1], first[1] + timedelta(days=2))
    for response in (statement(central, headers, producer, *overlap),
                     client.post("/api/v1/settlements", headers=headers, json={
                         "producer_id": producer, "from": overlap[0].isoformat(),
                         "to": overlap[1].isoformat()})):
        assert response.status_code == 409
        error = response.get_json()["error"]
        assert error["code"] == "period_settled" and "đã thanh toán" in error["message"]
    again = client.post(f"/api/v1/settlements/{draft['id']}/pay", headers=headers, json={
        "amount": draft["totals"]["payable"], "paid_on": today().isoformat(), "reference": "x"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_paid"
    assert count_rows(central) == before

    # Second period: the host's cut changes, the first sale of the period is refunded,
    # goods come in and unsold goods go back to the producer.
    term("host", venue="COOP", kind="commission", rate_bp=HOST_BP_LATER,
         effective_from=second[0].isoformat())
    r2 = refund(booth, s2["id"], [(a, 1)])         # after its period was paid
    s5 = sell(booth, [(a, 1), (b, 2)])
    pair.client().sync_once()                       # the late sale arrives with them
    intake = client.post("/api/v1/consignments", headers=headers, json={
        "producer_id": producer, "lines": [{"product_id": a, "qty": 12, "agreed_price": 1}]})
    assert intake.status_code == 201, intake.get_json()
    returned = client.post("/api/v1/producer-returns", headers=headers, json={
        "producer_id": producer, "location": "warehouse", "note": "Hàng cận hạn",
        "lines": [{"product_id": a, "qty": 5}]})
    assert returned.status_code == 201, returned.get_json()
    document = returned.get_json()
    from_booth = client.post("/api/v1/producer-returns", headers=headers, json={
        "producer_id": producer, "location": "COOP-01", "lines": [{"product_id": b, "qty": 1}]})
    assert from_booth.status_code == 422  # a booth's goods go back through the warehouse
    assert from_booth.get_json()["error"]["code"] == "return_from_warehouse"
    with central.app_context():
        moves = db.session.execute(select(StockMove.qty, StockMove.kind, Booth.code).join(
            Booth, Booth.id == StockMove.booth_id).where(
            StockMove.reference == document["number"])).all()
    assert [tuple(m) for m in moves] == [(-5, "return", "KHO-TT")]

    rates2 = {late["id"]: {a: 2_000}, r2["id"]: {a: 2_000}, s5["id"]: {a: 2_000, b: 1_200}}
    host2 = {late["id"]: HOST_BP, r2["id"]: HOST_BP, s5["id"]: HOST_BP_LATER}
    want2 = expected(central, rates2, host2, products)
    response = statement(central, headers, producer, *second)
    assert response.status_code == 200, response.get_json()
    body2 = response.get_json()
    check_figures(body2, want2)
    assert applied_only(central)
    # The rates frozen on the lines at ingest: the refund carries its original's.
    assert frozen_rates(central, s1["id"]) == [(a, 1_500, HOST_BP), (b, 1_200, HOST_BP)]
    assert frozen_rates(central, r2["id"]) == [(a, 2_000, HOST_BP)]
    assert frozen_rates(central, s5["id"]) == [(a, 2_000, HOST_BP_LATER),
                                               (b, 1_200, HOST_BP_LATER)]
    assert body2["carried"]["lines"] == 1  # the late sale; the refund is dated in this period
    assert body2["totals"]["received"] == 12
    assert body2["totals"]["returned"] == 5
    assert sorted((r["location"], r["qty"]) for r in body2["returns"]) == [("KHO-TT", 5)]
    end2 = datetime.combine(second[1] + timedelta(days=1), time(), BUSINESS_TZ)
    held = {b_["booth"]: b_["on_hand"] for b_ in body2["booths"] if b_["on_hand"]}
    assert held == on_hand_by_location(central, products, end2)
    assert held["KHO-TT"] == 12 - 5

    # The paid settlement is as it was.
    first_again = client.get(f"/api/v1/settlements/{draft['id']}", headers=headers).get_json()
    assert first_again["totals"] == body["totals"] and first_again["paid"]["reference"] == \
        "UNC 0001"

    # The statement as PDF, read back, and as CSV.
    pdf = statement(central, headers, producer, *second, format="pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    words = " ".join(pdftotext(tmp_path, pdf.data).split())
    assert "BẢNG QUYẾT TOÁN HÀNG KÝ GỬI" in words
    assert "Số tiền phải trả chủ thể" in words and "Hoa hồng điểm bán" in words
    for key in ("gross", "showroom_commission", "host_commission", "payable"):
        assert format_vnd(want2["totals"][key]) in words, key
    assert document["number"] in words
    csv_response = statement(central, headers, producer, *second, format="csv")
    table = list(csv.reader(io.StringIO(csv_response.data.decode("utf-8-sig"))))
    total_row = next(r for r in table if r and r[0] == "Tổng cộng")
    assert [int(v) for v in total_row[6:]] == [want2["totals"][k] for k in (
        "gross", "showroom_commission", "host_commission", "payable")]
    paid_pdf = client.get(f"/api/v1/settlements/{draft['id']}?format=pdf", headers=headers)
    paid_words = " ".join(pdftotext(tmp_path, paid_pdf.data).split())
    assert "Đã thanh toán" in paid_words and "UNC 0001" in paid_words


def pdftotext(tmp_path, pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install -y poppler-utils")
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")


def test_a_paid_sale_voided_afterwards_is_taken_back_in_the_next_settlement(pair, monkeypatch):
    central, booth = pair.central, pair.booth
    headers = office(central)
    client = central.test_client()
    producer, a, _b = producer_with_two_products(booth)
    day = today() - timedelta(days=3)
    client.post("/api/v1/settlement-terms/commission", headers=headers, json={
        "producer_id": producer, "rate_bp": 1_750, "effective_from": day.isoformat()})
    with clock(monkeypatch, moment(day, 9)):
        open_shift(booth)
        sale = sell(booth, [(a, 3)])
    pair.client().sync_once()
    draft = client.post("/api/v1/settlements", headers=headers, json={
        "producer_id": producer, "from": day.isoformat(), "to": day.isoformat()}).get_json()
    amount = draft["totals"]["payable"]
    assert client.post(f"/api/v1/settlements/{draft['id']}/pay", headers=headers, json={
        "amount": amount, "paid_on": today().isoformat(), "reference": "UNC 7"}).status_code == 200
    with booth.app_context():  # the shift is still open: the sale can be voided
        counter.void_sale(db.session, booth=booth_row(), actor=staff("manager"),
                          sale=db.session.get(Sale, sale["id"]), reason="Khách không lấy")
        db.session.commit()
    pair.client().sync_once()

    following = (day + timedelta(days=1), today())
    body = statement(central, headers, producer, *following).get_json()
    assert raw_lines(central, [sale["id"]]) == []  # the voided sale is no completed sale
    assert body["totals"]["sold"] == -3
    assert body["totals"]["payable"] == -amount
    assert body["carried"]["lines"] == 1
    # A negative balance cannot be paid: the producer owes it; nothing is written.
    saved = client.post("/api/v1/settlements", headers=headers, json={
        "producer_id": producer, "from": following[0].isoformat(),
        "to": following[1].isoformat()}).get_json()
    response = client.post(f"/api/v1/settlements/{saved['id']}/pay", headers=headers,
                           json={"amount": 0, "paid_on": today().isoformat(), "reference": "x"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "negative_payable"


# --- bad input ----------------------------------------------------------------------------------


def test_bad_input_gets_a_clear_vietnamese_answer_and_writes_nothing(pair):
    central = pair.central
    headers = office(central)
    client = central.test_client()
    producer, a, _b = producer_with_two_products(pair.booth)
    with central.app_context():
        other = db.session.scalar(select(Product.id).where(Product.producer_id != producer))
        quiet = db.session.scalar(select(Product.producer_id).where(
            Product.producer_id != producer))
    before = count_rows(central)
    yesterday, tomorrow = today() - timedelta(days=1), today() + timedelta(days=1)

    # A producer with no sales: a zero statement with a message; saving it is refused.
    body = statement(central, headers, quiet, yesterday, today()).get_json()
    assert body["totals"]["payable"] == 0 and body["rows"] == []
    assert "không có hàng bán" in body["message"]
    response = client.post("/api/v1/settlements", headers=headers, json={
        "producer_id": quiet, "from": yesterday.isoformat(), "to": today().isoformat()})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "nothing_to_settle"

    cases = [
        ({"producer": producer, "from": yesterday.isoformat(), "to": tomorrow.isoformat()},
         422, "future_date"),
        ({"producer": producer, "from": "2026-13-01", "to": "2026-12-31"}, 422, "bad_date"),
        ({"producer": producer, "from": "hôm qua", "to": today().isoformat()}, 422, "bad_date"),
        ({"producer": producer, "to": today().isoformat()}, 422, "required"),
        ({"producer": producer, "from": today().isoformat(), "to": yesterday.isoformat()},
         422, "bad_period"),
        ({"producer": producer, "from": "2020-01-01", "to": today().isoformat()}, 422,
         "bad_period"),
        ({"producer": 999_999, "from": yesterday.isoformat(), "to": today().isoformat()},
         404, "unknown_producer"),
        ({"producer": "abc", "from": yesterday.isoformat(), "to": today().isoformat()},
         422, "invalid"),
        ({"producer": producer, "from": yesterday.isoformat(), "to": today().isoformat(),
          "format": "xlsx"}, 422, "bad_format"),
    ]
    for params, status, code in cases:
        response = client.get("/api/v1/settlements", headers=headers, query_string=params)
        assert response.status_code == status, (params, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == code, params
        assert any(ch in error["message"] for ch in "ạảãáàâăđêếệôơưứ"), error["message"]

    posts = [
        ("/api/v1/settlements", {"producer_id": producer, "from": "01/11/2026",
                                 "to": today().isoformat()}, 422, "bad_date"),
        ("/api/v1/settlements/999/pay", {"amount": 1, "paid_on": today().isoformat(),
                                         "reference": "x"}, 404, "unknown_settlement"),
        ("/api/v1/settlement-terms/commission", {"producer_id": producer, "rate_bp": 10_001,
                                                 "effective_from": today().isoformat()},
         422, "bad_number"),
        ("/api/v1/settlement-terms/commission", {"producer_id": producer, "rate_bp": 15.5,
                                                 "effective_from": today().isoformat()},
         422, "bad_number"),
        ("/api/v1/settlement-terms/commission", {"producer_id": producer, "product_id": other,
                                                 "rate_bp": 1_000,
                                                 "effective_from": today().isoformat()},
         422, "unknown_product"),
        ("/api/v1/settlement-terms/commission", {"producer_id": producer, "rate_bp": 1_000,
                                                 "effective_from": "mai"}, 422, "bad_date"),
        ("/api/v1/settlement-terms/host", {"venue": "COOP", "kind": "rent", "monthly_rent": -1,
                                           "effective_from": today().isoformat()},
         422, "bad_number"),
        ("/api/v1/settlement-terms/host", {"venue": "NOWHERE", "kind": "rent",
                                           "monthly_rent": 1, "effective_from": "2026-01-01"},
         404, "unknown_venue"),
        ("/api/v1/producer-returns", {"producer_id": producer, "location": "warehouse",
                                      "lines": [{"product_id": a, "qty": -2}]}, 422,
         "bad_number"),
        ("/api/v1/producer-returns", {"producer_id": producer, "location": "warehouse",
                                      "lines": [{"product_id": a, "qty": 99_999}]}, 409,
         "not_enough_stock"),
        ("/api/v1/producer-returns", {"producer_id": producer, "location": "warehouse",
                                      "lines": [{"product_id": other, "qty": 1}]}, 422,
         "unknown_product"),
        ("/api/v1/producer-returns", {"producer_id": producer, "location": "NOWHERE-9",
                                      "lines": [{"product_id": a, "qty": 1}]}, 404,
         "unknown_booth"),
        ("/api/v1/producer-returns", {"producer_id": producer, "location": "warehouse",
                                      "lines": []}, 422, "required"),
    ]
    for url, payload, status, code in posts:
        response = client.post(url, headers=headers, json=payload)
        assert response.status_code == status, (url, payload, response.get_json())
        assert response.get_json()["error"]["code"] == code, (url, payload)
    response = client.post("/api/v1/settlements", headers=headers, data="{not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert count_rows(central) == before


def test_paying_checks_the_amount_the_day_and_the_reference(pair):
    central, booth = pair.central, pair.booth
    headers = office(central)
    client = central.test_client()
    producer, a, _b = producer_with_two_products(booth)
    open_shift(booth)
    sell(booth, [(a, 1)])
    pair.client().sync_once()
    draft = client.post("/api/v1/settlements", headers=headers, json={
        "producer_id": producer, "from": today().isoformat(),
        "to": today().isoformat()}).get_json()
    payable = draft["totals"]["payable"]
    assert draft["warnings"]  # no term at all: 0 %, said so
    assert payable == draft["totals"]["gross"]
    before = count_rows(central)
    for payload, code in [
        ({"amount": -payable, "paid_on": today().isoformat(), "reference": "x"}, "bad_number"),
        ({"amount": payable + 1, "paid_on": today().isoformat(), "reference": "x"},
         "amount_mismatch"),
        ({"amount": str(payable), "paid_on": today().isoformat(), "reference": "x"},
         "bad_number"),
        ({"amount": payable, "paid_on": (today() + timedelta(days=1)).isoformat(),
          "reference": "x"}, "future_date"),
        ({"amount": payable, "paid_on": "2026-02-30", "reference": "x"}, "bad_date"),
        ({"amount": payable, "paid_on": today().isoformat(), "reference": " "}, "required"),
    ]:
        response = client.post(f"/api/v1/settlements/{draft['id']}/pay", headers=headers,
                               json=payload)
        assert response.status_code == 422, payload
        assert response.get_json()["error"]["code"] == code, payload
    assert count_rows(central) == before
    with central.app_context():
        assert db.session.get(Settlement, draft["id"]).status == "draft"


def test_the_office_pages_preview_save_pay_and_download(pair):
    central, booth = pair.central, pair.booth
    headers = office(central)
    client = central.test_client()
    producer, a, _b = producer_with_two_products(booth)
    open_shift(booth)
    sell(booth, [(a, 2)])
    pair.client().sync_once()
    page = client.post("/terms/commission", headers=headers, data={
        "producer_id": producer, "rate": "12,5", "effective_from": "2020-01-01"})
    assert page.status_code == 303
    with central.app_context():
        assert db.session.scalar(select(CommissionTerm.rate_bp)) == 1_250
    assert "12,50%" in client.get(f"/terms?producer={producer}",
                                  headers=headers).get_data(as_text=True)
    rent = client.post("/terms/host", headers=headers, data={
        "venue": "SAOMAI", "kind": "rent", "monthly_rent": "5.000.000",
        "effective_from": "2020-01-01"})
    assert rent.status_code == 303
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert client.post("/api/v1/settlement-terms/commission", headers=headers, json={
        "producer_id": producer, "rate_bp": 900, "effective_from": tomorrow}).status_code == 201
    history = client.get(f"/api/v1/settlement-terms?producer={producer}",
                         headers=headers).get_json()
    assert [(t["rate_bp"], t["in_force"]) for t in history["commission"]] == \
        [(900, False), (1_250, True)]  # the scheduled change is kept, not yet in force
    assert [(t["venue"], t["kind"], t["monthly_rent"], t["in_force"])
            for t in history["hosts"]] == [("SAOMAI", "rent", 5_000_000, True)]
    day = today().isoformat()
    html = client.get("/settlements", headers=headers, query_string={
        "producer": producer, "from": day, "to": day}).get_data(as_text=True)
    assert "Số tiền phải trả chủ thể" in html and "Lưu bảng quyết toán nháp" in html
    saved = client.post("/settlements", headers=headers,
                        data={"producer_id": producer, "from": day, "to": day})
    assert saved.status_code == 303
    with central.app_context():
        settlement = db.session.scalar(select(Settlement))
        payable, number, sid = settlement.payable, settlement.number, settlement.id
    html = client.get(f"/settlements/{sid}", headers=headers).get_data(as_text=True)
    assert number in html and "Ghi nhận thanh toán" in html
    paid = client.post(f"/settlements/{sid}/pay", headers=headers, data={
        "amount": f"{payable:,}".replace(",", "."), "paid_on": day, "reference": "UNC 9"})
    assert paid.status_code == 303
    html = client.get(f"/settlements/{sid}", headers=headers).get_data(as_text=True)
    assert "Đã thanh toán" in html and "UNC 9" in html
    returns = client.post("/producer-returns", headers=headers, data={
        "producer_id": producer, "location": "warehouse", "lines": "", "note": ""})
    assert returns.status_code == 303  # refused: back to the form with the reason
    assert "Phiếu trả hàng cần ít nhất một dòng hàng." in client.get(
        "/producer-returns", headers=headers).get_data(as_text=True)


@pytest.mark.parametrize("amount, rate, want", [
    (10_000, 1_500, 1_500), (15, 5_000, 8), (-15, 5_000, -8), (1, 4_999, 0), (0, 10_000, 0),
    (33_333, 333, 1_110)])
def test_commission_rounds_half_up_per_line(amount, rate, want):
    assert commission(amount, rate) == want == half_up(amount, rate)
