"""Central's sync API refuses every bad batch precisely and writes nothing wrong."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from core.extensions import db
from pos.demo import booth_codes
from sync.credentials import booth_by_code, register_booth, revoke_credentials
from sync.outbox import canonical_hash
from tests.conftest import fresh_postgres_database
from tests.sync.conftest import make_central
from tests.sync.conftest import register as register_any


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_central(request, tmp_path_factory):
    """One seeded central per database kind for the whole module: each test writes as a
    booth of its own, so tests stay independent without re-seeding."""
    tmp = tmp_path_factory.mktemp("central")
    if request.param == "sqlite":
        app = make_central(tmp)
        yield app, iter(booth_codes()[1:])
    else:
        with fresh_postgres_database() as url:
            app = make_central(tmp, url)
            yield app, iter(booth_codes()[1:])
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def central(shared_central):
    app, codes = shared_central
    app.config["TEST_BOOTH"] = next(codes)
    return app


def event(seq: int, *, type_: str = "cash_moved", payload: dict | None = None,
          event_id: str | None = None) -> dict:
    payload = payload if payload is not None else {
        "id": str(uuid.uuid4()), "shift_id": "no-such-shift", "kind": "in", "amount": 1000,
        "reason": "thử", "by": "thungan.saomai-01", "at": datetime.now(UTC).isoformat()}
    return {"id": event_id or str(uuid.uuid4()), "seq": seq, "type": type_,
            "occurred_at": datetime.now(UTC).isoformat(), "hash": canonical_hash(payload),
            "payload": payload}


def register(app, code: str | None = None) -> str:
    return register_any(app, code or app.config["TEST_BOOTH"])


def push(client, token: str, events: list[dict], *, epoch: str | None = None, **extra):
    return client.post("/api/sync/v1/events", headers={"Authorization": f"Bearer {token}"},
                       json={"epoch": epoch or EPOCH, "events": events} | extra)


EPOCH = str(uuid.uuid4())


def stored(app) -> int:
    """Events central holds for this test's booth."""
    with app.app_context():
        return db.session.scalar(text(
            "SELECT count(*) FROM ingested_event e JOIN booth b ON b.id = e.booth_id "
            "WHERE b.code = :c"), {"c": app.config["TEST_BOOTH"]})


def test_a_booth_credential_cannot_write_another_booths_events(central):
    token = register(central)
    client = central.test_client()
    response = push(client, token, [event(1)], booth="COOP-01")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "wrong_booth"
    named = event(1, payload={"booth": "SAOMAI-01", "id": "x"})
    response = push(client, token, [named])
    assert response.status_code == 403 and response.get_json()["error"]["field"] == (
        "events[0].payload.booth")
    assert stored(central) == 0


def test_missing_unknown_revoked_and_expired_credentials_get_401(central):
    client = central.test_client()
    assert client.post("/api/sync/v1/events", json={}).status_code == 401
    assert push(client, "ocopsync_nope", [event(1)]).status_code == 401
    token = register(central)
    with central.app_context():
        revoke_credentials(db.session, booth=booth_by_code(db.session,
                                                           central.config["TEST_BOOTH"]))
        db.session.commit()
    response = push(client, token, [event(1)])
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_sync_token"
    assert stored(central) == 0


def test_rotation_keeps_two_tokens_valid_until_the_old_one_expires(central):
    old = register(central)
    new = register(central)
    client = central.test_client()
    assert client.get("/api/sync/v1/epochs", headers={"Authorization": f"Bearer {old}"}
                      ).status_code == 200
    assert client.get("/api/sync/v1/epochs", headers={"Authorization": f"Bearer {new}"}
                      ).status_code == 200
    with central.app_context():
        register_booth(db.session, booth=booth_by_code(db.session, central.config["TEST_BOOTH"]),
                       grace=timedelta(0))  # a third rotation ends both earlier ones now
        db.session.commit()
    for token in (old, new):
        assert client.get("/api/sync/v1/epochs", headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 401


@pytest.mark.parametrize("body, status, code", [
    (b"{not json", 400, "malformed"),
    (b'{"epoch": "\\ud800", "events": []}', 400, "malformed"),
    (b"[" * 50_000 + b"]" * 50_000, 400, "malformed"),
    (b'["a list"]', 400, "malformed"),
    (b'{"epoch": "not-a-uuid", "events": []}', 422, "invalid"),
    (b'{"epoch": "%s", "events": "many"}' % EPOCH.encode(), 422, "invalid"),
])
def test_malformed_bodies_are_refused_with_the_error_format(central, body, status, code):
    token = register(central)
    response = central.test_client().post(
        "/api/sync/v1/events", data=body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert stored(central) == 0


def test_bad_events_are_refused_naming_the_field(central):
    token = register(central)
    client = central.test_client()
    unknown_type = event(1) | {"type": "teleported"}
    response = push(client, token, [unknown_type])
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "events[0].type"
    tampered = event(1)
    tampered["payload"]["amount"] = 1
    response = push(client, token, [tampered])
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "bad_hash"
    response = push(client, token, [event(1), event(3)])
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "seq_gap"
    naive = event(1) | {"occurred_at": "2026-12-01T08:00:00"}
    assert push(client, token, [naive]).status_code == 422
    too_many = [event(i) for i in range(1, 502)]
    response = push(client, token, too_many)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "events"
    assert stored(central) == 0


def test_an_enormous_body_gets_413(central):
    token = register(central)
    response = central.test_client().post(
        "/api/sync/v1/events", data=b"x" * (9 * 1024 * 1024),
        content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_a_batch_past_the_high_water_is_a_gap_and_writes_nothing(central):
    token = register(central)
    client = central.test_client()
    response = push(client, token, [event(2)])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "seq_gap"
    assert response.get_json()["expected_seq"] == 1
    assert stored(central) == 0


def test_a_rule_breaking_event_is_kept_for_review_and_acknowledged(central):
    token = register(central)
    client = central.test_client()
    response = push(client, token, [event(1)])  # cash for a shift central never saw
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["acked_through_seq"] == 1
    assert answer["results"][0]["status"] == "needs_review"
    review = client.get("/api/v1/sync/review", headers={
        "Authorization": f"Bearer {office_token(central)}"}).get_json()
    mine = [e for e in review["events"] if e["id"] == answer["results"][0]["id"]]
    assert len(mine) == 1 and "chưa có" in mine[0]["problem"]


def test_an_id_reused_with_different_content_is_quarantined_as_a_conflict(central):
    token = register(central)
    client = central.test_client()
    first = event(1)
    assert push(client, token, [first]).status_code == 200
    again = push(client, token, [first]).get_json()
    assert again["results"][0]["status"] == "duplicate"
    forged = event(1, event_id=first["id"], payload={"id": "other", "amount": 5})
    answer = push(client, token, [forged]).get_json()
    assert answer["results"][0]["status"] == "conflict"
    with central.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM sync_conflict WHERE event_id = :i"),
                                 {"i": first["id"]}) == 1
    assert stored(central) == 1


def test_a_booth_behind_central_is_told_to_rewind(central):
    token = register(central)
    client = central.test_client()
    assert push(client, token, [event(1), event(2), event(3)]).status_code == 200
    response = push(client, token, [event(3)], last_seq=3)  # another event at seq 3
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"]["code"] == "rewind" and body["rewind"]["high_water"] == 3
    response = push(client, token, [], last_seq=1)
    assert response.get_json()["error"]["code"] == "rewind"
    assert stored(central) == 3


def test_a_catalogue_cursor_from_the_future_asks_for_a_snapshot(central):
    token = register(central)
    response = central.test_client().get("/api/sync/v1/catalog?since=999999",
                                         headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "cursor_ahead"
    assert response.get_json()["reset"] is True
    bad = central.test_client().get("/api/sync/v1/catalog?since=-1",
                                    headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "since"


def office_token(app) -> str:
    from core.models import User
    from core.services import create_token

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "vanphong"))
        plain = create_token(db.session, user=user)[1]
        db.session.commit()
        return plain


def test_an_event_that_breaks_half_way_leaves_nothing_behind(central):
    """A sale whose payment list is malformed is kept for review whole: no sale row
    without its payments, and the good events of the batch are applied."""
    token = register(central)
    client = central.test_client()
    code = central.config["TEST_BOOTH"]
    shift_id = str(uuid.uuid4())
    opened = {"id": shift_id, "booth": code, "cashier": f"thungan.{code.lower()}",
              "status": "open", "opened_at": datetime.now(UTC).isoformat(), "closed_at": None,
              "business_day": datetime.now(UTC).date().isoformat(), "opening_float": 0,
              "counted_cash": None, "expected_cash": None, "difference": None, "note": ""}
    line = {"product_id": 1, "name": "x", "qty": 1, "unit_price": 1000,
            "catalog_price": 1000, "discount": 0, "amount": 1000, "vat_rate": 8}
    sale = {"id": str(uuid.uuid4()), "number": f"{code}-000001", "seq": 1, "booth": code,
            "shift_id": shift_id, "cashier": opened["cashier"],
            "created_at": datetime.now(UTC).isoformat(), "status": "completed",
            "kind": "sale", "refund_of": None, "total": 1000, "discount_total": 0,
            "change": 0, "approved_by": None, "reason": "", "lines": [line],
            "payments": [{"method": "cash"}]}  # no amount: breaks after the sale row
    answer = push(client, token, [event(1, type_="shift_opened", payload=opened),
                                  event(2, type_="sale_completed", payload=sale)]).get_json()
    assert [r["status"] for r in answer["results"]] == ["applied", "needs_review"]
    with central.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM sale WHERE id = :i"),
                                 {"i": sale["id"]}) == 0
        assert db.session.scalar(text("SELECT count(*) FROM shift WHERE id = :i"),
                                 {"i": shift_id}) == 1
