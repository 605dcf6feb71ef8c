"""The reconciliation cockpit: every figure checked against a recomputation by plain SQL
over the rows central holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from central.models import ShiftReport
from core.extensions import db
from core.models import User
from core.services import create_token
from core.types import utcnow
from pos.counter import BUSINESS_TZ
from tests.sync.conftest import (
    close_shift,
    open_shift,
    refund,
    sell,
    stocked_products,
)


def office(app) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "vanphong"))
        token = create_token(db.session, user=user)[1]
        db.session.commit()
    return token


def reconciliation(app, **params):
    return app.test_client().get("/api/v1/reports/reconciliation", query_string=params,
                                 headers={"Authorization": f"Bearer {office(app)}"})


def sql_figures(app, booth: str) -> dict:
    """Net takings, takings per method and expected cash of the booth's shifts, by SQL."""
    with app.app_context():
        q = db.session.execute
        b = q(text("SELECT id FROM booth WHERE code = :c"), {"c": booth}).scalar()
        net = q(text("SELECT coalesce(sum(CASE WHEN kind = 'sale' THEN total ELSE -total END),"
                     " 0) FROM sale WHERE booth_id = :b AND status = 'completed'"),
                {"b": b}).scalar()
        methods = dict(q(text(
            "SELECT p.method, sum(CASE WHEN s.kind = 'sale' THEN p.amount ELSE -p.amount END) "
            "FROM payment p JOIN sale s ON s.id = p.sale_id WHERE s.booth_id = :b "
            "AND s.status = 'completed' GROUP BY p.method"), {"b": b}).all())
        floats = q(text("SELECT coalesce(sum(opening_float), 0) FROM shift WHERE booth_id = :b"),
                   {"b": b}).scalar()
        return {"net": int(net), "methods": {k: int(v) for k, v in methods.items()},
                "expected_cash": int(floats) + int(methods.get("cash", 0))}


def today() -> str:
    return utcnow().astimezone(BUSINESS_TZ).date().isoformat()


def test_a_synced_closed_day_is_reconciled_to_the_dong(pair):
    shift = open_shift(pair.booth, opening_float=300_000)
    a, b, c = stocked_products(pair.booth)
    first = sell(pair.booth, [(a, 2), (b, 1)])
    sell(pair.booth, [(c, 3)], method="transfer")
    refund(pair.booth, first["id"], [(a, 1)])
    close_shift(pair.booth, shift)
    pair.client().sync_once()

    body = reconciliation(pair.central, day=today()).get_json()
    (booth,) = body["booths"]
    figures = sql_figures(pair.central, "COOP-01")
    assert booth["booth"] == "COOP-01" and booth["status"] == "reconciled"
    assert booth["computed_total"] == booth["reported_total"] == figures["net"]
    assert booth["difference"] == 0
    assert {m: v["computed"] for m, v in booth["by_method"].items() if v["computed"]} == \
        figures["methods"]
    assert booth["cash_expected"] == figures["expected_cash"] == booth["cash_counted"]
    assert len(body["silent_booths"]) == 32


def test_an_open_shift_is_incomplete_and_a_figure_that_differs_is_a_mismatch(pair):
    shift = open_shift(pair.booth)
    sell(pair.booth, [(stocked_products(pair.booth)[0], 1)])
    pair.client().sync_once()
    (booth,) = reconciliation(pair.central, day=today()).get_json()["booths"]
    assert booth["status"] == "incomplete"
    assert booth["shifts"][0]["reasons"] == ["Chưa nhận báo cáo đóng ca."]

    close_shift(pair.booth, shift)
    pair.client().sync_once()
    with pair.central.app_context():  # the booth reported a different total than its sales
        report = db.session.get(ShiftReport, shift)
        report.report = report.report | {"net_total": report.report["net_total"] + 5_000}
        db.session.commit()
    (booth,) = reconciliation(pair.central, day=today()).get_json()["booths"]
    assert booth["status"] == "mismatch" and booth["difference"] == -5_000
    page = pair.central.test_client().get(
        "/cockpit", headers={"Authorization": f"Bearer {office(pair.central)}"})
    assert "Lệch" in page.get_data(as_text=True)


@pytest.mark.parametrize("day, code", [("2026-13-01", "bad_date"), ("hôm qua", "bad_date"),
                                       ("9999-01-01", "future_date")])
def test_bad_days_get_a_clear_answer(pair, day, code):
    response = reconciliation(pair.central, day=day)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code


def test_a_day_with_no_data_says_so(pair):
    last_year = (utcnow() - timedelta(days=365)).astimezone(BUSINESS_TZ).date().isoformat()
    body = reconciliation(pair.central, day=last_year).get_json()
    assert body["booths"] == [] and "Chưa có ca bán hàng nào" in body["message"]
    assert reconciliation(pair.central, day=last_year, venue="NOWHERE").status_code == 404


def test_central_figures_follow_the_tills_own_report(pair):
    """The grouped figures reconciliation uses agree with the till's X/Z-report rules
    (refund, void, cash in and out, split payment)."""
    from central.reconciliation import shift_figures
    from pos import counter
    from pos.counter_models import Sale, Shift
    from tests.sync.conftest import booth_row, staff

    shift_id = open_shift(pair.booth, opening_float=200_000)
    a, b, c = stocked_products(pair.booth)
    first = sell(pair.booth, [(a, 3)])
    voided = sell(pair.booth, [(b, 1)], method="card")
    refund(pair.booth, first["id"], [(a, 1)])
    with pair.booth.app_context():
        booth, cashier = booth_row(), staff()
        shift = db.session.get(Shift, shift_id)
        counter.move_cash(db.session, booth=booth, shift=shift, actor=cashier, kind="in",
                          amount=100_000, reason="Thêm tiền lẻ")
        counter.move_cash(db.session, booth=booth, shift=shift, actor=cashier, kind="out",
                          amount=50_000, reason="Nộp két")
        counter.void_sale(db.session, booth=booth, actor=staff("manager"),
                          sale=db.session.get(Sale, voided["id"]), reason="Nhầm")
        db.session.commit()
    pair.client().sync_once()
    with pair.central.app_context():
        shift = db.session.get(Shift, shift_id)
        till = counter.shift_report(db.session, shift=shift)
        ours = shift_figures(db.session, [shift])[shift_id]
    assert ours["net_total"] == till["net_total"]
    assert ours["totals_by_method"] == till["totals_by_method"]
    assert ours["expected_cash"] == till["expected_cash"]


@pytest.mark.parametrize("query, status, message", [
    ({"day": "9999-01-01"}, 422, "Ngày 01/01/9999 chưa tới."),
    ({"day": "hôm qua"}, 422, "Ngày không hợp lệ: hôm qua"),
    ({"venue": "X" * 30}, 422, "Mã điểm bán quá dài."),
    ({"venue": "NOWHERE"}, 404, "NOWHERE"),
    ({"day": "2020-01-01"}, 200, "Chưa có ca bán hàng nào trong ngày 01/01/2020."),
])
def test_the_cockpit_page_answers_bad_days_in_vietnamese(pair, query, status, message):
    page = pair.central.test_client().get(
        "/cockpit", query_string=query,
        headers={"Authorization": f"Bearer {office(pair.central)}"})
    assert page.status_code == status
    assert message in page.get_data(as_text=True)
