"""Taking the booth's write lock as late as possible, and handing it on promptly.

SQLite has one writer at a time, and a request normally begins ``BEGIN IMMEDIATE`` at
its first query, so it holds the lock while it parses, reads and prices. The sale
view is marked ``@reads_first``, so its request begins as a plain read; once the sale is
priced, ``take_write_lock`` ends that read (it wrote nothing) and begins
``BEGIN IMMEDIATE``: the lock is held only for the inserts and the commit.

The tills of one booth are threads of one server, so they also queue for the lock in
the process: a waiting till is woken the moment the previous sale commits, where
SQLite's own busy handler would poll with sleeps of up to 100 ms. A till waits up to
the busy timeout for its turn here, then up to the busy timeout again for SQLite's lock
itself (held by a writer that does not queue here: another request's own BEGIN
IMMEDIATE, a backup); either wait running out answers 503 with Retry-After.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.models import Booth

DEFAULT_WAIT_MS = 5000


def reads_first(view):
    """Mark a writing view that reads and prices before taking the lock itself
    (``take_write_lock``): its request begins as a plain read, not ``BEGIN IMMEDIATE``.
    The marker travels through ``functools.wraps`` of the decorators above it."""
    view.ocop_reads_first = True
    return view


class FifoLock:
    """A lock handed to its waiters in the order they came: with a dozen tills, none
    waits behind a luckier one again and again (a plain lock wakes any waiter)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._guard:
            if turn.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().set()  # the next till holds it now
            else:
                self._held = False


_writers: dict[int, FifoLock] = {}
_writers_guard = threading.Lock()


def _writer_lock(engine: Engine) -> FifoLock:
    with _writers_guard:
        return _writers.setdefault(id(engine), FifoLock())


def _wait_seconds() -> float:
    wait = (current_app.config.get("OCOP_SQLITE_BUSY_TIMEOUT_MS", DEFAULT_WAIT_MS)
            if has_app_context() else DEFAULT_WAIT_MS)
    return int(wait) / 1000


def lock_booth_row(session: Session, booth_id: int) -> None:
    """The booth's row ``FOR UPDATE``: serialises its writers on PostgreSQL (on SQLite,
    which has one writer at a time, the clause is dropped)."""
    session.execute(select(Booth.id).where(Booth.id == booth_id).with_for_update())


def take_write_lock(session: Session, *, booth_id: int) -> None:
    """Serialise the booth's writers from here to the commit: SQLite begins writing
    (after a read-only start), PostgreSQL locks the booth row ``FOR UPDATE``."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        lock_booth_row(session, booth_id)
        return
    from core.extensions import sqlite_begin

    if sqlite_begin.get() == "BEGIN IMMEDIATE":
        return  # this transaction began writing: it holds the lock already
    if session.new or session.dirty or session.deleted:
        # A read-first request that already changed rows is a bug: tests fail on it;
        # a served booth keeps the changes and writes in this transaction (at worst a
        # 503 the till retries).
        if has_app_context() and current_app.testing:
            raise RuntimeError("a read-first request changed rows before taking the lock")
        return
    session.rollback()  # ends the read; nothing was written
    lock = _writer_lock(engine)
    if not lock.acquire(_wait_seconds()):
        raise OperationalError("BEGIN IMMEDIATE", None,
                               sqlite3.OperationalError("database is locked"))
    session.info["ocop_writer_lock"] = lock
    sqlite_begin.set("BEGIN IMMEDIATE")
    try:
        session.connection()  # begins now, waiting up to the busy timeout
    except OperationalError:
        sqlite_begin.set("BEGIN")  # the refusal (503) that follows only reads
        session.info.pop("ocop_writer_lock", None)
        lock.release()
        raise


@event.listens_for(Session, "after_transaction_end")
def _hand_on_the_lock(session: Session, transaction) -> None:
    """The next till may write once this transaction is over (commit or rollback)."""
    if transaction.parent is None:
        lock = session.info.pop("ocop_writer_lock", None)
        if lock is not None:
            lock.release()
