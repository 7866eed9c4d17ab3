"""Counting cases per business system (ADR 0095): training's suggested courses and the new-case
page's suggestions, over many cases, on SQLite and (with BENCH_DATABASE_URL) PostgreSQL. Prints
JSON lines.

    .venv/bin/python -m bench.systems

Environment:
  BENCH_DATABASE_URL     PostgreSQL database to use (emptied first!)
  BENCH_SYSTEMS_CASES    cases in all (default 200000), over two years, a third naming a system
  BENCH_SYSTEMS_RUNS     timed calls per figure (default 50)

The world is the demo (built through the services); the cases are bulk-inserted as bench/seed.py
does (ADR 0040), a third of them naming one of 40 systems in varied case. Measured, in-process
(no HTTP): `tickets.queries.count_cases_by_system` over the last 90 days (through the partial
index ix_tickets_system_created), `systems_in_use` for one municipality, and
`training.queries.suggested_courses`, which calls the first. Target: p95 under 50 ms each.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

WORK = Path(os.environ.get("BENCH_SYSTEMS_WORK_DIR", tempfile.gettempdir())) / "samdesk-bench-systems"
os.environ.setdefault("SAMDESK_INSTANCE_DIR", str(WORK / "instance"))

TARGET_P95_MS = 50.0
SYSTEMS = [f"System {n:02d}" for n in range(34)] + ["Visma", "Elements", "Gerica", "Økonomi", "Teams", "Citrix"]


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "systems", **fields}, ensure_ascii=False), flush=True)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _seed(total: int) -> None:
    import sqlalchemy as sa

    from app.accounts import queries as accounts
    from app.db import utcnow
    from app.demo.data import load
    from app.extensions import db
    from app.tickets import queries as tickets
    from app.tickets.models import Ticket, system_key

    load()
    now = utcnow()
    people = []
    for code, slug in (("gran", "gran-forstelinje"), ("lunner", "lunner-forstelinje"), ("jevnaker", "jevnaker-forstelinje")):
        user = accounts.user_by_email(f"ansatt@{code}.kommune.example")
        queue = tickets.queue_by_slug(slug)
        assert user is not None and queue is not None
        people.append((user, queue))
    rng = random.Random(95)
    start = int(db.session.scalar(sa.select(sa.func.max(Ticket.id))) or 0) + 1
    chunk = 10_000
    for base in range(0, total, chunk):
        rows = []
        for n in range(base, min(base + chunk, total)):
            user, queue = people[n % 3]
            created = now - timedelta(days=rng.randint(0, 730), minutes=rng.randint(0, 1440))
            system = None
            if rng.random() < 1 / 3:
                system = rng.choice(SYSTEMS)
                system = system.upper() if rng.random() < 0.1 else system
            rows.append({
                "id": start + n, "ref": f"BEN-{start + n}", "subject": "Benk", "status": "closed",
                "priority": "normal", "channel": "web", "requester_id": user.id,
                "municipality_id": user.municipality_id, "queue_id": queue.id, "was_pooled": False,
                "system": system, "system_key": system_key(system), "created_at": created, "updated_at": created,
            })
        db.session.execute(sa.insert(Ticket), rows)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE tickets"))
        db.session.commit()


def _time(fn: Any, runs: int) -> list[float]:
    from app.extensions import db

    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return times


def bench(database: str, url: str, total: int, runs: int) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts import queries as accounts
    from app.db import utcnow
    from app.extensions import db
    from app.tickets import queries as tickets
    from app.training import queries as training
    from bench.seed import reset_database

    reset_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SAMDESK_FAST_PASSWORD_HASH": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        _seed(total)
        emit(database=database, case="seed", cases=total, seconds=round(time.perf_counter() - started, 1))
        now = utcnow()
        gran = accounts.municipality_by_code("GRA")
        assert gran is not None
        counted = tickets.count_cases_by_system(now - timedelta(days=90))
        for case, fn in (
            ("count_cases_by_system_90d", lambda: tickets.count_cases_by_system(now - timedelta(days=90))),
            ("systems_in_use_one_municipality", lambda: tickets.systems_in_use(gran.id)),
            ("suggested_courses", lambda: training.suggested_courses(now)),
        ):
            times = _time(fn, runs)
            p95 = _percentile(times, 95)
            emit(database=database, case=case, cases=total, systems=len(counted),
                 cases_with_system_90d=sum(c.cases for c in counted.values()),
                 p50_ms=round(_percentile(times, 50), 2), p95_ms=round(p95, 2),
                 target_p95_ms=TARGET_P95_MS, meets_target=p95 < TARGET_P95_MS)
        db.session.remove()
        db.engine.dispose()


def main() -> list[dict[str, Any]]:
    WORK.mkdir(parents=True, exist_ok=True)
    Path(os.environ["SAMDESK_INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    total = int(os.environ.get("BENCH_SYSTEMS_CASES", "200000"))
    runs = int(os.environ.get("BENCH_SYSTEMS_RUNS", "50"))
    targets = {"sqlite": f"sqlite:///{WORK / 'systems.db'}"}
    pg = os.environ.get("BENCH_DATABASE_URL", "")
    if pg.startswith("postgres"):
        targets["postgresql"] = pg
    for database, url in targets.items():
        bench(database, url, total, runs)
    return []


if __name__ == "__main__":
    main()
