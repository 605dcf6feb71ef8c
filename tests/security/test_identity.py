"""Findings 3 and 12: who is calling is decided once, the same way on every route.

A Bearer header is authenticated by the token alone (never the cookie beside it, which
would skip CSRF), and staff of another booth are refused on every route as the sign-in
page refuses them.
"""

from __future__ import annotations

from sqlalchemy import func, select

from core.extensions import db
from core.models import User
from core.services import create_token
from pos.counter_models import Shift
from tests.conftest import login


def _token(app, username: str) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        plain = create_token(db.session, user=user)[1]
        db.session.commit()
    return plain


def _shifts(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(Shift.id)))
        db.session.remove()
    return count


def test_a_cookie_with_a_bad_bearer_header_is_refused_not_let_past_csrf(seeded, client,
                                                                         make_user):
    make_user("lan")
    assert login(client, "lan").status_code == 302
    response = client.post("/api/v1/shifts", json={"opening_float": 0},
                           headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_token"
    assert _shifts(seeded) == 0


def test_a_bearer_header_means_the_token_user_not_the_cookie_user(seeded, client, make_user):
    make_user("lan")
    make_user("hoa")
    assert login(client, "lan").status_code == 302
    token = _token(seeded, "hoa")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["username"] == "hoa"
    # Without the header the cookie still signs "lan" in, and needs its CSRF token.
    assert client.get("/api/v1/me").get_json()["username"] == "lan"
    refused = client.post("/api/v1/shifts", json={"opening_float": 0})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"


def test_another_booths_token_is_refused_everywhere_as_at_sign_in(seeded, client, make_user):
    make_user("nam", booth="COOP-02", role="manager")
    token = _token(seeded, "nam")
    headers = {"Authorization": f"Bearer {token}"}
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/printer/status"),
                         ("GET", "/api/v1/sales/00000000-0000-0000-0000-000000000000"),
                         ("POST", "/api/v1/shifts"), ("GET", "/labels"), ("GET", "/printer"),
                         ("GET", "/sales"), ("GET", "/api/v1/products")):
        response = client.open(path, method=method, headers=headers,
                               json={"opening_float": 0} if method == "POST" else None)
        assert response.status_code == 401, (method, path)
        if path.startswith("/api/"):
            error = response.get_json()["error"]
            assert error["code"] == "wrong_booth"
            assert error["message"] == ("Tài khoản thuộc quầy COOP-02, không phải quầy này "
                                        "(COOP-01).")
    assert _shifts(seeded) == 0
