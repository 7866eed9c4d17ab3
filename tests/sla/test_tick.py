"""`sla tick`: warnings and breaches recorded once in the history, the assignee (or the queue's
agents) notified through the outbox, closed cases never read; two runners at once on PostgreSQL."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts.services import system_user
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.sla import services
from app.sla.models import TicketSla
from app.tickets import services as tickets
from app.tickets.models import EventKind, Status, TicketEvent
from tests.factories import make_ticket
from tests.sla.conftest import oslo


def _events(ticket_id: int) -> list[str]:
    return [e.kind.value for e in db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))]


def _mail_to() -> list[str]:
    return sorted(r.recipient for r in db.session.scalars(sa.select(OutboxMessage)))


def test_a_breach_is_recorded_once_and_the_assignee_is_told(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        ticket = make_ticket(w.employee, priority="high")  # first response within 2 h
        tickets.claim(ticket.ref, actor=w.agent)
    before = _mail_to()
    with time_machine.travel(oslo(2026, 3, 2, 10, 40), tick=False):
        report = services.tick(actor=system_user())
    assert report.recorded == [(ticket.ref, "first_response_warning")]
    with time_machine.travel(oslo(2026, 3, 2, 11, 0), tick=False):
        first = services.tick(actor=system_user())
        second = services.tick(actor=system_user())
    assert first.recorded == [(ticket.ref, "first_response_breached")]
    assert second.recorded == []
    kinds = _events(ticket.id)
    assert kinds.count("first_response_breached") == 1 and kinds.count("first_response_warning") == 1
    assert _mail_to() == sorted([*before, w.agent.email, w.agent.email])


def test_without_an_assignee_the_queues_agents_are_told(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        make_ticket(w.employee, priority="critical", actor=w.agent)
    before = _mail_to()
    with time_machine.travel(oslo(2026, 3, 2, 10, 0), tick=False):
        services.tick(actor=system_user())
    new = [m for m in _mail_to() if m not in before]
    assert sorted(set(new)) == sorted([w.agent.email, w.agent2.email])


def test_a_first_response_in_time_records_no_breach(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        ticket = make_ticket(w.employee, priority="high")
    with time_machine.travel(oslo(2026, 3, 2, 10, 0), tick=False):
        tickets.reply(ticket.ref, body="Vi ser på det.", actor=w.agent)
    with time_machine.travel(oslo(2026, 3, 2, 12, 0), tick=False):
        assert services.tick(actor=system_user()).recorded == []


def test_tick_never_reads_resolved_or_paused_cases(policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        done = make_ticket(w.employee, priority="critical", actor=w.agent)
        waiting = make_ticket(w.employee, priority="critical", actor=w.agent)
        tickets.set_status(done.ref, Status.RESOLVED, actor=w.agent)
        tickets.set_status(waiting.ref, Status.WAITING, actor=w.agent)
    rows = db.session.scalars(sa.select(TicketSla).where(TicketSla.next_check_at.is_not(None))).all()
    assert rows == []
    with time_machine.travel(oslo(2026, 4, 2, 9, 0), tick=False):
        report = services.tick(actor=system_user())
    assert report.checked == 0


@pytest.mark.postgres_only
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="race tests need PostgreSQL (TEST_DATABASE_URL)")
def test_two_tick_runners_at_once_record_each_breach_once(app, policies) -> None:
    w = policies
    with time_machine.travel(oslo(2026, 3, 2, 9, 0), tick=False):
        refs = [make_ticket(w.employee, priority="critical", actor=w.agent).ref for _ in range(20)]
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        with app.app_context(), time_machine.travel(oslo(2026, 3, 2, 14, 0), tick=False):
            try:
                actor = system_user()
                barrier.wait(timeout=30)
                results[i] = services.tick(actor=actor)
            except Exception as exc:  # noqa: BLE001 - the result under test
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(isinstance(r, Exception) for r in results), results
    recorded = sorted(r for result in results for r in result.recorded)
    expected = sorted((ref, kind.value) for ref in refs for kind in (
        EventKind.FIRST_RESPONSE_WARNING, EventKind.FIRST_RESPONSE_BREACHED,
        EventKind.RESOLUTION_WARNING, EventKind.RESOLUTION_BREACHED))
    assert recorded == expected
    counts = db.session.execute(
        sa.select(TicketEvent.kind, sa.func.count()).where(TicketEvent.kind.in_([
            EventKind.FIRST_RESPONSE_BREACHED, EventKind.RESOLUTION_BREACHED])).group_by(TicketEvent.kind)
    ).all()
    assert sorted((k.value, n) for k, n in counts) == [("first_response_breached", 20), ("resolution_breached", 20)]
