"""A real server on 127.0.0.1 and a real Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("OCOP_CHROMIUM") or shutil.which("chromium")
    if not path:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return path


VIETQR = {"OCOP_VIETQR_BIN": "970436", "OCOP_VIETQR_ACCOUNT": "0011001234567",
          "OCOP_VIETQR_NAME": "GIAN HANG OCOP THANH HOA"}


@pytest.fixture
def app(tmp_path):
    """The booth app of the browser tests: the demo's COOP-01 with a VietQR account."""
    from tests.conftest import build_app

    return build_app(tmp_path, **VIETQR)


def serve(app):
    """Serve ``app`` with waitress, the production server, on a free port, in a thread:
    (the server, to close, and its URL)."""
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    server.thread = threading.Thread(target=server.run, daemon=True)
    server.thread.start()
    return server, f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture
def live_server(seeded):
    """The seeded booth app, served."""
    server, url = serve(seeded)
    yield url
    server.close()
    server.thread.join(timeout=5)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A tab; anything the page's Content-Security-Policy blocked, and any uncaught
    exception in its JavaScript, fails the test."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    blocked, errors = [], []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert blocked == []
    assert errors == []


def vnd(amount: int) -> str:
    """As the screen writes money: 125.000 ₫."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def screenshot(page, name: str) -> Path:
    """Keep what the person saw, for the run's artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
