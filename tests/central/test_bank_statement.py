"""A bank statement matched against the VietQR transfers the booth took."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import User
from core.services import create_token
from core.types import utcnow
from pos import counter
from pos.counter import BUSINESS_TZ
from tests.sync.conftest import booth_row, open_shift, staff, stocked_products


def _transfer_sale(app, product_id: int, reference: str) -> dict:
    with app.app_context():
        from inventory.models import Product

        price = db.session.get(Product, product_id).price
        sale, _ = counter.complete_sale(
            db.session, booth=booth_row(), cashier=staff(), sale_id=None,
            lines=[counter.LineInput(qty=1, product_id=product_id)],
            payments=[counter.PaymentInput(method="transfer", amount=price,
                                           reference=reference)])
        db.session.commit()
        return counter.sale_to_json(sale)


def _upload(app, content: bytes):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "vanphong"))
        token = create_token(db.session, user=user)[1]
        db.session.commit()
    return app.test_client().post(
        "/api/v1/reports/bank-statement", headers={"Authorization": f"Bearer {token}"},
        data={"file": (io.BytesIO(content), "saoke.csv")}, content_type="multipart/form-data")


def test_transfers_match_by_reference_and_the_leftovers_are_listed(pair):
    open_shift(pair.booth)
    a, b, c = stocked_products(pair.booth)
    first = _transfer_sale(pair.booth, a, "OCOP1A2B3C4D")
    second = _transfer_sale(pair.booth, b, "OCOP9F8E7D6C")
    missing = _transfer_sale(pair.booth, c, "OCOP55554444")
    pair.client().sync_once()
    today = utcnow().astimezone(BUSINESS_TZ).date().strftime("%d/%m/%Y")
    statement = (
        "Ngày,Số tiền,Nội dung\n"
        f'{today},"{first["total"]:,}",NGUYEN VAN A chuyen tien OCOP1A2B3C4D\n'
        f"{today},{second['total']},CK OCOP 9F8E 7D6C\n"
        f"{today},123000,Tien khong ro\n"
        f"{today},-50000,Phi dich vu\n")
    answer = _upload(pair.central, ("\ufeff" + statement).encode()).get_json()
    assert {m["sale"] for m in answer["matched"]} == {first["number"], second["number"]}
    assert [b["amount"] for b in answer["unmatched_bank"]] == [123_000]
    assert [s["sale"] for s in answer["unmatched_sales"]] == [missing["number"]]


@pytest.mark.parametrize("content, code", [
    (b"date;value\n01/12/2026;5\n", "bad_columns"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "bad_format"),
    (b"Ng\xe0y,S\xf4 ti\xe8n", "bad_format"),
    ("Ngày,Số tiền,Nội dung\n32/13/2026,1000,x\n".encode(), "bad_date"),
    ("Ngày,Số tiền,Nội dung\n01/12/2026,mười nghìn,x\n".encode(), "bad_amount"),
])
def test_a_statement_in_a_wrong_format_gets_a_clear_answer(pair, content, code):
    response = _upload(pair.central, content)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == code


def _row_counts(app) -> dict:
    """Rows in every table but the sign-in tokens each upload here makes: a statement
    writes nothing anywhere."""
    from sqlalchemy import func, inspect
    from sqlalchemy import table as sql_table

    with app.app_context():
        names = inspect(db.engine).get_table_names()
        return {name: db.session.scalar(select(func.count()).select_from(sql_table(name)))
                for name in names if name != "api_token"}


def test_unknown_columns_are_named_in_vietnamese_and_extra_ones_are_ignored(pair):
    before = _row_counts(pair.central)
    response = _upload(pair.central, "Số TK,Ghi nợ,Mã GD\n123,5000,x\n".encode())
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "bad_columns" and error["field"] == "file"
    assert "Sao kê thiếu cột: Ngày, Số tiền, Nội dung." in error["message"]
    # Known columns among unknown ones: the unknown are ignored, the statement is read.
    ok = _upload(pair.central, "Số TK,Ngày,Ghi nợ,Số tiền,Nội dung\n1,01/12/2026,0,5000,"
                 "chuyen tien\n".encode())
    assert ok.status_code == 200, ok.get_json()
    assert [line["amount"] for line in ok.get_json()["unmatched_bank"]] == [5000]
    assert _row_counts(pair.central) == before


def test_the_bank_page_answers_a_wrong_file_in_vietnamese(pair):
    with pair.central.app_context():
        user = db.session.scalar(select(User).where(User.username == "vanphong"))
        token = create_token(db.session, user=user)[1]
        db.session.commit()
    for content, message in ((b"\x89PNG\r\n\x1a\n", "Sao kê phải là tệp CSV mã hóa UTF-8."),
                             ("Số TK;Mã GD\n1;2\n".encode(), "Sao kê thiếu cột: Ngày, Số tiền")):
        page = pair.central.test_client().post(
            "/cockpit/bank", headers={"Authorization": f"Bearer {token}"},
            data={"file": (io.BytesIO(content), "saoke.csv")},
            content_type="multipart/form-data", follow_redirects=True)
        assert page.status_code == 200
        assert message in page.get_data(as_text=True)
