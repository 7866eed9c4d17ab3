"""Knowledge base and ticket text search: index build time, and search p50/p95 through the API
(2 gunicorn workers on 127.0.0.1) with generated articles, on SQLite (Whoosh) and PostgreSQL
(its own full-text search), and the queue's text search (subject and every message) at a large
number of cases. Prints JSON lines.

    .venv/bin/python -m bench.knowledge    # SQLite; PostgreSQL too when BENCH_DATABASE_URL is set

Environment:
  BENCH_DATABASE_URL     PostgreSQL database to use (emptied first!)
  BENCH_KB_ARTICLES      article counts, e.g. "1000,10000,50000" (default "1000,10000")
  BENCH_KB_SAMPLES       requests per latency figure (default 100)
  BENCH_KB_TICKETS       cases for the ticket text search (default 200000; 0 skips it)
  BENCH_KB_DATABASES     "sqlite,postgresql" (default: both that are available)

Targets (issue 9): article search p95 under 30 ms at 10,000 articles; ticket text search p95
under 50 ms at 200,000 cases. Article search is timed as an employee and as a super-user (who
also sees the drafts, archived and staff-only articles of their systems: ADR 0097).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

WORK = Path(os.environ.get("BENCH_WORK_DIR", "/tmp/samdesk-bench")) / "knowledge"
os.environ.setdefault("SAMDESK_INSTANCE_DIR", str(WORK / "instance"))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import run as base  # noqa: E402
from bench import scenarios, seed  # noqa: E402

TARGET_SEARCH_P95_MS = 30.0
TARGET_TICKET_SEARCH_P95_MS = 50.0
EMPLOYEE = "ansatt@gran.kommune.example"
# On the demo roster for Elements, Visma and Gerica: sees every article tagged with them (ADR 0097).
SUPER_USER = "kursholder@gran.kommune.example"
SYSTEMS = ("visma", "gerica", "elements", "visma flyt skole")
# A common word, a rarer one, a two-word question, an inflected form, an ASCII spelling, a typo.
QUERIES = ("skriveren", "authenticator", "glemt passordet", "passordene", "palogging", "pasord")
CATEGORIES = ("account", "printing", "remote", "collaboration", "email", "mobile", "security",
              "onboarding", "files", "systems", "hardware", "other")


def emit(**fields: Any) -> None:
    print(json.dumps({"bench": "knowledge", **fields}, ensure_ascii=False), flush=True)


def _vocabulary() -> list[str]:
    from app.demo.knowledge import ARTICLES
    from app.knowledge import text

    words = [w for a in ARTICLES if a.language == "nb" for w in text.words(a.title + " " + a.body)
             if len(w) > 2 and not w.isdigit()]
    return sorted(set(words))


def add_articles(app: Any, count: int, *, start: int, rng: random.Random) -> None:
    """Generated articles in bulk (and their first revision), written like the service would."""
    from app.knowledge.models import Article

    vocabulary = _vocabulary()
    tagging = random.Random(97 + start)  # its own draws: the other fields stay as before
    with app.app_context():
        author = db.session.scalar(sa.text("SELECT id FROM users WHERE email = :e"),
                                   {"e": scenarios.SECOND_LINE_AGENT})
        now = base_now()
        rows = []
        for n in range(start, start + count):
            title = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 7))).capitalize()
            body = "\n\n".join(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(20, 60)))
                               for _ in range(rng.randint(2, 5)))
            rows.append({
                "title": f"{title} {n}"[:200], "body": body, "category": rng.choice(CATEGORIES),
                "tags_text": ",".join(rng.sample(vocabulary, 3)),
                "systems_text": tagging.choice(SYSTEMS) if tagging.random() < 0.1 else "",
                "audience": "agents" if rng.random() < 0.1 else "employees",
                "scope": rng.choice(["GRA", "LUN", "JEV"]) if rng.random() < 0.3 else None,
                "language": "nb", "status": "published" if rng.random() < 0.9 else "draft",
                "author_id": author, "revision_number": 1, "created_at": now, "updated_at": now,
                "published_at": now,
            })
        for i in range(0, len(rows), 2000):
            db.session.execute(sa.insert(Article), rows[i:i + 2000])
        db.session.execute(sa.text(
            "INSERT INTO article_revisions (article_id, number, title, body, category, tags_text, "
            "systems_text, audience, scope, language, status, author_id, created_at) "
            "SELECT id, 1, title, body, category, tags_text, systems_text, audience, scope, language, "
            "status, author_id, created_at FROM articles WHERE id NOT IN (SELECT article_id FROM article_revisions)"
        ))
        db.session.commit()


def base_now() -> Any:
    from app.db import utcnow

    return utcnow()


def reindex(app: Any) -> float:
    from app.accounts.services import system_user
    from app.knowledge import services

    with app.app_context():
        started = time.perf_counter()
        services.reindex(actor=system_user())
        seconds = time.perf_counter() - started
        db.session.remove()
    return seconds


def search_latencies(port: int, token: str, samples: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    per_query = max(1, samples // len(QUERIES))
    for q in QUERIES:
        path = "/api/v1/articles/search?" + urlencode({"q": q, "limit": 10})
        base.timed(port, path, token, 5)  # warm both workers
        out[q] = base.timed(port, path, token, per_query)
    return out


def bench_articles(db_name: str, url: str, sizes: list[int], samples: int) -> None:
    base.note(f"knowledge/{db_name}: fresh database, migrations, demo world")
    seed.reset_database(url)
    index_dir = WORK / f"index-{db_name}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SAMDESK_FAST_PASSWORD_HASH": True,
                      "SAMDESK_SEARCH_INDEX_DIR": str(index_dir)})
    os.environ["SAMDESK_SEARCH_INDEX_DIR"] = str(index_dir)
    seed.build_world(app)
    token = base.create_token(url, EMPLOYEE)
    super_token = base.create_token(url, SUPER_USER)
    rng = random.Random(9)
    with app.app_context():
        have = int(db.session.scalar(sa.text("SELECT count(*) FROM articles")) or 0)
        backend_name = "postgres" if db.engine.dialect.name == "postgresql" else "whoosh"
    for size in sizes:
        if size > have:
            started = time.perf_counter()
            add_articles(app, size - have, start=have, rng=rng)
            inserted = time.perf_counter() - started
            have = size
            seconds = reindex(app)
            seed.analyze(app)  # planner statistics, as autovacuum leaves them after a bulk load
            emit(db=db_name, backend=backend_name, articles=size, metric="index_build",
                 insert_seconds=round(inserted, 1), reindex_seconds=round(seconds, 1))
        with base.gunicorn(url) as (port, _master):
            times = search_latencies(port, token, samples)
            super_times = search_latencies(port, super_token, samples)
        for metric, found in (("article_search", times), ("article_search_super_user", super_times)):
            every = [t for ts in found.values() for t in ts]
            emit(db=db_name, backend=backend_name, articles=size, metric=metric, n=len(every),
                 p50_ms=round(base.percentile(every, 50), 2), p95_ms=round(base.percentile(every, 95), 2),
                 max_ms=round(max(every), 2),
                 per_query={q: round(base.percentile(ts, 95), 2) for q, ts in found.items()},
                 target_p95_ms=TARGET_SEARCH_P95_MS if size == 10_000 else None)
    with app.app_context():
        db.engine.dispose()


def bench_ticket_search(db_name: str, url: str, size: int, samples: int) -> None:
    """Seed cases in bulk (bench/seed.py) and time the queue's q= as a first-line agent."""
    base.note(f"tickets/{db_name}: fresh database, seeding {size} cases")
    seed.reset_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SAMDESK_FAST_PASSWORD_HASH": True})
    world = seed.build_world(app)
    started = time.perf_counter()
    seed.add_tickets(app, world, size, seed=size)
    seed.analyze(app)
    emit(db=db_name, tickets=size, metric="seed_with_text_index", seconds=round(time.perf_counter() - started, 1))
    token = base.create_token(url, scenarios.FIRST_LINE_AGENT)
    terms = (*scenarios.SEARCH_TERMS, "blanke ark")
    with base.gunicorn(url) as (port, _master):
        figures = {}
        for term in terms:
            path = base.list_path(q=term)
            base.timed(port, path, token, 5)
            figures[term] = base.timed(port, path, token, max(1, samples // len(terms)))
    every = [t for ts in figures.values() for t in ts]
    emit(db=db_name, tickets=size, metric="ticket_text_search", n=len(every),
         p50_ms=round(base.percentile(every, 50), 2), p95_ms=round(base.percentile(every, 95), 2),
         max_ms=round(max(every), 2), per_term_p95={k: round(base.percentile(v, 95), 2) for k, v in figures.items()},
         target_p95_ms=TARGET_TICKET_SEARCH_P95_MS)
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    Path(os.environ["SAMDESK_INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    sizes = sorted(seed.iter_sizes(os.environ.get("BENCH_KB_ARTICLES"), (1_000, 10_000)))
    samples = int(os.environ.get("BENCH_KB_SAMPLES", "100"))
    tickets = int(os.environ.get("BENCH_KB_TICKETS", "200000"))
    targets: dict[str, str] = {"sqlite": f"sqlite:///{WORK / 'knowledge.db'}"}
    pg_url = os.environ.get("BENCH_DATABASE_URL", "")
    if pg_url.startswith("postgres"):
        targets["postgresql"] = pg_url
    wanted = os.environ.get("BENCH_KB_DATABASES")
    if wanted:
        targets = {k: v for k, v in targets.items() if k in wanted.split(",")}
    emit(metric="machine", **base.machine(), load_average=os.getloadavg())
    for db_name, url in targets.items():
        bench_articles(db_name, url, sizes, samples)
        if tickets:
            bench_ticket_search(db_name, url, tickets, samples)


if __name__ == "__main__":
    sys.exit(main())
