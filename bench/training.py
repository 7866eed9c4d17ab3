"""Enrolment under load: many employees enrolling in a few sessions at once through gunicorn
workers, on SQLite and on PostgreSQL. Prints JSON lines.

    .venv/bin/python -m bench.training     # SQLite; PostgreSQL too when BENCH_DATABASE_URL is set

Environment:
  BENCH_DATABASE_URL          PostgreSQL database to use (its tables are emptied first!)
  BENCH_TRAINING_PEOPLE       employees who enrol (default 400)
  BENCH_TRAINING_SESSIONS     sessions they spread over (default 4; capacity 25 each)
  BENCH_TRAINING_CONCURRENCY  client threads (default 16)
  BENCH_TRAINING_WORKERS      gunicorn workers (default 2)

Each enrolment is one `POST /api/v1/sessions/<id>/enrolments` (a seat or a waiting place, an
invitation with its .ics in the outbox); all requests to a session queue on its row lock
(ADR 0085), so this is the worst case: everyone wanting the same few sessions at once. After the
run it checks that no session is over capacity and that waiting places are unique.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_TRAINING_WORK_DIR", tempfile.gettempdir())) / "samdesk-bench-training"
os.environ.setdefault("SAMDESK_INSTANCE_DIR", str(WORK / "instance"))

CAPACITY = 25


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "training", **fields}, ensure_ascii=False), flush=True)


def _seed(url: str, people: int, sessions: int) -> tuple[list[int], list[str]]:
    from app.accounts import services as accounts
    from app.accounts.models import Role
    from app.db import utcnow
    from app.training import services as training
    from bench.mail import _app, _fresh_schema

    app = _app(url)
    with app.app_context():
        _fresh_schema()
        system = accounts.system_user()
        accounts.create_municipality("GRA", "Gran", domains=["gran.kommune.example"], actor=system)
        trainer = accounts.create_user("kursholder@gran.kommune.example", name="Kursholder",
                                       roles=[Role.TRAINER], municipality_code="GRA", password=None, actor=system)
        course = training.create_course(title="Elements", systems=["Elements"], trainers=[trainer.email],
                                        actor=trainer)
        start = utcnow() + timedelta(days=7)
        ids = [training.add_session(course.id, starts_at=start + timedelta(days=i), ends_at=start + timedelta(days=i, hours=2),
                                    capacity=CAPACITY, place="Rådhuset", actor=trainer).id for i in range(sessions)]
        tokens = []
        for n in range(people):
            user = accounts.create_user(f"ansatt{n}@gran.kommune.example", name=f"Ansatt {n}",
                                        roles=[Role.EMPLOYEE], municipality_code="GRA", password=None, actor=system)
            tokens.append(accounts.create_token(user.email, name="bench", actor=system)[1])
    return ids, tokens


def _check(url: str, session_ids: list[int]) -> bool:
    import sqlalchemy as sa

    from app.extensions import db
    from app.training.models import Enrolment
    from bench.mail import _app

    with _app(url).app_context():
        for session_id in session_ids:
            rows = db.session.execute(sa.select(Enrolment.status, Enrolment.waiting_position)
                                      .where(Enrolment.session_id == session_id)).all()
            places = [r.waiting_position for r in rows if r.status == "waiting"]
            if sum(r.status == "enrolled" for r in rows) > CAPACITY or len(places) != len(set(places)):
                return False
    return True


def run(database: str, url: str) -> None:
    from bench.run import WORK as RUN_WORK
    from bench.run import gunicorn, percentile, request

    people = int(os.environ.get("BENCH_TRAINING_PEOPLE", 400))
    sessions = int(os.environ.get("BENCH_TRAINING_SESSIONS", 4))
    concurrency = int(os.environ.get("BENCH_TRAINING_CONCURRENCY", 16))
    session_ids, tokens = _seed(url, people, sessions)
    RUN_WORK.mkdir(parents=True, exist_ok=True)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    with gunicorn(url) as (port, _master):
        barrier = threading.Barrier(concurrency)

        def worker(index: int) -> None:
            barrier.wait()
            for n in range(index, people, concurrency):
                path = f"/api/v1/sessions/{session_ids[n % sessions]}/enrolments"
                began = time.perf_counter()
                status, _body = request(port, "POST", path, token=tokens[n])
                took = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(took)
                    statuses[status] = statuses.get(status, 0) + 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    emit(database=database, case="enrol", people=people, sessions=sessions, capacity=CAPACITY,
         concurrency=concurrency, seconds=round(seconds, 2), per_second=round(people / seconds, 1),
         p50_ms=round(percentile(latencies, 50), 1), p95_ms=round(percentile(latencies, 95), 1),
         statuses={str(k): v for k, v in sorted(statuses.items())}, sound=_check(url, session_ids))


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    run("sqlite", f"sqlite:///{WORK / 'bench-training.db'}")
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:
        run("postgresql", pg)
    else:
        emit(database="postgresql", skipped="BENCH_DATABASE_URL is not set")


if __name__ == "__main__":
    main()
