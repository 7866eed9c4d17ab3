"""The queue sorted by what is due first, paged by key (no OFFSET): every case once, in order."""

from __future__ import annotations

import re

import time_machine

from app.tickets import services as tickets
from tests.factories import make_ticket
from tests.sla.conftest import oslo


def test_due_first_pages_by_key_through_the_whole_queue(api, policies) -> None:
    w = policies
    made = []
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        for i, priority in enumerate(["low", "normal", "critical", "high", "normal", "low", "critical"]):
            made.append(make_ticket(w.employee, subject=f"Sak {i}", priority=priority, actor=w.agent))
        tickets.set_status(made[0].ref, "waiting", actor=w.agent)  # paused: last
    client = api.as_(w.agent)
    seen, cursor = [], None
    with time_machine.travel(oslo(2026, 3, 2, 9, 30), tick=False):
        while True:
            url = "/api/v1/tickets?sort=due&limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(url).json
            seen += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        back = client.get(f"/api/v1/tickets?sort=due&limit=2&cursor={page['prev_cursor']}").json
    refs = [t["ref"] for t in seen]
    assert sorted(refs) == sorted(t.ref for t in made) and len(set(refs)) == len(refs)
    dues = [t["sla"]["first_response_due"] for t in seen[:-1]]
    assert dues == sorted(dues)
    assert [t["sla"]["policy"][:6] for t in seen[:2]] == ["Kritis", "Kritis"]
    assert seen[-1]["ref"] == made[0].ref and seen[-1]["sla"]["paused"] is True
    assert [t["ref"] for t in back["items"]] == refs[-3:-1]


def test_the_workspace_offers_due_first(client, policies) -> None:
    from tests.sla.test_views import _login

    w = policies
    make_ticket(w.employee)
    _login(client, w.agent)
    page = client.get("/arbeid?queue=gran-forstelinje&sort=due")
    assert page.status_code == 200
    assert re.search(r'<option[^>]*selected[^>]*value="due"|<option[^>]*value="due"[^>]*selected', page.text)
    assert "Frist først" in page.text


def test_the_ticket_list_loads_all_slas_in_one_query(api, policies) -> None:
    w = policies
    for i in range(6):
        make_ticket(w.employee, subject=f"Sak {i}")
    client = api.as_(w.agent)
    small, count_small, big, statements = _lists_of_two_and_six(client)
    assert all(t["sla"]["state"] == "on_time" for t in big["items"])
    assert len(small["items"]) == 2 and len(big["items"]) == 6
    assert len(statements) == count_small, "\n".join(s[:150] for s in statements)  # the same for 2 or 6 cases
    assert sum("ticket_slas" in s for s in statements) == 1


def test_cases_without_an_sla_cost_no_query_each_in_the_list(api, world) -> None:
    """Cases from before the SLA clock (migration 0011) have no SLA row; the list must still
    read SLA rows once, not twice per case (52 statements for 25 cases before)."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.sla.models import TicketSla

    for i in range(6):
        make_ticket(world.employee, subject=f"Sak {i}")
    db.session.execute(sa.delete(TicketSla))
    db.session.commit()
    client = api.as_(world.agent)
    small, count_small, big, statements = _lists_of_two_and_six(client)
    assert [t["sla"] for t in big["items"]] == [None] * 6 and len(small["items"]) == 2
    assert len(statements) == count_small, "\n".join(s[:150] for s in statements)
    assert sum("ticket_slas" in s for s in statements) == 1


def _lists_of_two_and_six(client):  # type: ignore[no-untyped-def]
    """The ticket list of 2 and of 6 cases, and the SQL statements each took (the token and the
    roles read once before)."""
    import sqlalchemy as sa

    from app.extensions import db

    client.get("/api/v1/tickets?limit=2")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        small = client.get("/api/v1/tickets?limit=2").json
        count_small = len(statements)
        statements.clear()
        big = client.get("/api/v1/tickets?limit=6").json
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    return small, count_small, big, statements
