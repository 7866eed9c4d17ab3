"""The retention run: closed cases anonymised per second by `privacy anonymise`
(app.privacy.services.run_retention, what the command calls), on SQLite and on PostgreSQL.
Prints JSON lines.

    .venv/bin/python -m bench.privacy      # SQLite; PostgreSQL too when BENCH_DATABASE_URL is set

Environment:
  BENCH_DATABASE_URL     PostgreSQL database to use (emptied first!)
  BENCH_PRIVACY_SIZES    tickets to seed, one fresh database each (default "2000,20000")
  BENCH_PRIVACY_MAX      anonymise at most this many of the due cases per size (default: all);
                         the rate is then measured on the first ones, in a table of full size
  BENCH_PRIVACY_DATABASES "sqlite,postgresql" (default: both that are available)

The database is seeded as bench/run.py does (the demo world through the services, then tickets
in bulk over the last two years, about nine in ten of them closed), and the run is given a
"now" five years on, so every closed case is past its retention. Each case is one transaction:
the subject, messages and history notes replaced, the requester swapped for the placeholder, the
mail, outbox and attachment rows about it deleted, an audit row written. Bulk cases have no
attachments or mail, so file deletion is not in the figure.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

WORK = Path(os.environ.get("BENCH_PRIVACY_WORK_DIR", tempfile.gettempdir())) / "samdesk-bench-privacy"
os.environ.setdefault("SAMDESK_INSTANCE_DIR", str(WORK / "instance"))


def emit(**fields: Any) -> dict[str, Any]:
    line = {"bench": "privacy", **fields}
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def run(database: str, url: str, size: int, limit: int | None) -> list[dict[str, Any]]:
    from app import create_app
    from app.accounts.services import system_user
    from app.db import utcnow
    from app.extensions import db
    from app.privacy import services
    from bench import seed

    seed.reset_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SAMDESK_FAST_PASSWORD_HASH": True,
                      "SAMDESK_ATTACHMENT_DIR": str(WORK / "attachments")})
    started = time.perf_counter()
    world = seed.build_world(app)
    with app.app_context():
        have = seed.count_tickets()
    seed.add_tickets(app, world, max(0, size - have), seed=size)
    seed.analyze(app)
    seeded = time.perf_counter() - started
    lines = []
    with app.app_context():
        later = utcnow() + timedelta(days=5 * 365)
        actor = system_user()
        t0 = time.perf_counter()
        due = services.due(later)
        due_ms = (time.perf_counter() - t0) * 1000
        take = len(due) if limit is None else min(limit, len(due))
        t0 = time.perf_counter()
        report = services.run_retention(actor=actor, now=later,
                                        progress=lambda items: list(items)[:take])
        seconds = time.perf_counter() - t0
        total = seed.count_tickets()
        db.session.remove()
        db.engine.dispose()
    lines.append(emit(
        database=database, tickets=total, due=len(due), anonymised=report.anonymised,
        seconds=round(seconds, 2), cases_per_second=round(report.anonymised / max(seconds, 1e-9), 1),
        ms_per_case=round(seconds * 1000 / max(report.anonymised, 1), 2),
        due_query_ms=round(due_ms, 1), seed_seconds=round(seeded, 1),
        load_average=round(os.getloadavg()[0], 2),
    ))
    return lines


def main() -> list[dict[str, Any]]:
    from bench import seed

    WORK.mkdir(parents=True, exist_ok=True)
    Path(os.environ["SAMDESK_INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    sizes = list(seed.iter_sizes(os.environ.get("BENCH_PRIVACY_SIZES"), (2_000, 20_000)))
    raw_limit = os.environ.get("BENCH_PRIVACY_MAX")
    limit = int(raw_limit) if raw_limit else None
    targets = {"sqlite": f"sqlite:///{WORK / 'bench-privacy.db'}"}
    pg = os.environ.get("BENCH_DATABASE_URL", "")
    if pg.startswith("postgres"):
        targets["postgresql"] = pg
    wanted = os.environ.get("BENCH_PRIVACY_DATABASES")
    if wanted:
        targets = {k: v for k, v in targets.items() if k in wanted.split(",")}
    lines: list[dict[str, Any]] = []
    for database, url in targets.items():
        for size in sizes:
            lines += run(database, url, size, limit)
    if "postgresql" not in targets:
        emit(database="postgresql", skipped="BENCH_DATABASE_URL is not set")
    return lines


if __name__ == "__main__":
    main()
