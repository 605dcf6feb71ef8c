"""The README's first command: ``ocop demo`` serves a Vietnamese login page and its
printed logins work, over real HTTP."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _free_port_pair() -> int:
    for _ in range(20):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
        with socket.socket() as b:
            try:
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free neighbouring ports")


def _sign_in(base_url: str, username: str, password: str):
    """Sign in through the real login form: returns the form page and where it landed."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(base_url + "login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": token}).encode()
    return page, opener.open(base_url + "login", data=body, timeout=10)


def test_ocop_demo_serves_login_and_printed_logins_work(tmp_path):
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
        booth_url = re.search(r"(http://127\.0\.0\.1:\d+/)", output).group(1)
        logins = re.findall(r"^\s+(?:Thu ngân|Quản lý|Văn phòng):\s+(\S+) / (\S+)$", output,
                            re.MULTILINE)
        assert len(logins) == 3, output

        cashier, password = logins[0]
        page, landed = _sign_in(booth_url, cashier, password)
        assert 'lang="vi"' in page and "Đăng nhập" in page
        assert landed.url.endswith("/pos")  # a cashier lands at the till
        assert 'id="pos-app"' in landed.read().decode()

        office, office_password = logins[2]
        _, landed = _sign_in(f"http://127.0.0.1:{port + 1}/", office, office_password)
        assert landed.url.endswith("/cockpit")  # the office lands on reconciliation
        assert "SAMSON-A-12" in landed.read().decode()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
