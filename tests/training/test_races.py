"""Enrolment under real concurrency on PostgreSQL: capacity is never exceeded and no two people
share a waiting place, whether the requests come from threads with their own connections or as
HTTP requests to several gunicorn workers, all released in the same instant by a barrier."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.accounts import queries as accounts
from app.errors import Conflict
from app.extensions import db
from app.training import queries, services
from app.training.models import CourseSession, Enrolment, EnrolmentStatus
from tests import factories
from tests.concurrency import race
from tests.training.helpers import employees, make_course, make_session

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="race tests need PostgreSQL (TEST_DATABASE_URL)",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


def _enrol_job(session_id: int, email: str) -> Callable[[], Any]:
    def job() -> Any:
        user = accounts.user_by_email(email)
        assert user is not None
        return services.enrol(session_id, actor=user).status

    return job


def _cancel_job(session_id: int, email: str) -> Callable[[], Any]:
    def job() -> Any:
        user = accounts.user_by_email(email)
        assert user is not None
        return services.cancel_enrolment(session_id, actor=user).status

    return job


def _assert_list_is_sound(session_id: int, capacity: int) -> tuple[int, list[int]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Enrolment.status, Enrolment.waiting_position).where(Enrolment.session_id == session_id)
    ).all()
    seated = [r for r in rows if r.status in ("enrolled", "attended")]
    places = sorted(r.waiting_position for r in rows if r.status == "waiting")
    stored = db.session.get(CourseSession, session_id)
    assert len(seated) <= capacity
    assert stored.seats_taken == len(seated)
    assert len(places) == len(set(places))
    assert all(r.waiting_position is None for r in rows if r.status != "waiting")
    return len(seated), places


def test_many_enrolling_at_once_never_exceed_capacity_or_share_a_waiting_place(app, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=3)
    people = employees(12)
    session_id = session.id
    db.session.remove()

    results = race(app, [_enrol_job(session_id, p.email) for p in people], timeout=90)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results).count(EnrolmentStatus.ENROLLED) == 3
    seated, places = _assert_list_is_sound(session_id, 3)
    assert seated == 3
    assert places == list(range(1, 10))


def test_the_same_person_enrolling_twice_at_once_gets_one_place_and_one_conflict(app, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=5)
    email, session_id = world.employee.email, session.id
    db.session.remove()

    results = race(app, [_enrol_job(session_id, email), _enrol_job(session_id, email)], timeout=90)

    assert sorted(type(r).__name__ for r in results) == ["Conflict", "EnrolmentStatus"], results
    assert [r for r in results if isinstance(r, Conflict)][0].code == "already_enrolled"
    assert _assert_list_is_sound(session_id, 5) == (1, [])


def test_cancelling_while_others_enrol_promotes_in_order_without_overbooking(app, world) -> None:
    session = make_session(make_course(world.trainer), world.trainer, capacity=2)
    seated = employees(2)
    waiting = employees(2)
    newcomers = employees(4)
    for person in seated + waiting:
        services.enrol(session.id, actor=person)
    session_id = session.id
    db.session.remove()

    results = race(app, [_cancel_job(session_id, p.email) for p in seated]
                    + [_enrol_job(session_id, p.email) for p in newcomers], timeout=90)

    assert not [r for r in results if isinstance(r, Exception)], results
    count, places = _assert_list_is_sound(session_id, 2)
    assert count == 2
    promoted = {e.user_id for e in queries.participants(session_id) if e.status is EnrolmentStatus.ENROLLED}
    assert promoted == {p.id for p in waiting}  # the first two in line, not the newcomers
    assert len(places) == 4


# ---------------------------------------------------------------------------------------------
# Through gunicorn: several worker processes, each with its own connection pool.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, token: str | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, json.loads(raw) if raw and response.getheader("Content-Type", "").startswith(
        "application/json") else raw


@contextmanager
def _gunicorn(tmp_path: Path, workers: int = 3) -> Iterator[int]:
    port = _free_port()
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "SAMDESK_INSTANCE_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 40, "SAMDESK_ATTACHMENT_DIR": str(tmp_path / "files"),
    })
    env.pop("FLASK_DEBUG", None)
    log = (tmp_path / "gunicorn.log").open("a")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {(tmp_path / 'gunicorn.log').read_text()}")
            time.sleep(0.2)  # waiting for a server to come up, not for a race
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_concurrent_http_enrolments_through_several_gunicorn_workers(app, world, tmp_path) -> None:
    capacity, crowd = 4, 16
    session = make_session(make_course(world.trainer), world.trainer, capacity=capacity)
    people = employees(crowd)
    tokens = [factories.token_for(p) for p in people]
    session_id = session.id
    db.session.remove()

    with _gunicorn(tmp_path) as port:
        # Open the connections first, then send every request in the same instant.
        barrier = threading.Barrier(crowd)
        answers: list[Any] = [None] * crowd

        def run(i: int) -> None:
            try:
                barrier.wait(timeout=30)
                answers[i] = _request(port, "POST", f"/api/v1/sessions/{session_id}/enrolments", tokens[i])
            except Exception as exc:  # noqa: BLE001 - the result under test
                answers[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(crowd)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        detail = _request(port, "GET", f"/api/v1/sessions/{session_id}", tokens[0])

    assert all(isinstance(a, tuple) and a[0] == 201 for a in answers), answers
    statuses = [a[1]["status"] for a in answers]
    positions = sorted(a[1]["position"] for a in answers if a[1]["status"] == "waiting")
    assert statuses.count("enrolled") == capacity
    assert positions == list(range(1, crowd - capacity + 1))  # each answer names its own place
    assert detail[1]["enrolled"] == capacity and detail[1]["waiting"] == crowd - capacity
    seated, places = _assert_list_is_sound(session_id, capacity)
    assert seated == capacity
    assert places == list(range(1, crowd - capacity + 1))
