"""JSON bodies reach the views through one reader: the app's (NFC, bounded, valid
Unicode) — except a booth's sync batch, whose hashes cover the payload exactly as sent."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text

from core.extensions import db
from core.models import User
from core.services import create_token
from inventory.models import StockLevel
from sync.outbox import canonical_hash
from tests.sync.conftest import make_central, register

NOTE = "Vỡ chai khi bốc hàng"


def test_free_text_sent_in_decomposed_form_is_stored_composed(seeded):
    with seeded.app_context():
        manager = db.session.scalar(select(User).where(User.username == "quanly.coop-01"))
        token = create_token(db.session, user=manager)[1]
        product_id = db.session.scalar(select(StockLevel.product_id).where(
            StockLevel.on_hand > 2).limit(1))
        db.session.commit()
    response = seeded.test_client().post(
        "/api/v1/stock/adjustments", headers={"Authorization": f"Bearer {token}"},
        json={"product_id": product_id, "qty": -1, "reason": "damage",
              "note": unicodedata.normalize("NFD", NOTE)})
    assert response.status_code == 201, response.get_json()
    with seeded.app_context():
        stored = db.session.scalar(text("SELECT note FROM stock_move WHERE id = :i"),
                                   {"i": response.get_json()["id"]})
    assert stored == NOTE and unicodedata.is_normalized("NFC", stored)


def test_a_sync_batch_keeps_its_payload_exactly_as_hashed(tmp_path):
    central = make_central(tmp_path)
    token = register(central)
    payload = {"id": str(uuid.uuid4()), "shift_id": "none", "kind": "in", "amount": 1000,
               "reason": unicodedata.normalize("NFD", NOTE), "by": "thungan.coop-01",
               "at": datetime.now(UTC).isoformat()}
    event = {"id": str(uuid.uuid4()), "seq": 1, "type": "cash_moved",
             "occurred_at": datetime.now(UTC).isoformat(), "hash": canonical_hash(payload),
             "payload": payload}
    response = central.test_client().post(
        "/api/sync/v1/events", headers={"Authorization": f"Bearer {token}"},
        json={"epoch": str(uuid.uuid4()), "events": [event]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["acked_through_seq"] == 1


def test_digits_of_other_forms_are_refused_not_crashed_on(tmp_path):
    """``"²".isdigit()`` is true and ``int("²")`` raises: a cursor, a count or an amount
    typed that way is refused with the error format, never a 500."""
    central = make_central(tmp_path)
    token = register(central)
    pull = central.test_client().get("/api/sync/v1/catalog?since=²",
                                     headers={"Authorization": f"Bearer {token}"})
    assert pull.status_code == 422 and pull.get_json()["error"]["field"] == "since"
    with central.app_context():
        office = db.session.scalar(select(User).where(User.username == "vanphong"))
        office_token = create_token(db.session, user=office)[1]
        db.session.commit()
    import io

    statement = "Ngày,Số tiền,Nội dung\n01/12/2026,²,x\n".encode()
    bank = central.test_client().post(
        "/api/v1/reports/bank-statement", headers={"Authorization": f"Bearer {office_token}"},
        data={"file": (io.BytesIO(statement), "s.csv")}, content_type="multipart/form-data")
    assert bank.status_code == 422 and bank.get_json()["error"]["code"] == "bad_amount"
