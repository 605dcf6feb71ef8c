"""A served booth killed with SIGKILL under concurrent sales loses no acknowledged sale.

Each round starts ``ocop serve`` on the booth's SQLite file, lets several tills sell at
once, and kills the server with ``kill -9`` mid-stream. Afterwards every sale a till got a
201 for is there with the number it was told, receipt numbers and outbox seqs have no
gaps, the stock ledger adds up to the cached levels and SQLite's integrity check passes.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import pytest

from core.extensions import db
from tests.conftest import build_app
from tests.pos.test_counter_support import make_till

ROUNDS = 20
TILLS = 6
SALES_PER_ROUND = 12  # acknowledged sales to wait for before each kill


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port: int, method: str, path: str, body: dict | None = None,
             token: str | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=json.dumps(body) if body else None,
                           headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _serve(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", "from pos.cli import main; main()", "serve", "--port",
         str(port), "--threads", str(TILLS + 2)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30  # a bound on start-up, not a measurement
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/api/health")[0] == 200:
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail("the booth server did not start")


def _sell_until_stopped(port: int, stop: threading.Event, token: str, product: dict,
                        acknowledged: dict[str, str], lock: threading.Lock) -> None:
    """One till: sell one item after another, noting each sale the server acknowledged
    (201); a 503 sends the same sale again; a dead server ends the till."""
    while not stop.is_set():
        body = {"id": str(uuid.uuid4()), "lines": [{"product_id": product["id"], "qty": 1}],
                "payments": [{"method": "cash", "amount": product["price"]}]}
        while not stop.is_set():
            try:
                status, sale = _request(port, "POST", "/api/v1/sales", body, token)
            except (OSError, http.client.HTTPException, json.JSONDecodeError):
                return  # the server is gone: an unanswered sale proves nothing
            if status == 201:
                with lock:
                    acknowledged[sale["id"]] = sale["number"]
                break
            assert status == 503, (status, sale)


@pytest.mark.slow
def test_kill_9_under_concurrent_sales_loses_no_acknowledged_sale(tmp_path):
    app = build_app(tmp_path)
    till = make_till(app)
    till.open_shift()
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with app.app_context():
        db.engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCOP_")} | {
        "OCOP_INSTANCE": app.instance_path, "OCOP_ROLE": "booth", "OCOP_BOOTH": "COOP-01",
        "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "test-secret"}
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()

    for round_ in range(ROUNDS):
        port = _free_port()
        server = _serve(env, port)
        stop = threading.Event()
        target = len(acknowledged) + SALES_PER_ROUND

        threads = [threading.Thread(target=_sell_until_stopped, args=(
            port, stop, till.tokens["cashier"], till.products[i % len(till.products)],
            acknowledged, lock)) for i in range(TILLS)]
        for thread in threads:
            thread.start()
        while len(acknowledged) < target and all(t.is_alive() for t in threads):
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        stop.set()
        for thread in threads:
            thread.join()
        assert len(acknowledged) >= target, f"round {round_}: the tills stopped selling"

    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = dict(connection.execute("SELECT id, number FROM sale"))
        assert {sale_id: stored.get(sale_id) for sale_id in acknowledged} == acknowledged
        seqs = [row[0] for row in connection.execute("SELECT seq FROM sale ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
        events = [row[0] for row in connection.execute(
            "SELECT seq FROM outbox_event ORDER BY seq")]
        assert events == list(range(1, len(events) + 1))
        ledger = dict(((booth, product), total) for booth, product, total in connection.execute(
            "SELECT booth_id, product_id, SUM(qty) FROM stock_move "
            "GROUP BY booth_id, product_id"))
        levels = dict(((booth, product), on_hand) for booth, product, on_hand in
                      connection.execute("SELECT booth_id, product_id, on_hand "
                                         "FROM stock_level"))
        assert ledger == {key: value for key, value in levels.items() if key in ledger}
        assert all(value == 0 for key, value in levels.items() if key not in ledger)
    finally:
        connection.close()
