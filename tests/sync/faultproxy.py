"""A small HTTP proxy in front of central that breaks the conversation on purpose.

It sits on 127.0.0.1 between a booth's sync client and a real central server and, for a
share of the requests (``rate``) chosen by a seeded random generator, does one of:

- ``drop_request``: read the request, close the client's connection, forward nothing;
- ``drop_response``: forward the request, read central's whole reply (so central has
  committed), then close the client's connection without answering;
- ``error_after_commit``: forward, then answer the client 502 instead of central's reply;
- ``reset_request``: send central the headers and half of the body, then reset both
  connections (central must store nothing of a half-read batch);
- ``reset_response``: forward, then send the client half of central's reply and reset;
- ``delay``: hold the request longer than the client's timeout, then forward it anyway
  (it reaches central late, possibly next to the client's retry);
- ``duplicate``: forward the same request twice, answer with the second reply;
- ``replay``: send central an earlier captured push batch again, before or after the
  current request (a reordered, stale batch), then answer the current one.

The first faults go once through every enabled kind, so a run of any seed covers them
all; after that the kind is drawn at random. Stdlib only; one thread per connection.
"""

from __future__ import annotations

import http.client
import random
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

FAULTS = ("drop_request", "drop_response", "error_after_commit", "reset_request",
          "reset_response", "delay", "duplicate", "replay")
PUSH_PATH = "/api/sync/v1/events"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "upgrade", "trailer", "host", "content-length"}


@dataclass
class Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Reply:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def raw(self, *, close: bool = False) -> bytes:
        head = [f"HTTP/1.1 {self.status} {self.reason}"]
        head += [f"{k}: {v}" for k, v in self.headers if k.lower() not in HOP_BY_HOP]
        head.append(f"Content-Length: {len(self.body)}")
        if close:
            head.append("Connection: close")
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body


BAD_GATEWAY = Reply(502, "Bad Gateway", [("Content-Type", "text/plain")],
                    b"central unreachable")


class _Closed(Exception):
    """The client went away."""


def _read_request(rfile) -> Request | None:
    line = rfile.readline(65537)
    if not line:
        return None
    parts = line.decode("latin-1").strip().split()
    if len(parts) != 3:
        raise _Closed
    method, path, _version = parts
    headers, length = [], 0
    while True:
        raw = rfile.readline(65537)
        if not raw:
            raise _Closed
        if raw in (b"\r\n", b"\n"):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        name, value = name.strip(), value.strip()
        if name.lower() == "transfer-encoding":
            raise _Closed  # the sync client always sends a Content-Length
        if name.lower() == "content-length":
            length = int(value)
        headers.append((name, value))
    body = rfile.read(length) if length else b""
    if len(body) != length:
        raise _Closed
    return Request(method, path, headers, body)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class FaultProxy:
    """``FaultProxy(upstream_port, seed=…, rate=…).start()``; ``url`` is what the booth
    talks to. ``rate`` and ``upstream_port`` may be changed while it runs."""

    def __init__(self, upstream_port: int, *, seed: int = 0, rate: float = 0.0,
                 faults: tuple[str, ...] = FAULTS, weights: dict[str, float] | None = None,
                 delay: float = 3.0, host: str = "127.0.0.1"):
        unknown = set(faults) - set(FAULTS)
        assert not unknown, unknown
        self.host = host
        self.upstream_port = upstream_port
        self.rate = rate
        self.faults = tuple(faults)
        self.weights = [(weights or {}).get(kind, 1.0) for kind in self.faults]
        self.delay = delay
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()       # faults injected, by kind
        self.push_counts: Counter[str] = Counter()  # … of them on a push of events
        # Pushes central answered 200 (so committed) whose answer the booth never got.
        self.lost_acks = 0
        self.forwarded = 0
        self.captured: list[Request] = []
        # Called with the request just after it was sent to central, before its reply is
        # read (a test kills central there).
        self.on_forwarded: Callable[[Request], None] | None = None
        self._first_round = list(self.faults)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                proxy._serve_connection(self)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            block_on_close = False
            allow_reuse_address = True

        self._server = Server((host, 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def quiesce(self, timeout: float = 60.0) -> None:
        """Wait until no request is in the proxy's hands (a delayed one reached central)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                assert left > 0, f"{self._in_flight} requests still in the proxy"
                self._idle.wait(left)

    # --- choosing ---------------------------------------------------------------------------

    def _choose(self, push: bool) -> tuple[str | None, Request | None, bool]:
        """The fault for the next request (None: none), the old batch a replay sends, and
        whether it goes before the current request. The first round of kinds is spent on
        push requests, so each kind hits a batch of events at least once."""
        with self._lock:
            if not self.faults or self.rng.random() >= self.rate:
                return None, None, False
            if self._first_round and push:
                kind = self._first_round[0]
                if kind == "replay" and not self.captured:
                    return None, None, False  # nothing to replay yet: try again later
                self._first_round.pop(0)
            else:
                kind = self.rng.choices(self.faults, self.weights)[0]
            old, before = None, False
            if kind == "replay":
                if not self.captured:
                    return None, None, False
                old, before = self.rng.choice(self.captured), self.rng.random() < 0.5
            self.counts[kind] += 1
            if push:
                self.push_counts[kind] += 1
            return kind, old, before

    # --- talking to central -----------------------------------------------------------------

    def _forward(self, request: Request) -> Reply:
        """Send one request to central on a connection of its own; a central that is down
        or dies mid-request answers 502."""
        conn = http.client.HTTPConnection(self.host, self.upstream_port, timeout=60)
        try:
            headers = {k: v for k, v in request.headers if k.lower() not in HOP_BY_HOP}
            conn.request(request.method, request.path, body=request.body or None,
                         headers=headers)
            with self._lock:
                self.forwarded += 1
            if self.on_forwarded is not None:
                self.on_forwarded(request)
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, response.reason, response.getheaders(), body)
        except (OSError, http.client.HTTPException):
            return BAD_GATEWAY
        finally:
            conn.close()

    def _send_half_and_reset(self, request: Request) -> None:
        """Headers and half of the body to central, then a reset."""
        try:
            sock = socket.create_connection((self.host, self.upstream_port), timeout=10)
        except OSError:
            return
        head = [f"{request.method} {request.path} HTTP/1.1",
                f"Host: {self.host}:{self.upstream_port}"]
        head += [f"{k}: {v}" for k, v in request.headers
                 if k.lower() not in HOP_BY_HOP - {"content-length"}]
        if not any(k.lower() == "content-length" for k, _ in request.headers):
            head.append(f"Content-Length: {len(request.body)}")
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
                         + request.body[: len(request.body) // 2])
            time.sleep(0.05)
        except OSError:
            pass
        _reset(sock)

    # --- one client connection --------------------------------------------------------------

    def _serve_connection(self, handler: socketserver.StreamRequestHandler) -> None:
        sock = handler.connection
        while True:
            try:
                request = _read_request(handler.rfile)
            except (_Closed, OSError, ValueError):
                return
            if request is None:
                return
            with self._lock:
                self._in_flight += 1
            try:
                keep_open = self._handle(sock, request)
            finally:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()
            if not keep_open:
                return

    def _handle(self, sock: socket.socket, request: Request) -> bool:
        """Answer (or not) one request; False when the client connection is finished."""
        push = request.method == "POST" and request.path.startswith(PUSH_PATH)
        kind, old, replay_first = self._choose(push)
        if push:
            with self._lock:
                self.captured.append(request)
        if kind == "drop_request":
            return False
        if kind == "reset_request":
            self._send_half_and_reset(request)
            _reset(sock)
            return False
        if kind == "delay":
            time.sleep(self.delay)  # the client has given up by now
        if old is not None and replay_first:
            self._forward(old)
        reply = self._forward(request)
        if kind == "duplicate":
            reply = self._forward(request)
        if old is not None and not replay_first:
            self._forward(old)
        if push and reply.status == 200 and kind in (
                "drop_response", "error_after_commit", "reset_response", "delay"):
            with self._lock:
                self.lost_acks += 1
        if kind == "drop_response":
            return False
        if kind == "error_after_commit":
            reply = BAD_GATEWAY
        raw = reply.raw(close=reply is BAD_GATEWAY)
        try:
            if kind == "reset_response":
                sock.sendall(raw[: max(1, len(raw) - len(reply.body) // 2 - 1)])
                _reset(sock)
                return False
            sock.sendall(raw)
        except OSError:
            return False
        return reply is not BAD_GATEWAY
