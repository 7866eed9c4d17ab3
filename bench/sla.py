"""`sla tick` over many cases: 200,000 cases of which 20,000 are open, on SQLite and (with
BENCH_DATABASE_URL) PostgreSQL. Prints JSON lines. Target: under a second per run.

    .venv/bin/python -m bench.sla

Environment:
  BENCH_DATABASE_URL   PostgreSQL database to use (emptied first!)
  BENCH_SLA_CASES      cases in all (default 200000)
  BENCH_SLA_OPEN       of which open, with a running clock (default 20000)
  BENCH_SLA_RUNS       steady-state runs, one a minute (default 10)

The world (municipalities, queues, agents, the demo policies) is built through the services;
the cases and their SLA rows are bulk-inserted, as bench/seed.py does for tickets
(docs/adr/0040-benchmark-seeding.md). The open cases' next checks are spread over ten working
days; closed cases have none, so a run must read only the index range of rows that are due.
Measured: an idle run (nothing due), steady-state runs a minute apart (a handful due each), and a
burst where 2,000 cases come due in the same minute (the largest batch one run takes), each
recording one warning and mailing the queue's agents.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

WORK = Path(os.environ.get("BENCH_SLA_WORK_DIR", tempfile.gettempdir())) / "samdesk-bench-sla"
os.environ.setdefault("SAMDESK_INSTANCE_DIR", str(WORK / "instance"))

TARGET_SECONDS = 1.0
T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # Monday 08:00 in Oslo


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "sla", **fields}, ensure_ascii=False), flush=True)


def _app(url: str) -> Any:
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SAMDESK_FAST_PASSWORD_HASH": True,
                       "RATELIMIT_ENABLED": False})


def _seed(total: int, open_count: int) -> None:
    import sqlalchemy as sa

    from app.accounts import queries as accounts
    from app.demo.data import load
    from app.extensions import db
    from app.sla.models import NO_DEADLINE, SlaPolicy, TicketSla
    from app.tickets import queries as tickets
    from app.tickets.models import Ticket

    load()
    requester = accounts.user_by_email("ansatt@gran.kommune.example")
    queue = tickets.queue_by_slug("gran-forstelinje")
    policy = db.session.scalar(sa.select(SlaPolicy).where(SlaPolicy.priority == "normal"))
    assert requester is not None and queue is not None and policy is not None
    rng = random.Random(12)
    start = int(db.session.scalar(sa.select(sa.func.max(Ticket.id))) or 0) + 1
    chunk = 10_000
    for base in range(0, total, chunk):
        ticket_rows, sla_rows = [], []
        for n in range(base, min(base + chunk, total)):
            ticket_id = start + n
            is_open = n < open_count
            created = T0 - timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 600))
            ticket_rows.append({
                "id": ticket_id, "ref": f"BEN-{ticket_id}", "subject": "Benk", "status": "open" if is_open else "closed",
                "priority": "normal", "channel": "web", "requester_id": requester.id,
                "municipality_id": requester.municipality_id, "queue_id": queue.id, "was_pooled": False,
                "created_at": created, "updated_at": created,
            })
            check = T0 + timedelta(minutes=rng.randint(1, 10 * 450)) if is_open else None
            sla_rows.append({
                "ticket_id": ticket_id, "policy_id": policy.id, "desk": "GRA", "second_line": False,
                "first_response_target": 4 * 3600, "resolution_target": 3 * 450 * 60, "warning_percent": 80,
                "used_seconds": 0, "first_line_seconds": 0, "second_line_seconds": 0,
                "running_since": T0 if is_open else None, "paused": False,
                "stopped_at": None if is_open else created + timedelta(days=1),
                "first_response_warn_at": check, "first_response_due": check + timedelta(hours=1) if check else None,
                "resolution_warn_at": check + timedelta(days=2) if check else None,
                "resolution_due": check + timedelta(days=3) if check else None,
                "next_check_at": check, "due_sort": check + timedelta(hours=1) if check else NO_DEADLINE,
                "updated_at": created,
            })
        db.session.execute(sa.insert(Ticket), ticket_rows)
        db.session.execute(sa.insert(TicketSla), sla_rows)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE tickets; ANALYZE ticket_slas"))
        db.session.commit()


def _run(database: str, case: str, now: datetime) -> dict[str, Any]:
    from app.accounts.services import system_user
    from app.sla import services

    actor = system_user()
    started = time.perf_counter()
    report = services.tick(actor=actor, now=now)
    seconds = time.perf_counter() - started
    return {"database": database, "case": case, "checked": report.checked, "recorded": len(report.recorded),
            "seconds": round(seconds, 3)}


def bench(database: str, url: str, total: int, open_count: int, runs: int) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app.extensions import db
    from app.sla.models import TicketSla
    from bench.seed import reset_database

    reset_database(url)
    app = _app(url)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        _seed(total, open_count)
        emit(database=database, case="seed", cases=total, open=open_count,
             seconds=round(time.perf_counter() - started, 1))
        results = [_run(database, "idle", T0)]
        for minute in range(1, runs + 1):
            results.append(_run(database, "steady", T0 + timedelta(minutes=minute)))
        # 2,000 open cases come due in the same minute (one warning each): the most one run takes.
        burst_at = T0 + timedelta(minutes=runs + 5)
        ids = db.session.scalars(sa.select(TicketSla.ticket_id).where(TicketSla.next_check_at > T0 + timedelta(days=1))
                                 .order_by(TicketSla.ticket_id).limit(2000)).all()
        db.session.execute(sa.update(TicketSla).where(TicketSla.ticket_id.in_(ids)).values(
            next_check_at=burst_at - timedelta(minutes=1), first_response_warn_at=burst_at - timedelta(minutes=1)))
        db.session.commit()
        results.append(_run(database, "burst", burst_at))
        results.append(_run(database, "after_burst", burst_at))
        for result in results:
            meets = result["seconds"] < TARGET_SECONDS
            emit(**result, cases=total, open=open_count, target_seconds=TARGET_SECONDS, meets_target=meets)
        db.session.remove()
        db.engine.dispose()


def main() -> list[dict[str, Any]]:
    WORK.mkdir(parents=True, exist_ok=True)
    Path(os.environ["SAMDESK_INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    total = int(os.environ.get("BENCH_SLA_CASES", "200000"))
    open_count = int(os.environ.get("BENCH_SLA_OPEN", "20000"))
    runs = int(os.environ.get("BENCH_SLA_RUNS", "10"))
    targets = {"sqlite": f"sqlite:///{WORK / 'sla.db'}"}
    pg = os.environ.get("BENCH_DATABASE_URL", "")
    if pg.startswith("postgres"):
        targets["postgresql"] = pg
    for database, url in targets.items():
        bench(database, url, total, open_count, runs)
    return []


if __name__ == "__main__":
    main()
