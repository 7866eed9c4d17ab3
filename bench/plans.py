"""Print the query plans of the ticket list for a seeded benchmark database.

    BENCH_DATABASE_URL=... python -m bench.plans

Runs ``queries.list_tickets`` as a first-line agent (first page, a deep page, a text search) and
as a second-line agent, captures the SELECT it sends, and prints EXPLAIN ANALYZE (PostgreSQL)
or EXPLAIN QUERY PLAN (SQLite) for it, with the time it took.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import sqlalchemy as sa

os.environ.setdefault("SAMDESK_INSTANCE_DIR", "/tmp/samdesk-bench")

from app import create_app  # noqa: E402
from app.accounts import queries as accounts  # noqa: E402
from app.extensions import db  # noqa: E402
from app.tickets import queries  # noqa: E402
from bench import scenarios  # noqa: E402


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or sys.argv[1]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        captured: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "FROM tickets" in statement:
                captured.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", capture)
        agent = accounts.user_by_email(scenarios.FIRST_LINE_AGENT)
        second = accounts.user_by_email(scenarios.SECOND_LINE_AGENT)
        assert agent is not None and second is not None
        deep = scenarios.deep_cursor(agent, scenarios.FIRST_LINE_QUEUE)
        cases = [
            ("first-line queue, first page", agent, queries.TicketFilter(queue=scenarios.FIRST_LINE_QUEUE), None),
            ("first-line queue, deep page", agent, queries.TicketFilter(queue=scenarios.FIRST_LINE_QUEUE), deep),
            ("first-line queue, open only", agent,
             queries.TicketFilter(queue=scenarios.FIRST_LINE_QUEUE, status=list(scenarios.OPEN)), None),
            ("second-line pooled queue", second, queries.TicketFilter(queue=scenarios.SECOND_LINE_QUEUE), None),
            ("first-line, no queue filter", agent, queries.TicketFilter(), None),
        ]
        for term in scenarios.SEARCH_TERMS:
            cases.append((f"search {term!r}", agent, queries.TicketFilter(q=term), None))
        for title, user, filters, cursor in cases:
            captured.clear()
            started = time.perf_counter()
            queries.list_tickets(user, filters, cursor=cursor, limit=25)
            elapsed = (time.perf_counter() - started) * 1000
            statement, parameters = captured[-1]
            print(f"=== {title}: {elapsed:.1f} ms")
            print(_explain(statement, parameters))
            print()
            db.session.rollback()
        sa.event.remove(db.engine, "before_cursor_execute", capture)


def _explain(statement: str, parameters: Any) -> str:
    raw = db.session.connection().connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    if db.engine.dialect.name == "postgresql":
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
    else:
        cur.execute("EXPLAIN QUERY PLAN " + statement, parameters)
    lines = ["  " + " | ".join(str(c) for c in row) for row in cur.fetchall()]
    cur.close()
    return "\n".join(lines)


if __name__ == "__main__":
    main()
