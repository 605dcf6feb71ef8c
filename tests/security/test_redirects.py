"""Finding 5: after signing in, ``next`` only ever leads to a page of this site."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token


@pytest.mark.parametrize("target", [
    "/%09/evil.example/x", "/%0a/evil.example/x", "/%0d/evil.example/x", "//evil.example/x",
    "/%5cevil.example/x", "/%5c%5cevil.example", "https://evil.example/x",
    "/%20/evil.example/x", "/%7f/evil.example",
])
def test_next_never_leaves_the_site(seeded, client, make_user, target):
    make_user("lan")
    token = csrf_token(client)
    response = client.post(f"/login?next={target}", data={
        "username": "lan", "password": "mat-khau-thu-9", "csrf_token": token})
    assert response.status_code == 302
    assert response.location == "/"


def test_a_local_next_is_followed(seeded, client, make_user):
    make_user("lan")
    token = csrf_token(client)
    response = client.post("/login?next=/sales%3Fday%3D2026-01-02", data={
        "username": "lan", "password": "mat-khau-thu-9", "csrf_token": token})
    assert response.location == "/sales?day=2026-01-02"
