"""Finding 11: sign-in and session.

A per-address limit on failed sign-ins whatever names are tried, unknown names hashed
like known ones, sign-out ending every copy of the session cookie, Secure cookies and a
trusted client address behind a proxy, security headers on every answer, and passwords
checked by zxcvbn with Vietnamese reasons.
"""

from __future__ import annotations

import pytest
from werkzeug import security

import core.services
from pos.cli import create_user_command
from pos.demo import DEMO_PASSWORD
from tests.conftest import FAST_HASH, TEST_PASSWORD, build_app, csrf_token, login


def _login_from(client, username: str, password: str, headers: dict | None = None):
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, headers=headers or {})


def test_one_address_meets_a_limit_whatever_names_it_tries(seeded, make_user):
    make_user("lan")
    client = seeded.test_client()
    statuses = [_login_from(client, f"ten{i}", "sai-mat-khau-1").status_code
                for i in range(30)]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    # Even the right password waits, from that address; another address is not limited.
    assert _login_from(client, "lan", TEST_PASSWORD).status_code == 429
    other = seeded.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert _login_from(other, "lan", TEST_PASSWORD).status_code == 302


def test_successful_sign_ins_do_not_use_up_the_limit(seeded, make_user):
    make_user("lan")
    client = seeded.test_client()
    for _ in range(25):
        assert _login_from(client, "lan", TEST_PASSWORD).status_code == 302


def test_an_unknown_name_costs_a_password_hash_like_a_known_one(seeded, make_user,
                                                                monkeypatch):
    make_user("lan")
    checked = []

    def counting_check(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$")[0])
        return security.check_password_hash(pwhash, password)

    monkeypatch.setattr(core.services, "check_password_hash", counting_check)
    client = seeded.test_client()
    assert _login_from(client, "khong-co-ai", "sai-mat-khau-1").status_code == 401
    assert _login_from(client, "lan", "sai-mat-khau-1").status_code == 401
    assert checked == [FAST_HASH, FAST_HASH]


def test_a_cookie_from_before_logout_no_longer_signs_in(seeded, make_user):
    make_user("lan")
    client = seeded.test_client()
    assert login(client, "lan").status_code == 302
    stolen = client.get_cookie("session").value
    assert client.get("/api/v1/me").status_code == 200
    token = csrf_token(client, "/pos")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    replay = seeded.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/api/v1/me").status_code == 401
    # Signing in again works, with a new cookie.
    assert login(client, "lan").status_code == 302
    assert client.get("/api/v1/me").status_code == 200


def _set_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


@pytest.mark.parametrize("behind_proxy, forwarded_https, secure", [
    (True, True, True), (True, False, False), (False, True, False)])
def test_the_session_cookie_is_secure_over_https(tmp_path, behind_proxy,
                                                 forwarded_https, secure):
    app = build_app(tmp_path, OCOP_BEHIND_PROXY="1" if behind_proxy else "")
    from core.extensions import db
    from pos.demo import seed_demo

    with app.app_context():
        seed_demo(db.session, booth_code="COOP-01", hash_method=FAST_HASH)
        db.session.commit()
    client = app.test_client()
    # Flask-WTF checks the Referer of HTTPS posts; a browser sends it (same-origin policy).
    headers = ({"X-Forwarded-Proto": "https", "Referer": "https://localhost/login"}
               if forwarded_https else {})
    response = _login_from(client, "thungan.coop-01", DEMO_PASSWORD, headers)
    assert response.status_code == 302
    assert ("; Secure" in _set_cookie(response)) is secure
    assert "HttpOnly" in _set_cookie(response) and "SameSite=Lax" in _set_cookie(response)


def test_behind_a_proxy_the_limit_counts_the_forwarded_address(tmp_path):
    app = build_app(tmp_path, OCOP_BEHIND_PROXY="1")
    client = app.test_client()
    first = {"X-Forwarded-For": "198.51.100.1"}
    for i in range(20):
        assert _login_from(client, f"ai-do-{i}", "sai-mat-khau-1", first).status_code == 401
    assert _login_from(client, "ai-do", "sai-mat-khau-1", first).status_code == 429
    second = {"X-Forwarded-For": "198.51.100.2"}
    assert _login_from(client, "ai-do", "sai-mat-khau-1", second).status_code == 401


@pytest.mark.parametrize("path", ["/login", "/pos", "/api/v1/products", "/api/health",
                                  "/nowhere"])
def test_every_answer_carries_the_security_headers(seeded, client, make_user, path):
    make_user("lan")
    login(client, "lan")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split(
        "script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("password, reason", [
    ("qwerty12", "phổ biến"), ("zxcvbnm,./", "dãy phím"), ("passwordpassword", "lặp lại"),
    ("abcdefgh1", "dễ đoán"),
    ("matkhau123", "dễ đoán"), ("2026-01-01", "dễ đoán"),
])
def test_weak_passwords_are_refused_with_a_vietnamese_reason(seeded, runner, password,
                                                             reason):
    result = runner.invoke(create_user_command, ["tuan", "--role", "cashier", "--booth",
                                                 "COOP-01"], input=password + "\n")
    assert result.exit_code != 0
    assert "Mật khẩu quá dễ đoán" in result.output and reason in result.output, result.output


def test_a_strong_password_is_accepted(seeded, runner):
    result = runner.invoke(create_user_command, ["tuan", "--role", "cashier", "--booth",
                                                 "COOP-01"], input="nem-chua-ngon-lam-9\n")
    assert result.exit_code == 0, result.output
