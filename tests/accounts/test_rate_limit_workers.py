"""The sign-in rate limit holds across gunicorn workers when RATELIMIT_STORAGE_URI points at a
shared store: a real memcached on its own port, a real gunicorn with two worker processes against
the test database, and failed logins spread over both workers (docs/signin.md).

Which worker answered is read from gunicorn's access log (the worker's pid). Requests go in
pairs released together by a barrier: a sync worker is busy hashing a password, so the other
worker takes the second connection. With a per-worker counter (``memory://``) the two workers
would let twice the limit through; with memcached, the limit is one number for the server.

Skipped outside CI when memcached is not installed (scripts/test-services.sh installs it and
exports SAMDESK_MEMCACHED); under CI=true a missing memcached fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests import factories
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 6
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _memcached_binary() -> str:
    path = os.environ.get("SAMDESK_MEMCACHED") or shutil.which("memcached") or "/usr/bin/memcached"
    if os.path.exists(path):
        try:
            import pymemcache  # noqa: F401 - the client Flask-Limiter needs for memcached://
        except ImportError:
            path = ""
        else:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("memcached (and pymemcache) must be installed in CI: scripts/test-services.sh")
    pytest.skip("memcached is not installed (apt-get install memcached)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(check, what: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``check()`` is true: waiting for a server to come up, not for time to pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{what} did not start within {seconds} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def memcached() -> Iterator[str]:
    binary = _memcached_binary()
    port = _free_port()
    args = [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "16"]
    if os.geteuid() == 0:
        args += ["-u", "nobody"]  # memcached refuses to run as root without a user
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() is None,
                  "memcached", process, 20)
        yield f"memcached://127.0.0.1:{port}"
    finally:
        _stop(process)


@pytest.fixture
def gunicorn(app: Flask, memcached: str, tmp_path: Path) -> Iterator[Server]:
    """Two sync workers sharing memcached."""
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "rate-limit-test-secret-key-of-enough-length",
        "SAMDESK_INSTANCE_DIR": str(tmp_path),
        "SAMDESK_ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "RATELIMIT_STORAGE_URI": memcached,
        "SAMDESK_LOGIN_RATE_LIMIT": f"{LIMIT} per hour",
        "SAMDESK_REQUIRE_MFA_FOR_STAFF": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log),
         "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: requests.get(f"{base}/healthz", timeout=5).status_code == 200,
                  "gunicorn", process)
        yield Server(base, access_log, process)
    finally:
        _stop(process)


class Server:
    def __init__(self, base: str, access_log: Path, process: subprocess.Popen[bytes]) -> None:
        self.base, self.access_log, self.process = base, access_log, process

    def stop_and_read_log(self) -> list[str]:
        """A graceful stop, after which every worker has written its access log lines."""
        _stop(self.process)
        return self.access_log.read_text().splitlines()


def _login_page(base: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = http.get(f"{base}/logg-inn", timeout=30)
    assert page.status_code == 200
    match = TOKEN_RE.search(page.text)
    assert match
    return http, match.group(1)


def test_failed_logins_are_limited_across_gunicorn_workers(
    gunicorn: Server, world: World,
) -> None:
    base = gunicorn.base
    known, unknown = world.employee.email, "finnes.ikke@gran.kommune.example"
    sessions = [_login_page(base) for _ in range(2)]
    pairs = LIMIT  # twice the limit in all, half for a known address and half for an unknown one
    barrier = threading.Barrier(2)
    answers: list[list[tuple[int, str]]] = [[], []]

    def attempt(i: int, email: str) -> None:
        http, token = sessions[i]
        for _ in range(pairs):
            barrier.wait(timeout=60)
            response = http.post(f"{base}/logg-inn", timeout=60,
                                 data={"csrf_token": token, "email": email, "password": "feil-passord-1"})
            answers[i].append((response.status_code, response.text))

    threads = [threading.Thread(target=attempt, args=(i, email)) for i, email in enumerate((known, unknown))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads)

    statuses = [status for side in answers for status, _ in side]
    assert sorted(statuses) == [401] * LIMIT + [429] * LIMIT, statuses
    # Over the limit, a known and an unknown address get the very same answer.
    refused = {text for side in answers for status, text in side if status == 429}
    assert len(refused) == 1
    assert world.employee.email not in refused.pop()
    # And the right password is refused too, until the window ends.
    http, token = sessions[0]
    right = http.post(f"{base}/logg-inn", timeout=60, data={
        "csrf_token": token, "email": known, "password": factories.PASSWORD})
    assert right.status_code == 429

    lines = [line.split() for line in gunicorn.stop_and_read_log() if " POST /logg-inn " in line]
    by_status: dict[str, set[str]] = {}
    for pid, _method, _path, status in lines:
        by_status.setdefault(status, set()).add(pid)
    assert len(by_status["401"] | by_status["429"]) == 2, lines  # both workers answered logins
    assert len(lines) == 2 * LIMIT + 1
