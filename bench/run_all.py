"""Every benchmark of issue 11 next to its floor, in one process run.

Usage: ``python bench/run_all.py [--quick] [--runs 60] [--no-docs]``. Writes
``bench/results.json`` (``{name: {ours_ms, floor_ms, ratio, goal, ok}}``) and the table
between the ``run_all`` markers of ``docs/performance.md``.

What runs (medians; the machine is shared, so each measure and its floor are timed in
turns, a, b, a, b, …, and the ratios are what count):

- two booths built by ``gen_history.py`` (rows written directly): 20,000 products in
  stock, 300 sales today, and 700 or 99,700 sales before today (1,000 / 100,000);
- the big booth served by waitress on 127.0.0.1, called over keep-alive HTTP with a
  Bearer token; the floor is a bare Flask route answering fixed JSON on the same
  waitress;
- a third, small booth with a real TCP socket "printer" and the print worker running,
  for the time from a sale's answer to its receipt's last byte at the printer;
- the sale POST rows come from ``bench/bench_sale_commit.py``'s ``run()`` when it has
  one.

``--quick`` builds smaller booths (2,000 products, 100 / 10,000 sales) for a smoke run;
its figures are not the issue's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import waitress  # noqa: E402
from bench_stock import interleaved  # noqa: E402
from gen_history import add_print_jobs, build_booth  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from waitress.wasyncore import close_all  # noqa: E402

from core.auth import public  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Booth  # noqa: E402
from inventory.models import Barcode  # noqa: E402
from pos.counter_models import Sale  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- run_all:begin -->", "<!-- run_all:end -->"
FLOOR = "/bench-floor"


# --- serving and calling ------------------------------------------------------------------

class Served:
    """An app on waitress in a thread, on a free loopback port."""

    def __init__(self, app, threads: int = 4):
        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        for client in Client.opened:
            if client.port == self.port:
                client.conn.close()
        # Closed from the server's own loop thread: closing its sockets from here races
        # with its select() (EBADF).
        self.server.trigger.pull_trigger(lambda: close_all(self.server._map))
        self.thread.join(timeout=5)


class Client:
    """Keep-alive HTTP/1.1 calls; returns (status, headers, body, bytes on the wire)."""

    opened: list[Client] = []

    def __init__(self, port: int, token: str | None = None):
        Client.opened.append(self)
        self.port = port
        self.token = token
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body=None, headers=None):
        sent = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent |= headers or {}
        data = None
        if isinstance(body, bytes):
            data = body
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=sent)
        response = self.conn.getresponse()
        payload = response.read()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _eq, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        head = sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
        # response.msg: the headers, looked up case-insensitively (waitress says "Etag")
        return response.status, response.msg, payload, head + len(payload)

    def get(self, path: str, headers=None):
        return self.call("GET", path, headers=headers)


def add_floor(app) -> None:
    @app.get(FLOOR)
    @public
    def bench_floor():
        return {"ok": True, "product": {"id": 1, "name": "Nước mắm", "price": 125000}}


def expect(status: int, call):
    """Wrap a call so a wrong answer stops the benchmark instead of timing an error."""
    def checked():
        result = call()
        if result[0] != status:
            raise SystemExit(f"bench call answered {result[0]}, not {status}: {result[2][:300]}")
        return result
    return checked


class StatementCounter:
    """Counts the SQL statements an app's engine runs while active (not the BEGIN that
    opens the transaction)."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _seen(self, conn, cursor, statement, *rest):
        if not statement.startswith("BEGIN"):
            self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)


# --- results --------------------------------------------------------------------------------

results: dict[str, dict] = {}


def record(name: str, ours: float | None, floor: float | None, goal: str, ok: bool | None,
           note: str = "", **extra) -> None:
    ratio = round(ours / floor, 2) if ours is not None and floor else None
    results[name] = {"ours_ms": None if ours is None else round(ours, 3),
                     "floor_ms": None if floor is None else round(floor, 3),
                     "ratio": ratio, "goal": goal, "ok": ok, "note": note} | extra
    mark = {True: "ok", False: "MISSED", None: "-"}[ok]
    shown = "" if ours is None else f"{ours:9.2f} ms"
    floor_shown = "" if floor is None else f"{floor:9.2f} ms"
    print(f"  {name:<52} {shown:>12} {floor_shown:>12} "
          f"{'' if ratio is None else f'{ratio:6.2f}×':>8}  {goal:<22} {mark}  {note}",
          flush=True)


# --- the measures ---------------------------------------------------------------------------

def bench_scan(served: Served, app, token: str, runs: int) -> None:
    with app.app_context():
        codes = list(db.session.scalars(select(Barcode.code).order_by(Barcode.id)))
        db.session.remove()
    code = codes[len(codes) // 2]
    client, floor = Client(served.port, token), Client(served.port)
    # A scan takes about a millisecond: ten times the turns cost a second and steady
    # the medians of two figures this close.
    ours, base = interleaved([
        expect(200, lambda: client.get(f"/api/v1/products/by-barcode/{code}")),
        expect(200, lambda: floor.get(FLOOR))], runs * 10)
    with StatementCounter(_engine(app)) as counter:
        client.get(f"/api/v1/products/by-barcode/{code}")
    record(f"scan by barcode over HTTP, {len(codes):,} barcodes", ours, base, "≤ 2× floor",
           ours <= 2 * base,
           f"{counter.count} SQL statements (the token with its user and booth; the card)")


def _engine(app):
    with app.app_context():
        return db.engine


def bench_receipt_raster(runs: int) -> None:
    from bench_receipts import sample_receipt

    from receipts.escpos_out import escpos_bytes

    doc = sample_receipt()
    first_started = time.perf_counter()
    escpos_bytes(doc, mode="raster", paper_mm=80)
    first = (time.perf_counter() - first_started) * 1000
    [ours] = interleaved([lambda: escpos_bytes(doc, mode="raster", paper_mm=80)], runs)
    record("receipt raster ESC/POS, 10 lines, 80 mm", ours, None, "≤ 30 ms", ours <= 30,
           f"first in the process (glyphs drawn): {first:.1f} ms")


def bench_receipt_png(served: Served, app, token: str, runs: int) -> None:
    with app.app_context():
        sale_ids = list(db.session.scalars(select(Sale.id).order_by(Sale.seq.desc()).limit(
            runs + 5)))
        db.session.remove()
    client = Client(served.port, token)
    sale_id = sale_ids[0]
    # Uncached: a different sale each time, drawn on first request.
    fresh = iter(sale_ids[1:])
    [first] = interleaved([expect(200, lambda: client.get(
        f"/sales/{next(fresh)}/receipt.png"))], runs)
    status, headers, _body, _wire = client.get(f"/sales/{sale_id}/receipt.png")
    etag = headers.get("ETag")
    # The 304s apart, on a connection of their own: waitress closes the connection after
    # every 304 (it has no Content-Length), so the next call on it pays a reconnect.
    revalidator = Client(served.port, token)
    ours, base = interleaved([
        expect(200, lambda: client.get(f"/sales/{sale_id}/receipt.png")),
        expect(200, lambda: client.get(f"/api/v1/sales/{sale_id}"))], runs)
    [revalidated] = interleaved([expect(304, lambda: revalidator.get(
        f"/sales/{sale_id}/receipt.png", headers={"If-None-Match": etag}))], runs)
    record("receipt PNG preview, kept (vs the sale as JSON)", ours, base, "≤ 2× floor",
           ours <= 2 * base, f"first drawing {first:.1f} ms; 304 revalidation "
           f"{revalidated:.1f} ms (with a reconnect: waitress closes after a 304)")


def bench_sales_list(small: tuple, big: tuple, runs: int) -> None:
    (small_served, _sa, small_token, small_n), (big_served, _ba, big_token, big_n) = small, big
    clients = [Client(small_served.port, small_token), Client(big_served.port, big_token)]
    first_small, first_big, floor_small = interleaved(
        [expect(200, lambda c=c: c.get("/sales")) for c in clients]
        + [expect(200, lambda: Client(small_served.port).get(FLOOR))], runs)
    record(f"sales list, today, {big_n:,} sales vs {small_n:,}", first_big, first_small,
           "growth ≤ 1.2×", first_big <= 1.2 * first_small,
           f"floor (bare route) {floor_small:.2f} ms")


def bench_printer_status(served: Served, app, token: str, jobs: int, runs: int) -> None:
    with app.app_context():
        booth = db.session.scalar(select(Booth).where(Booth.code == "COOP-01"))
        add_print_jobs(db.session, booth=booth, count=jobs)
        db.session.remove()
    client, floor = Client(served.port, token), Client(served.port)
    ours, base = interleaved([expect(200, lambda: client.get("/api/v1/printer/status")),
                              expect(200, lambda: floor.get(FLOOR))], runs)
    pending = json.loads(client.get("/api/v1/printer/status")[2])["pending"]
    record(f"/printer/status with {pending:,} pending jobs", ours, base, "≤ 10 ms",
           ours <= 10)


def bench_stock(served: Served, app, token: str, runs: int) -> None:
    client, floor = Client(served.port, token), Client(served.port, token)
    ours, base = interleaved([expect(200, lambda: client.get("/api/v1/stock")),
                              expect(200, lambda: floor.get("/api/v1/me"))], runs)
    engine = _engine(app)
    with StatementCounter(engine) as page:
        rows = len(json.loads(client.get("/api/v1/stock")[2])["stock"])
    with StatementCounter(engine) as me:
        floor.get("/api/v1/me")
    extra = page.count - me.count
    record("/api/v1/stock, first page (vs /api/v1/me)", ours, base, "one query per page",
           extra <= 1, f"{rows} rows, {page.count} statements, {extra} beyond sign-in "
           "(the page)")


ASSET = re.compile(r'<(?:script[^>]*\bsrc|link[^>]*\bhref)="([^"]+)"')
# import "./x.js"; import {a} from "./x.js"; import("./x.js"); export {a} from "./x.js"
IMPORT = re.compile(r"(?:\bimport\s*(?:[^'\"()]*?\bfrom\s*)?|\bimport\s*\(\s*"
                    r"|\bexport\s+[^'\"]*?\bfrom\s*)['\"]([^'\"]+)['\"]")


def signed_in(port: int, username: str) -> Client:
    """A browser-like client signed in through the login form (session cookie)."""
    from urllib.parse import urlencode

    from pos.demo import DEMO_PASSWORD

    client = Client(port)
    html = client.get("/login")[2].decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    form = urlencode({"csrf_token": token.group(1), "username": username,
                      "password": DEMO_PASSWORD}).encode()
    status = client.call("POST", "/login", form, headers={
        "Content-Type": "application/x-www-form-urlencoded"})[0]
    assert status in (302, 303), f"sign-in answered {status}"
    return client


def needs_revalidation(cache_control: str) -> bool:
    """Whether a reload asks for a file again: a browser revalidates the page itself and
    any file that may not be used without asking (no-cache, no max-age or max-age=0);
    a file still fresh by its max-age (or immutable) is taken from the cache."""
    found = re.search(r"max-age=(\d+)", cache_control)
    return "no-cache" in cache_control or "no-store" in cache_control or not found or int(
        found.group(1)) == 0


def page_weight(client: Client, path: str = "/pos") -> tuple[int, int, int, int, list[str]]:
    """Bytes a browser receives for a first load of ``path`` with an empty cache and
    for a reload with a warm one: bodies as sent (compressed) and, apart, headers. The
    page, its styles, scripts and icon, and every module they import; a warm reload
    asks the page again with its ETag, and a file only if it is not fresh
    (``needs_revalidation``)."""
    accept = {"Accept-Encoding": "br, gzip"}
    status, headers, body, wire = client.get(path, headers=accept)
    assert status == 200, status
    first_body, first_head = len(body), wire - len(body)
    html = _decoded(headers, body).decode()
    queue = [urljoin(path, url) for url in ASSET.findall(html)]
    seen: dict[str, object] = {}
    while queue:
        url = queue.pop()
        if url in seen or urlsplit(url).netloc:
            continue
        status, asset_headers, asset_body, wire = client.get(url, headers=accept)
        assert status == 200, (url, status)
        first_body += len(asset_body)
        first_head += wire - len(asset_body)
        seen[url] = asset_headers
        if url.endswith(".js"):
            text = _decoded(asset_headers, asset_body).decode()
            queue += [urljoin(url, spec) for spec in IMPORT.findall(text)
                      if spec.startswith((".", "/"))]
    _status, _h, body, wire = client.get(path, headers=accept | {
        "If-None-Match": headers.get("ETag", "")})
    warm_body, warm_head = len(body), wire - len(body)
    for url, asset_headers in seen.items():
        if needs_revalidation(asset_headers.get("Cache-Control", "")):
            _status, _h, body, wire = client.get(url, headers=accept | {
                "If-None-Match": asset_headers.get("ETag", "")})
            warm_body += len(body)
            warm_head += wire - len(body)
    return first_body, first_head, warm_body, warm_head, sorted(seen)


def _decoded(headers, body: bytes) -> bytes:
    encoding = headers.get("Content-Encoding", "")
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(body)
    return body


def bench_pos_weight(served: Served) -> None:
    client = signed_in(served.port, "thungan.coop-01")
    first, first_head, warm, warm_head, assets = page_weight(client)
    record("/pos first load, bytes", None, None, "≤ 45 KB", first <= 45 * 1024,
           f"{first / 1024:.1f} KB compressed bodies: page + {len(assets)} files "
           f"(+ {first_head / 1024:.1f} KB of headers)", bytes=first)
    record("/pos warm reload, bytes", None, None, "≤ 2 KB", warm <= 2 * 1024,
           f"{warm / 1024:.2f} KB of bodies (page 304, files immutable; + "
           f"{warm_head / 1024:.2f} KB of headers)", bytes=warm)


class SocketPrinter:
    """A TCP "printer" on loopback: records when each job's last byte arrived."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.jobs: list[tuple[float, int]] = []
        self.arrived = threading.Condition()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            size = 0
            with conn:
                while chunk := conn.recv(65536):
                    size += len(chunk)
            with self.arrived:
                self.jobs.append((time.perf_counter(), size))
                self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[float, int]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.jobs) >= count, timeout)
            return list(self.jobs)

    def close(self) -> None:
        self.sock.close()


def bench_print_latency(runs: int) -> None:
    """From the sale's HTTP answer (committed) to the receipt's last byte at the printer."""
    from receipts.queue import PrintWorker

    printer = SocketPrinter()
    with tempfile.TemporaryDirectory() as tmp:
        app, _manager, cashier = build_booth(
            tmp, products=200, sales=0, today=0,
            OCOP_PRINTER=f"escpos+network://127.0.0.1:{printer.port}")
        worker = PrintWorker(app).start()
        served = Served(app)
        client = Client(served.port, cashier)
        try:
            status, _h, body, _w = client.call("POST", "/api/v1/shifts",
                                               {"opening_float": 500_000})
            assert status == 201, body
            products = json.loads(client.get("/api/v1/products?limit=3")[2])["products"]
            lines = [{"product_id": p["id"], "qty": 1} for p in products]
            total = sum(p["price"] for p in products)
            latencies, sizes = [], []
            for n in range(runs):
                body = {"id": str(uuid.uuid4()), "lines": lines,
                        "payments": [{"method": "cash", "amount": total,
                                      "tendered": total + 100_000}]}
                status, _h, answer, _w = client.call("POST", "/api/v1/sales", body)
                answered = time.perf_counter()
                assert status == 201, answer
                jobs = printer.wait_for(n + 1)
                if len(jobs) <= n:
                    raise SystemExit("the receipt never reached the printer")
                arrived, size = jobs[n]
                latencies.append((arrived - answered) * 1000)
                sizes.append(size)
        finally:
            served.close()
            worker.stop()
            printer.close()
            with app.app_context():
                db.engine.dispose()
    ours = statistics.median(latencies)
    record("receipt bytes reach the printer after commit", ours, None, "≤ 100 ms",
           ours <= 100, f"p90 {sorted(latencies)[int(len(latencies) * 0.9)]:.1f} ms, "
           f"{statistics.median(sizes) / 1024:.1f} KB a job, real TCP socket")


def bench_sale_rows(quick: bool) -> None:
    try:
        import bench_sale_commit
    except ImportError as err:
        record("sale POST rows", None, None, "see bench_sale_commit", None,
               f"skipped: {err}")
        return
    run = getattr(bench_sale_commit, "run", None)
    if run is None:
        record("sale POST rows", None, None, "see bench_sale_commit", None,
               "skipped: bench_sale_commit.py has no run() yet")
        return
    for name, row in run(quick=quick).items():
        results[name] = row
        print(f"  {name:<52} {row}", flush=True)


# --- writing --------------------------------------------------------------------------------

def table() -> str:
    lines = ["| measure | ours | floor in the same run | ratio | goal | met | note |",
             "|---|---|---|---|---|---|---|"]
    for name, row in results.items():
        ours = "" if row.get("ours_ms") is None else f"{row['ours_ms']:.2f} ms"
        floor = "" if row.get("floor_ms") is None else f"{row['floor_ms']:.2f} ms"
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}×"
        met = {True: "yes", False: "**no**", None: "–"}[row.get("ok")]
        lines.append(f"| {name} | {ours} | {floor} | {ratio} | {row.get('goal', '')} | "
                     f"{met} | {row.get('note', '')} |")
    return "\n".join(lines)


def write_docs(command: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = (f"{BEGIN}\n`{command}` — run {stamp}, medians.\n\n{table()}\n{END}")
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END)
        text = text[:start] + block + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small booths, a smoke run")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--no-docs", action="store_true",
                        help="write results.json only, leave docs/performance.md alone")
    args = parser.parse_args()
    # waitress warns of queued tasks under load and of sockets closed at shutdown:
    # expected here, and noise between the figures.
    logging.getLogger("waitress").setLevel(logging.CRITICAL)
    products, small_sales, big_sales, jobs = ((2_000, 100, 10_000, 4_000) if args.quick
                                              else (20_000, 700, 99_700, 40_000))
    runs = 10 if args.quick else args.runs
    started = time.perf_counter()
    print("receipts", flush=True)
    bench_receipt_raster(runs)
    bench_print_latency(min(runs, 20))
    with tempfile.TemporaryDirectory() as small_tmp, tempfile.TemporaryDirectory() as big_tmp:
        print(f"building booths: {products:,} products; {small_sales + 300:,} and "
              f"{big_sales + 300:,} sales", flush=True)
        small_app, _sm, small_token = build_booth(small_tmp, products=products,
                                                  sales=small_sales)
        big_app, big_manager, big_token = build_booth(big_tmp, products=products,
                                                      sales=big_sales)
        for app in (small_app, big_app):
            add_floor(app)
        small, big = Served(small_app), Served(big_app)
        try:
            print(f"booths ready in {time.perf_counter() - started:.0f} s", flush=True)
            bench_scan(big, big_app, big_token, runs)
            bench_sales_list((small, small_app, _sm, small_sales + 300),
                             (big, big_app, big_manager, big_sales + 300), runs)
            bench_receipt_png(big, big_app, big_token, runs)
            bench_stock(big, big_app, big_manager, runs)
            bench_pos_weight(big)
            bench_printer_status(big, big_app, big_token, jobs, runs)
        finally:
            small.close()
            big.close()
            for app in (small_app, big_app):
                with app.app_context():
                    db.engine.dispose()
    print("sale POST", flush=True)
    bench_sale_rows(args.quick)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
    command = "python bench/run_all.py" + (" --quick" if args.quick else "")
    if not args.no_docs:
        write_docs(command)
    missed = [name for name, row in results.items() if row.get("ok") is False]
    print(f"\n{len(results)} rows in {time.perf_counter() - started:.0f} s; "
          f"{'all goals met' if not missed else 'missed: ' + ', '.join(missed)}")


if __name__ == "__main__":
    main()
