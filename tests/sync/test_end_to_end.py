"""End to end: a booth syncs with central running as a real server process (``ocop serve``)
over real HTTP on 127.0.0.1, through a proxy that drops, resets, delays, duplicates and
replays requests (tests/sync/faultproxy.py), and once with central killed by SIGKILL.

After the faults clear and the outbox drains, central holds every event the booth ever
wrote exactly once, and its figures for the booth (sales by kind and status, payments
per method, stock per product, shifts, receipt numbers) equal the booth's own
(docs/sync-research.md §5, T2 and T3).

One central process per database (SQLite, then PostgreSQL) serves the whole module; each
test syncs a booth of its own, so their figures never mix.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from core.extensions import db
from inventory.models import Product
from pos import counter
from pos.counter_models import Sale, Shift
from sync.client import CentralClient, SyncError
from sync.models import SyncState
from tests.conftest import FAST_HASH, build_app, fresh_postgres_database
from tests.sync.conftest import booth_row, make_booth, pending, staff, stocked_products, totals
from tests.sync.faultproxy import FAULTS, FaultProxy

pytestmark = pytest.mark.slow

OCOP = Path(sys.executable).with_name("ocop")
CLIENT_TIMEOUT = 2.0  # seconds; the proxy's delay is longer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CentralServer:
    """Central as its own process: ``ocop init``, ``seed-demo``, ``booth register`` and
    ``serve``, configured only by its environment."""

    def __init__(self, folder: Path, database_url: str | None):
        self.instance = folder / "central"
        self.instance.mkdir(parents=True)
        # Fast password hashes for the seeded staff (the file is read like in production).
        (self.instance / "config.toml").write_text(f'PASSWORD_HASH_METHOD = "{FAST_HASH}"\n')
        self.database_url = database_url or f"sqlite:///{self.instance / 'ocop.sqlite3'}"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("OCOP_") and k not in ("DATABASE_URL", "SECRET_KEY")}
        self.env.update(OCOP_ROLE="central", OCOP_INSTANCE=str(self.instance),
                        DATABASE_URL=self.database_url, PYTHONUNBUFFERED="1")
        self.log_path = folder / "central.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.starts = 0

    def ocop(self, *args: str) -> str:
        done = subprocess.run([str(OCOP), *args], env=self.env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def prepare(self) -> None:
        """Migrate and seed central's database."""
        self.ocop("init")
        self.ocop("seed-demo")

    def register(self, code: str) -> str:
        """A new sync token for the booth (the command's last line)."""
        return self.ocop("booth", "register", code).strip().splitlines()[-1]

    def start(self) -> None:
        self.port = _free_port()
        self.starts += 1
        with self.log_path.open("a") as log:
            log.write(f"--- start {self.starts} on port {self.port}\n")
            log.flush()
            self.proc = subprocess.Popen(
                [str(OCOP), "serve", "--port", str(self.port), "--threads", "4"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            assert self.proc.poll() is None, self.log()
            assert time.monotonic() < deadline, self.log()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/sync/v1/epochs",
                                       timeout=5)
            except urllib.error.HTTPError:
                return  # 401 without a token: it answers
            except OSError:
                time.sleep(0.2)
                continue
            return

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9: no clean shutdown, whatever it was doing."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        try:
            return self.log_path.read_text()[-5000:]
        except OSError:
            return ""

    def reader(self, folder: Path) -> Flask:
        """An app in this test process on central's database, to read what it holds."""
        return build_app(folder, role="central", database_url=self.database_url,
                         create_schema=False)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def central_db(request):
    if request.param == "sqlite":
        yield None
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture(scope="module")
def central_server(tmp_path_factory, central_db):
    server = CentralServer(tmp_path_factory.mktemp("e2e"), central_db)
    server.prepare()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def central(central_server):
    """The module's central, running (a test that killed it may have left it down)."""
    if not central_server.alive():
        central_server.start()
    return central_server


@pytest.fixture
def apps_to_dispose():
    apps: list[Flask] = []
    yield apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()


# --- the booth's day ----------------------------------------------------------------------


class Till:
    """A seeded day at booth ``code``: sales paid in every method, refunds, voids, cash
    moved, shifts closed and opened again, through the counter's services."""

    def __init__(self, app: Flask, code: str, rng: random.Random):
        self.app, self.code, self.rng = app, code, rng
        self.products = stocked_products(app, 12)
        self.shift = self.open_shift()
        self.open_sales: list[tuple[str, list[tuple[int, int]]]] = []
        self.counts = {"sale": 0, "refund": 0, "void": 0, "cash": 0, "shift": 1}

    def open_shift(self) -> str:
        with self.app.app_context():
            shift = counter.open_shift(db.session, booth=booth_row(self.code),
                                       cashier=staff("cashier", self.code),
                                       opening_float=500_000)
            db.session.commit()
            return shift.id

    def close_shift(self) -> None:
        with self.app.app_context():
            shift = db.session.get(Shift, self.shift)
            report = counter.shift_report(db.session, shift=shift)
            counter.close_shift(db.session, booth=booth_row(self.code), shift=shift,
                                actor=staff("cashier", self.code),
                                counted_cash=report["expected_cash"])
            db.session.commit()

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.08 and self.open_sales:
            self.refund()
        elif roll < 0.12 and self.open_sales:
            self.void()
        elif roll < 0.15:
            self.move_cash()
        else:
            self.sell()

    def sell(self) -> None:
        lines = [(pid, self.rng.randint(1, 2))
                 for pid in self.rng.sample(self.products, self.rng.randint(1, 3))]
        method = self.rng.choice(["cash", "cash", "transfer", "card"])
        with self.app.app_context():
            total = sum(db.session.get(Product, pid).price * qty for pid, qty in lines)
            sale, _created = counter.complete_sale(
                db.session, booth=booth_row(self.code), cashier=staff("cashier", self.code),
                sale_id=None,
                lines=[counter.LineInput(qty=qty, product_id=pid) for pid, qty in lines],
                payments=[counter.PaymentInput(method=method, amount=total)])
            db.session.commit()
            self.open_sales.append((sale.id, lines))
        self.counts["sale"] += 1

    def _take(self) -> tuple[str, list[tuple[int, int]]]:
        return self.open_sales.pop(self.rng.randrange(len(self.open_sales)))

    def refund(self) -> None:
        sale_id, lines = self._take()
        with self.app.app_context():
            counter.refund_sale(db.session, booth=booth_row(self.code),
                                actor=staff("manager", self.code),
                                original=db.session.get(Sale, sale_id), refund_id=None,
                                lines=[(lines[0][0], 1)], reason="Khách đổi ý")
            db.session.commit()
        self.counts["refund"] += 1

    def void(self) -> None:
        sale_id, _lines = self._take()
        with self.app.app_context():
            counter.void_sale(db.session, booth=booth_row(self.code),
                              actor=staff("manager", self.code),
                              sale=db.session.get(Sale, sale_id), reason="Bấm nhầm")
            db.session.commit()
        self.counts["void"] += 1

    def move_cash(self) -> None:
        with self.app.app_context():
            counter.move_cash(db.session, booth=booth_row(self.code),
                              shift=db.session.get(Shift, self.shift),
                              actor=staff("cashier", self.code),
                              kind=self.rng.choice(["in", "out"]),
                              amount=self.rng.randint(1, 20) * 10_000, reason="Tiền lẻ")
            db.session.commit()
        self.counts["cash"] += 1

    def next_shift(self) -> None:
        self.close_shift()
        self.shift = self.open_shift()
        self.open_sales = []  # a closed shift's sales can no longer be voided
        self.counts["shift"] += 1


def try_sync(client: CentralClient) -> SyncError | None:
    """One sync; the error it met, if any."""
    try:
        client.sync_once()
    except SyncError as err:
        return err
    return None


def drain(client: CentralClient, booth: Flask, *, timeout: float = 90.0) -> None:
    """Sync until the booth has nothing waiting (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        error = try_sync(client)
        if error is None and pending(booth) == 0:
            return
        assert time.monotonic() < deadline, f"{pending(booth)} events still waiting: {error}"
        time.sleep(0.2)


def assert_central_equals_booth(code: str, booth: Flask, reader: Flask) -> None:
    with booth.app_context():
        booth_id = booth_row(code).id
        written = db.session.execute(text(
            "SELECT id, hash FROM outbox_event WHERE booth_id = :b"), {"b": booth_id}).all()
        state = db.session.get(SyncState, booth_id)
        assert state.epoch_no == 1, "network faults alone must not open a new epoch"
    with reader.app_context():
        central_id = db.session.scalar(text("SELECT id FROM booth WHERE code = :c"),
                                       {"c": code})
        held = db.session.execute(text(
            "SELECT id, hash, status, seq, type, problem FROM ingested_event "
            "WHERE booth_id = :b ORDER BY seq"),
            {"b": central_id}).all()
        conflicts = db.session.scalar(text(
            "SELECT count(*) FROM sync_conflict WHERE booth_id = :b"), {"b": central_id})
        high_water = db.session.scalar(text(
            "SELECT max(high_water) FROM sync_epoch WHERE booth_id = :b"), {"b": central_id})
    # 0 lost, 0 duplicated, nothing quarantined or held for review.
    assert len(held) == len(written), (len(held), len(written))
    assert {(r.id, r.hash) for r in held} == {(r.id, r.hash) for r in written}
    assert {r.status for r in held} == {"applied"}, [
        (r.seq, r.type, r.problem) for r in held if r.status != "applied"]
    assert conflicts == 0
    assert high_water == len(written)
    assert totals(reader, code) == totals(booth, code)


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [7])
def test_faults_on_the_wire_lose_and_double_nothing(tmp_path, central, apps_to_dispose, seed):
    """T2: a day of sales, refunds, voids, cash moves and shift changes, synced every few
    actions while 40% of the requests meet a fault; after the faults clear and the outbox
    drains, central holds each event once and the booth's figures."""
    code, rng = "COOP-01", random.Random(seed)
    proxy = FaultProxy(central.port, seed=seed, rate=0.4, delay=CLIENT_TIMEOUT + 1.0,
                       weights={"delay": 0.4}).start()
    booth = make_booth(tmp_path, booth=code, token=central.register(code),
                       central_url=proxy.url)
    reader = central.reader(tmp_path / "reader")
    apps_to_dispose += [booth, reader]
    client = CentralClient(booth, timeout=CLIENT_TIMEOUT)
    try:
        till = Till(booth, code, rng)
        failed = 0
        for step in range(1, 161):
            till.step()
            if step % 45 == 0:
                till.next_shift()
            if step % 4 == 0:
                failed += try_sync(client) is not None
        till.close_shift()

        proxy.rate = 0.0
        drain(client, booth)
        proxy.quiesce()  # a delayed request may still reach central: let it land
        drain(client, booth)

        # Every kind of fault hit a push of events; some pushes central committed were
        # never acknowledged to the booth, and were sent again.
        assert set(proxy.push_counts) == set(FAULTS), proxy.push_counts
        assert proxy.lost_acks > 0 and failed > 0
        assert_central_equals_booth(code, booth, reader)
        assert till.counts["sale"] > 100 and till.counts["refund"] and till.counts["void"]
    finally:
        client.close()
        proxy.stop()


def test_central_killed_mid_batch_recovers(tmp_path, central, apps_to_dispose):
    """T3, lighter: central gets SIGKILL while a push is in its hands (before or after
    its commit, whichever the scheduler makes it), is restarted, and the drain still
    ends with central equal to the booth."""
    code, rng = "COOP-02", random.Random(11)
    proxy = FaultProxy(central.port, seed=11, rate=0.0).start()
    booth = make_booth(tmp_path, booth=code, token=central.register(code),
                       central_url=proxy.url)
    reader = central.reader(tmp_path / "reader")
    apps_to_dispose += [booth, reader]
    client = CentralClient(booth, timeout=CLIENT_TIMEOUT)
    armed = {"kill": False}
    kills = []
    # How long central works on the batch before the kill: from "just received" to
    # "probably committed and answered"; which one it was is up to the scheduler.
    pauses = [0.0, 0.02, 0.06, 0.2]

    def kill_central(request):
        if armed["kill"] and request.method == "POST":
            armed["kill"] = False
            time.sleep(pauses[len(kills) % len(pauses)])
            central.kill()
            kills.append(request.path)

    proxy.on_forwarded = kill_central
    try:
        till = Till(booth, code, rng)
        for step in range(1, 61):
            till.step()
            if step % 25 == 0:
                till.next_shift()
            if step % 15 == 0:
                armed["kill"] = True
            if step % 3 == 0:
                try_sync(client)
                if not central.alive():
                    central.start()
                    proxy.upstream_port = central.port
        till.close_shift()
        if not central.alive():
            central.start()
            proxy.upstream_port = central.port
        drain(client, booth)

        assert len(kills) == 4, kills
        assert_central_equals_booth(code, booth, reader)
    finally:
        client.close()
        proxy.stop()
