"""Signing in, tokens and refusals, as a cashier or an integrator meets them."""

from __future__ import annotations

from sqlalchemy import func, select

from core.extensions import db
from core.models import ApiToken, User
from core.money import format_vnd
from pos.cli import create_token_command, create_user_command, revoke_token_command
from tests.conftest import TEST_PASSWORD, login


def test_login_page_is_vietnamese_and_english_on_request(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in page and "Đăng nhập" in page and "Mật khẩu" in page
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "Password" in english


def test_right_password_signs_in_and_reaches_pages(seeded, client, make_user):
    make_user("lan")
    response = login(client, "lan")
    assert response.status_code == 302
    assert client.get("/catalog").status_code == 200
    assert client.get("/api/v1/me").get_json()["role"] == "cashier"


def test_wrong_password_unknown_user_and_disabled_user_are_refused(seeded, client, make_user):
    make_user("lan")
    make_user("hoa", active=False)
    for name, password, message in (
        ("lan", "sai-mat-khau-1", "Sai tên đăng nhập hoặc mật khẩu."),
        ("khongco", TEST_PASSWORD, "Sai tên đăng nhập hoặc mật khẩu."),
        ("hoa", TEST_PASSWORD, "Tài khoản đã bị khóa."),
    ):
        response = login(client, name, password)
        assert response.status_code == 401
        assert message in response.get_data(as_text=True)
        assert client.get("/api/v1/me").status_code == 401


def test_staff_of_another_booth_cannot_sign_in_here(seeded, client, make_user):
    make_user("nam", booth="COOP-02")
    response = login(client, "nam")
    assert response.status_code == 401
    assert "COOP-02" in response.get_data(as_text=True)


def test_sixth_attempt_is_refused_even_with_the_right_password(seeded, client, make_user):
    make_user("lan")
    for _ in range(5):
        assert login(client, "lan", "sai-mat-khau-1").status_code == 401
    response = login(client, "lan")
    assert response.status_code == 429
    assert "quá nhiều lần" in response.get_data(as_text=True)
    # Another name from the same address is not locked out.
    make_user("hoa")
    assert login(client, "hoa").status_code == 302


def test_form_without_csrf_token_is_refused(seeded, client, make_user):
    make_user("lan")
    response = client.post("/login", data={"username": "lan", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401


def test_api_token_lifecycle(seeded, client, runner, make_user):
    make_user("lan")
    result = runner.invoke(create_token_command, ["lan"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("ocop_")
    with seeded.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != token and token.startswith(stored.prefix)
        prefix = stored.prefix

    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["username"] == "lan"
    # Token clients need no CSRF token and get JSON errors.
    missing = client.get("/api/v1/me")
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "unauthorized"
    wrong = client.get("/api/v1/me", headers={"Authorization": "Bearer ocop_nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "bad_token"

    assert runner.invoke(revoke_token_command, [prefix]).exit_code == 0
    revoked = client.get("/api/v1/me", headers=headers)
    assert revoked.status_code == 401
    assert "thu hồi" in revoked.get_json()["error"]["message"]


def test_wrong_role_is_forbidden(seeded, client, make_user):
    make_user("lan")
    login(client, "lan")
    response = client.get("/api/v1/booths")  # central only: not even served by a booth
    assert response.status_code == 404


def test_user_create_refuses_duplicates_and_weak_passwords(seeded, runner):
    def count():
        with seeded.app_context():
            return db.session.scalar(select(func.count(User.id)))

    ok = runner.invoke(create_user_command, ["Mai", "--role", "cashier", "--booth", "COOP-01"],
                       input="mot-mat-khau-tot\n")
    assert ok.exit_code == 0, ok.output
    before = count()
    for args, password, message in (
        (["mai", "--role", "cashier", "--booth", "COOP-01"], "mat-khau-khac-1", "đã tồn tại"),
        (["tuan", "--role", "cashier", "--booth", "COOP-01"], "1234", "ít nhất 8 ký tự"),
        (["tuan", "--role", "cashier", "--booth", "COOP-01"], "12345678", "quá dễ đoán"),
        (["tuan", "--role", "cashier"], "mat-khau-tot-2", "phải thuộc một quầy"),
        (["tuan", "--role", "manager", "--booth", "XX-99"], "mat-khau-tot-2", "Không có quầy"),
    ):
        result = runner.invoke(create_user_command, args, input=password + "\n")
        assert result.exit_code != 0
        assert message in result.output, result.output
    assert count() == before


def test_money_is_shown_the_vietnamese_way():
    assert format_vnd(125000) == "125.000 ₫"
    assert format_vnd(0) == "0 ₫"
    assert format_vnd(-1_250_000) == "-1.250.000 ₫"
