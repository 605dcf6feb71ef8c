"""The README's promise about ``ocop demo``: sell at the booth, see the sale at central
within seconds. Both run from the one command (a real subprocess, real HTTP on
127.0.0.1); the booth's own sync worker carries the sale, every 2 seconds in the demo."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from tests.test_demo_command import _free_port_pair

pytestmark = pytest.mark.slow


class Browser:
    """One person's cookie session against one server, as the pages and the API see it."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def sign_in(self, username: str, password: str) -> str:
        page = self.opener.open(self.base + "login", timeout=15).read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token}).encode()
        landed = self.opener.open(self.base + "login", data=body, timeout=15)
        html = landed.read().decode()
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        return landed.url

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path.lstrip("/"), method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "X-CSRFToken": self.csrf})
        try:
            response = self.opener.open(request, timeout=15)
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")
        return response.status, json.loads(response.read())


def _query(database: Path, sql: str, *args) -> list[tuple]:
    with closing(sqlite3.connect(database, timeout=10)) as conn:
        return conn.execute(sql, args).fetchall()


def test_a_sale_at_the_demo_booth_reaches_central_within_seconds(tmp_path):
    port = _free_port_pair()
    ocop = Path(sys.executable).with_name("ocop")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCOP_")}
    env.update(OCOP_INSTANCE=str(tmp_path / "instance"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([str(ocop), "demo", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = ""
        deadline = time.monotonic() + 120
        while "Ctrl+C" not in output:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, output
            output += line
            assert time.monotonic() < deadline, output
        logins = re.findall(r"^\s+(?:Thu ngân|Quản lý|Văn phòng):\s+(\S+) / (\S+)$", output,
                            re.MULTILINE)
        (cashier, password), _manager, (office, office_password) = logins
        demo = tmp_path / "instance" / "demo"
        booth_db, central_db = demo / "coop-01" / "ocop.sqlite3", demo / "central" / "ocop.sqlite3"

        # The cashier signs in at the booth, opens a shift and sells, over HTTP.
        till = Browser(f"http://127.0.0.1:{port}/")
        assert till.sign_in(cashier, password).endswith("/pos")
        status, opened = till.call("POST", "/api/v1/shifts", {"opening_float": 500_000})
        assert status == 201, opened
        product_id, price = _query(booth_db, "SELECT p.id, p.price FROM product p JOIN "
                                   "stock_level s ON s.product_id = p.id WHERE s.on_hand > 2 "
                                   "ORDER BY p.id LIMIT 1")[0]
        status, sale = till.call("POST", "/api/v1/sales", {
            "lines": [{"product_id": product_id, "qty": 2}],
            "payments": [{"method": "cash", "amount": 2 * price}]})
        assert status == 201, sale
        assert sale["shift_id"] == opened["shift"]["id"] and sale["total"] == 2 * price

        # Central has it within ~30 s (the booth syncs every 2 s), with its payment.
        deadline = time.monotonic() + 30
        while not (held := _query(central_db, "SELECT number, total FROM sale WHERE id = ?",
                                  sale["id"])):
            assert proc.poll() is None, output
            assert time.monotonic() < deadline, "the sale did not reach central"
            time.sleep(0.5)
        assert held == [(sale["number"], 2 * price)]
        assert _query(central_db, "SELECT method, amount FROM payment WHERE sale_id = ?",
                      sale["id"]) == [("cash", 2 * price)]

        # The office sees the booth in contact, nothing behind, nothing to review.
        office_view = Browser(f"http://127.0.0.1:{port + 1}/")
        office_view.sign_in(office, office_password)
        deadline = time.monotonic() + 30
        while True:
            status, answer = office_view.call("GET", "/api/v1/sync/booths")
            assert status == 200, answer
            row = next(r for r in answer["booths"] if r["booth"] == "COOP-01")
            if row["last_push_at"] and row["events_behind"] == 0:
                break
            assert time.monotonic() < deadline, row
            time.sleep(0.5)
        assert not row["silent"] and row["needs_review"] == 0
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
