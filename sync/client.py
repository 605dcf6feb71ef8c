"""The booth's sender and puller: one per booth, one batch in flight, never a database
write transaction held across a network call, events marked sent only on central's
explicit acknowledgement (docs/sync-research.md §2.2, §2.4, §2.6)."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from flask import Flask
from sqlalchemy import select

from core.extensions import db, sqlite_begin
from core.types import utcnow
from core.workers import BackgroundWorker, wake_worker
from pos.context import booth_by_code
from sync import feeds, outbox
from sync.models import OutboxEvent, SyncState

BATCH_EVENTS = 200
BATCH_BYTES = 1_000_000
MAX_BACKOFF_SECONDS = 300.0
PULL_PAGE = 500


class SyncError(Exception):
    """A sync that did not complete; the message is for the booth's screen (Vietnamese)."""


def check_central_url(url: str, *, allow_http: bool = False) -> str:
    """Refuse a plain-HTTP central unless it is this machine or explicitly allowed: a
    booth's token and sales must not cross a network in clear."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(f"Địa chỉ máy chủ trung tâm không hợp lệ: {url!r}")
    if parts.scheme == "http" and not allow_http:
        host = parts.hostname
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            raise SyncError("Máy chủ trung tâm phải dùng HTTPS (hoặc đặt "
                            "OCOP_SYNC_ALLOW_HTTP=1 nếu thật sự cần HTTP).")
    return url.rstrip("/")


@contextmanager
def _reading():
    """A read-only SQLite transaction (no write lock), ended before any network call."""
    token = sqlite_begin.set("BEGIN")
    try:
        yield db.session
    finally:
        db.session.rollback()
        sqlite_begin.reset(token)


@dataclass
class SyncReport:
    pushed: int = 0
    pulled_products: int = 0
    pulled_transfers: int = 0
    recovered: int = 0
    pending: int = 0


class CentralClient:
    """One booth's conversation with central over a kept HTTP connection."""

    def __init__(self, app: Flask, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0):
        config = app.config
        if not config.get("OCOP_CENTRAL_URL") or not config.get("OCOP_SYNC_TOKEN"):
            raise SyncError("Chưa cấu hình OCOP_CENTRAL_URL và OCOP_SYNC_TOKEN.")
        self.app = app
        self.base = check_central_url(config["OCOP_CENTRAL_URL"],
                                      allow_http=bool(config.get("OCOP_SYNC_ALLOW_HTTP")))
        verify = config.get("OCOP_SYNC_CA_BUNDLE") or True  # never False
        self.http = httpx.Client(
            base_url=self.base, verify=verify, transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"Authorization": f"Bearer {config['OCOP_SYNC_TOKEN']}",
                     "User-Agent": "ocop-booth-sync/1"})
        self.batch_events = BATCH_EVENTS

    def close(self) -> None:
        self.http.close()

    # --- one exchange each -----------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise SyncError(f"Không kết nối được máy chủ trung tâm: {err.__class__.__name__}"
                            ) from err

    @staticmethod
    def _error(response: httpx.Response) -> SyncError:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        return SyncError(f"Trung tâm trả lời {response.status_code}: {message}")

    def booth(self):
        return booth_by_code(self.app.config["OCOP_BOOTH"])

    def push_once(self, *, probe: bool = False) -> int:
        """Send the oldest batch of waiting events; returns how many central acknowledged
        (0 when nothing waits). With ``probe``, an empty batch still goes when nothing
        waits, so central compares the booth's (epoch, last seq) with what it holds and
        answers ``rewind`` to a booth restored behind it (§2.6)."""
        with _reading() as session:
            booth = self.booth()
            state = session.get(SyncState, booth.id)
            if state is None:
                return 0
            batch = outbox.pending_batch(session, booth, limit=self.batch_events,
                                         max_bytes=BATCH_BYTES)
            pending, oldest = outbox.pending_summary(session, booth)
            epoch, epoch_no = state.epoch, state.epoch_no
            local_last = outbox.last_seq(session, booth, epoch)
            body = {"booth": booth.code, "epoch": epoch, "epoch_no": epoch_no,
                    "last_seq": local_last, "pending": pending,
                    "oldest_pending_at": oldest.isoformat() if oldest else None,
                    "booth_time": utcnow().isoformat(),
                    "events": [{"id": e.id, "seq": e.seq, "type": e.type,
                                "occurred_at": e.occurred_at.isoformat(), "hash": e.hash,
                                "payload": e.payload} for e in batch],
                    "audit_head": _audit_head(session, booth, state)}
            first_seq = batch[0].seq if batch else None
        if not batch and not probe:
            return 0
        response = self._call("POST", "/api/sync/v1/events", json=body)
        if response.status_code == 200:
            answer = response.json()
            booth = self.booth()
            acked = outbox.mark_acked(db.session, booth=booth, epoch=answer["epoch"],
                                      through_seq=int(answer["acked_through_seq"]))
            state = db.session.get(SyncState, booth.id)
            state.last_push_at = utcnow()
            state.last_error = ""
            state.central_time_skew = _skew(answer.get("server_time"))
            if isinstance(answer.get("audit_head"), dict):
                state.audit_seq_at_central = answer["audit_head"].get("seq") or None
            db.session.commit()
            return acked
        error = _error_code(response)
        if response.status_code == 409 and error == "rewind":
            detail = response.json().get("rewind", {})
            outbox.start_new_epoch(
                db.session, booth=self.booth(), reason="rewind",
                epoch_no_floor=int(detail.get("max_epoch_no", 0)),
                sale_seq_floor=int(detail.get("max_sale_seq", 0)))
            db.session.commit()
            return 0
        if response.status_code == 409 and error == "seq_gap":
            expected = int(response.json().get("expected_seq", 1))
            if first_seq is not None and expected < first_seq:
                outbox.unmark_from(db.session, booth=self.booth(), epoch=epoch,
                                   from_seq=expected)
                db.session.commit()
                return 0
        if response.status_code == 413 and self.batch_events > 1:
            self.batch_events = max(1, self.batch_events // 2)
            return 0
        raise self._error(response)

    def push_all(self, progress: Callable[[int], None] | None = None) -> int:
        """Push until nothing waits; ``progress`` hears how many each batch acknowledged."""
        total = 0
        for _round in range(100_000):
            before = self.pending()
            if before == 0:
                if _round == 0:
                    self.push_once(probe=True)  # a restored booth may have nothing to send
                break
            acked = self.push_once()
            total += acked
            if progress and acked:
                progress(acked)
            if acked == 0 and self.pending() >= before:
                # A rewind or a resend changed the outbox: go again, but not forever.
                if _round > 50:
                    raise SyncError("Đồng bộ không tiến triển; xem lỗi gần nhất.")
        return total

    def pending(self) -> int:
        with _reading() as session:
            return outbox.pending_summary(session, self.booth())[0]

    def pull_catalog(self) -> int:
        """Apply catalogue pages until caught up (returns the products applied)."""
        return self._pull("catalog", "catalog_version", feeds.apply_catalog_page)

    def pull_transfers(self) -> int:
        """Store the transfers central shipped to this booth (returns how many)."""
        return self._pull("transfers", "transfers_version", feeds.apply_transfers_page)

    def _pull(self, feed: str, cursor: str, apply: Callable) -> int:
        """Page through a feed from the booth's cursor; each page and its new cursor are
        applied in one transaction. A cursor central never issued starts over from a
        full snapshot."""
        applied = 0
        for _page in range(10_000):
            with _reading() as session:
                state = session.get(SyncState, self.booth().id)
                since = getattr(state, cursor) if state is not None else 0
            response = self._call("GET", f"/api/sync/v1/{feed}",
                                  params={"since": since, "limit": PULL_PAGE})
            if response.status_code == 409 and _error_code(response) == "cursor_ahead":
                setattr(outbox.sync_state(db.session, self.booth()), cursor, 0)
                db.session.commit()
                continue
            if response.status_code != 200:
                raise self._error(response)
            page = response.json()
            applied += apply(db.session, booth=self.booth(), page=page)
            outbox.sync_state(db.session, self.booth()).last_pull_at = utcnow()
            db.session.commit()
            if not page["has_more"]:
                break
        return applied

    def recover(self) -> int:
        """After a restore or rewind: read back this booth's own events that central holds
        and the booth lost, and apply them here, so the booth's stock and shifts are whole
        again. Each is stored as already acknowledged, so it is never sent twice."""
        from sync.recovery import apply_recovered

        with _reading() as session:
            state = session.get(SyncState, self.booth().id)
            if state is None or not state.needs_recovery:
                return 0
        response = self._call("GET", "/api/sync/v1/epochs")
        if response.status_code != 200:
            raise self._error(response)
        recovered = 0
        for epoch in response.json()["epochs"]:
            after = self._local_high(epoch["epoch"])
            while after < epoch["high_water"]:
                page = self._call("GET", "/api/sync/v1/events", params={
                    "epoch": epoch["epoch"], "after_seq": after, "limit": PULL_PAGE})
                if page.status_code != 200:
                    raise self._error(page)
                events = page.json()["events"]
                if not events:
                    break
                recovered += apply_recovered(db.session, booth=self.booth(), events=events)
                db.session.commit()
                after = events[-1]["seq"]
        outbox.sync_state(db.session, self.booth()).needs_recovery = False
        db.session.commit()
        return recovered

    def _local_high(self, epoch: str) -> int:
        with _reading() as session:
            return session.scalar(select(OutboxEvent.seq).where(
                OutboxEvent.booth_id == self.booth().id, OutboxEvent.epoch == epoch)
                .order_by(OutboxEvent.seq.desc()).limit(1)) or 0

    def sync_once(self, progress: Callable[[int], None] | None = None) -> SyncReport:
        """Push everything waiting, recover what a restore lost, then pull the feeds."""
        report = SyncReport()
        with self.app.app_context():
            try:
                return self._sync(report, progress)
            except SyncError as err:
                db.session.rollback()
                self._record_error(str(err))
                raise

    def _sync(self, report: SyncReport, progress) -> SyncReport:
        outbox.sync_state(db.session, self.booth()).last_attempt_at = utcnow()
        db.session.commit()
        report.pushed = self.push_all(progress)
        outbox.prune_acked(db.session, booth=self.booth(), older_than=timedelta(
            days=self.app.config.get("OCOP_SYNC_RETENTION_DAYS", 30)))
        db.session.commit()
        # The feeds before the recovery: the events a restored booth lost can name
        # transfers (and products) its old copy never pulled.
        report.pulled_products = self.pull_catalog()
        report.pulled_transfers = self.pull_transfers()
        report.recovered = self.recover()
        report.pending = self.pending()
        return report

    def _record_error(self, message: str) -> None:
        state = outbox.sync_state(db.session, self.booth())
        state.last_error = message[:1000]
        state.last_error_at = utcnow()
        db.session.commit()


def _audit_head(session, booth, state: SyncState) -> dict:
    """The booth's audit chain head for central, and the MAC it holds now at the seq
    central last recorded."""
    from core.services import audit_head, audit_mac_at

    head = audit_head(session, booth_id=booth.id) or {"seq": 0, "mac": ""}
    if state.audit_seq_at_central:
        head["checked_seq"] = state.audit_seq_at_central
        head["checked_mac"] = audit_mac_at(session, booth_id=booth.id,
                                           seq=state.audit_seq_at_central)
    return head


def _error_code(response: httpx.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _skew(server_time: str | None) -> int | None:
    if not server_time:
        return None
    return round((datetime.fromisoformat(server_time) - utcnow()).total_seconds())


def backoff_delay(failures: int, *, base: float = 2.0, rng: random.Random = random) -> float:
    """Exponential backoff with full jitter, capped at five minutes."""
    ceiling = min(MAX_BACKOFF_SECONDS, base * 2 ** min(failures, 20))
    return rng.uniform(ceiling / 2, ceiling)


class SyncWorker(BackgroundWorker):
    """The served booth's one sender: wakes on a new event or every ``interval`` seconds,
    backs off after failures."""

    name = "sync_worker"

    def __init__(self, app: Flask, *, interval: float = 5.0):
        super().__init__(app, interval=interval)
        self.failures = 0
        self.client: CentralClient | None = None

    def run_once(self) -> float:
        try:
            self.client = self.client or CentralClient(self.app)
            self.client.sync_once()
        except Exception as err:
            self.failures += 1
            if not isinstance(err, SyncError):
                self.app.logger.exception("sync worker")
            return backoff_delay(self.failures)
        self.failures = 0
        return self.interval

    def finish(self) -> None:
        if self.client is not None:
            self.client.close()


def wake_sync_worker(app: Flask) -> None:
    wake_worker(app, SyncWorker.name)
