"""Real concurrency on PostgreSQL: threads with their own app context, session and connection,
released together by a barrier. SQLite serialises writers, so these run on PostgreSQL only."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.accounts import queries as accounts
from app.db import utcnow
from app.errors import Conflict
from app.extensions import db
from app.tickets import services
from app.tickets.models import EventKind, Status, Ticket, TicketEvent
from tests.concurrency import race
from tests.factories import make_pool, make_ticket, make_user

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="race tests need PostgreSQL (TEST_DATABASE_URL)",
    ),
]


def _as(email: str, action: Callable[[Any], Any]) -> Callable[[], Any]:
    def job() -> Any:
        user = accounts.user_by_email(email)
        return action(user)

    return job


def test_two_agents_claiming_at_once_one_wins_one_gets_conflict(app, world) -> None:
    ticket = make_ticket(world.employee)
    ref = ticket.ref
    db.session.remove()

    results = race(app, [
        _as(world.agent.email, lambda u: services.claim(ref, actor=u).assignee_id),
        _as(world.agent2.email, lambda u: services.claim(ref, actor=u).assignee_id),
    ])

    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].code == "ticket_already_claimed"
    stored = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref))
    assert stored.assignee_id == winners[0]
    claims = db.session.scalar(
        sa.select(sa.func.count()).select_from(TicketEvent)
        .where(TicketEvent.ticket_id == stored.id, TicketEvent.kind == EventKind.CLAIMED)
    )
    assert claims == 1


def test_two_claims_through_the_api_at_once_give_200_and_409(app, world) -> None:
    from tests import factories

    ticket = make_ticket(world.employee)
    tokens = [factories.token_for(world.agent), factories.token_for(world.agent2)]
    db.session.remove()

    def claim(token: str) -> Callable[[], Any]:
        return lambda: app.test_client().post(
            f"/api/v1/tickets/{ticket.ref}/claim", headers={"Authorization": f"Bearer {token}"}
        ).status_code

    results = race(app, [claim(t) for t in tokens])

    assert sorted(results) == [200, 409]


def test_refs_stay_unique_when_many_cases_are_created_at_once(app, world) -> None:
    make_pool()
    requesters = [world.employee.email, world.employee2.email] * 4
    db.session.remove()

    def create(email: str) -> Callable[[], Any]:
        return _as(email, lambda u: services.create_ticket(subject="Samtidig", body="Hei", actor=u).ref)

    # The first cases of a municipality also race to create its counter row.
    results = race(app, [create(e) for e in requesters])

    assert all(isinstance(r, str) for r in results), results
    assert sorted(results) == [f"GRA-{1001 + i}" for i in range(8)]


def test_refs_stay_unique_across_municipalities_at_once(app, world) -> None:
    make_user(municipality="JEV", email="ansatt@jevnaker.kommune.example")
    emails = [world.employee.email, world.lun_employee.email, "ansatt@jevnaker.kommune.example"] * 3
    db.session.remove()

    results = race(app, [
        _as(e, lambda u: services.create_ticket(subject="Samtidig", body="Hei", actor=u).ref) for e in emails
    ])

    assert sorted(results) == sorted(f"{p}-{1001 + i}" for p in ("GRA", "LUN", "JEV") for i in range(3))


def test_two_autoclose_runs_at_once_close_each_ticket_once(app, world) -> None:
    tickets = [make_ticket(world.employee, subject=f"Løst {i}") for i in range(6)]
    for ticket in tickets:
        services.set_status(ticket.ref, Status.RESOLVED, actor=world.agent)
    later = utcnow() + timedelta(days=app.config["SAMDESK_REOPEN_DAYS"] + 1)
    db.session.remove()

    results = race(app, [lambda: services.autoclose(now=later), lambda: services.autoclose(now=later)])

    assert all(isinstance(r, list) for r in results), results
    closed = results[0] + results[1]
    assert sorted(closed) == sorted(t.ref for t in tickets)
    statuses = db.session.scalars(sa.select(Ticket.status)).all()
    assert set(statuses) == {Status.CLOSED}
    close_events = db.session.scalar(
        sa.select(sa.func.count()).select_from(TicketEvent).where(TicketEvent.after == Status.CLOSED.value)
    )
    assert close_events == len(tickets)


def test_two_cron_runs_creating_the_system_user_at_once_get_the_same_one(app, world) -> None:
    from app.accounts.services import system_user
    from app.db import atomic

    @atomic
    def job() -> int:
        return system_user().id

    db.session.remove()
    results = race(app, [job, job])

    assert isinstance(results[0], int) and results == [results[0], results[0]], results
