"""A booth's background workers (printing, sync, backups) share one shape: a daemon
thread that does a round of work, then sleeps until woken or until the round's delay
has passed, and stops cleanly with the server."""

from __future__ import annotations

import threading

from flask import Flask


class BackgroundWorker:
    """Subclasses name themselves and implement ``run_once``, which returns how long to
    wait before the next round (an exception is logged and retried after ``interval``)."""

    name = "worker"

    def __init__(self, app: Flask, *, interval: float):
        self.app = app
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self):
        self.app.extensions[self.name] = self
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=timeout)

    def join(self) -> None:
        self._thread.join()

    def run_once(self) -> float:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once when the worker stops."""

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self.run_once()
            except Exception:  # keep working later, whatever happened now
                self.app.logger.exception(self.name)
                delay = self.interval
            self._wake.wait(delay)
            self._wake.clear()
        self.finish()


def wake_worker(app: Flask, name: str) -> None:
    """Wake the app's worker of that name, if it runs (a served booth)."""
    worker = app.extensions.get(name)
    if worker is not None:
        worker.wake()
