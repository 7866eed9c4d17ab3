"""Every status change goes through ``services.transition``: the allowed ones (``TRANSITIONS``)
record one event with before and after and keep the timestamps right; every other one is refused
and changes nothing. The use cases that change status (claim, assign, escalate, reply, set_status,
autoclose) all leave exactly that event. Time is frozen with time-machine."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from app.errors import Invalid
from app.extensions import db
from app.tickets import hooks, services
from app.tickets.models import TRANSITIONS, EventKind, Status, Ticket, TicketEvent
from tests.factories import make_pool, make_ticket

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = START + timedelta(hours=2)
ALL_PAIRS = list(itertools.product(Status, Status))
REFUSED = [(a, b) for a, b in ALL_PAIRS if a is not b and (a, b) not in TRANSITIONS]


def _ticket_in(status: Status, world: Any) -> Ticket:
    """A ticket brought to ``status`` the way users do it, at START."""
    with time_machine.travel(START, tick=False):
        ticket = make_ticket(world.employee)
        if status is not Status.NEW:
            services.claim(ticket.ref, actor=world.agent)
        if status in (Status.WAITING, Status.RESOLVED, Status.CLOSED):
            services.set_status(ticket.ref, status, actor=world.agent)
    return db.session.get(Ticket, ticket.id, populate_existing=True)  # type: ignore[return-value]


def _events(ticket_id: int) -> list[TicketEvent]:
    return list(db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ))


def test_the_table_never_goes_back_to_new_and_never_leaves_closed() -> None:
    assert all(after is not Status.NEW and before is not Status.CLOSED for before, after in TRANSITIONS)
    assert all(before is not after for before, after in TRANSITIONS)
    assert len(TRANSITIONS) == 13


@pytest.mark.parametrize(("before", "after"), sorted(TRANSITIONS), ids=lambda s: s.value)
def test_allowed_transition_records_one_event_and_keeps_timestamps_right(
    world: Any, before: Status, after: Status
) -> None:
    ticket = _ticket_in(before, world)
    resolved_before, events_before = ticket.resolved_at, len(_events(ticket.id))

    with time_machine.travel(LATER, tick=False):
        event = services.transition(ticket, after, actor=world.agent, note="Fordi")

    ticket = db.session.get(Ticket, ticket.id, populate_existing=True)  # type: ignore[assignment]
    assert ticket.status is after
    events = _events(ticket.id)
    assert len(events) == events_before + 1
    assert event is not None and events[-1].id == event.id
    assert (events[-1].kind, events[-1].before, events[-1].after, events[-1].note) == (
        EventKind.STATUS_CHANGED, before.value, after.value, "Fordi"
    )
    assert events[-1].actor_id == world.agent.id
    if after is Status.RESOLVED:
        assert ticket.resolved_at == LATER
    elif after is Status.CLOSED:
        assert ticket.closed_at == LATER
        assert ticket.resolved_at == (resolved_before or LATER)
    else:
        assert ticket.resolved_at is None
        assert ticket.closed_at is None


@pytest.mark.parametrize(("before", "after"), REFUSED, ids=lambda s: s.value)
def test_refused_transition_raises_and_changes_nothing(world: Any, before: Status, after: Status) -> None:
    ticket = _ticket_in(before, world)
    events_before = len(_events(ticket.id))
    stamps = (ticket.resolved_at, ticket.closed_at)

    with pytest.raises(Invalid) as caught:
        services.transition(ticket, after, actor=world.agent)

    assert caught.value.field == "status"
    assert caught.value.code == ("ticket_closed" if before is Status.CLOSED else "transition_refused")
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)  # type: ignore[assignment]
    assert ticket.status is before
    assert (ticket.resolved_at, ticket.closed_at) == stamps
    assert len(_events(ticket.id)) == events_before


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
def test_transition_to_the_same_status_records_nothing(world: Any, status: Status) -> None:
    ticket = _ticket_in(status, world)
    events_before = len(_events(ticket.id))

    assert services.transition(ticket, status, actor=world.agent) is None

    assert len(_events(ticket.id)) == events_before


def test_requester_reopening_a_resolved_case_records_reopened(world: Any) -> None:
    ticket = _ticket_in(Status.RESOLVED, world)

    services.transition(ticket, Status.OPEN, actor=world.employee)

    last = _events(ticket.id)[-1]
    assert (last.kind, last.before, last.after) == (EventKind.REOPENED, "resolved", "open")


def test_claiming_a_new_case_records_the_status_change(world: Any) -> None:
    ticket = make_ticket(world.employee)

    services.claim(ticket.ref, actor=world.agent)

    kinds = [(e.kind, e.before, e.after) for e in _events(ticket.id)]
    assert kinds[-2:] == [(EventKind.CLAIMED, None, world.agent.email), (EventKind.STATUS_CHANGED, "new", "open")]


def test_assigning_a_new_case_records_the_status_change(world: Any) -> None:
    ticket = make_ticket(world.employee)

    services.assign(ticket.ref, assignee_email=world.agent2.email, actor=world.agent)

    last = _events(ticket.id)[-1]
    assert (last.kind, last.before, last.after) == (EventKind.STATUS_CHANGED, "new", "open")


def test_escalating_a_resolved_case_reopens_it_and_clears_resolved_at(world: Any) -> None:
    ticket = _ticket_in(Status.RESOLVED, world)
    assert ticket.resolved_at is not None

    services.escalate(ticket.ref, note="Trenger andrelinje", actor=world.agent)

    ticket = db.session.get(Ticket, ticket.id, populate_existing=True)  # type: ignore[assignment]
    assert ticket.status is Status.OPEN and ticket.resolved_at is None
    kinds = [(e.kind, e.before, e.after) for e in _events(ticket.id)[-2:]]
    assert kinds == [(EventKind.ESCALATED, "gran-forstelinje", "andrelinje"), (EventKind.STATUS_CHANGED, "resolved", "open")]


def test_agent_reply_to_a_waiting_case_keeps_it_waiting_but_requester_reply_opens_it(world: Any) -> None:
    ticket = _ticket_in(Status.WAITING, world)

    services.reply(ticket.ref, body="Vi venter på deg", actor=world.agent)
    assert db.session.get(Ticket, ticket.id, populate_existing=True).status is Status.WAITING  # type: ignore[union-attr]
    services.reply(ticket.ref, body="Her er svaret", actor=world.employee)

    last = _events(ticket.id)[-1]
    assert (last.kind, last.before, last.after) == (EventKind.STATUS_CHANGED, "waiting", "open")


def test_autoclose_records_its_event_through_transition_and_the_hooks(world: Any, app: Any) -> None:
    ticket = _ticket_in(Status.RESOLVED, world)
    seen: list[tuple[str, str | None]] = []

    def listener(t: Ticket, event: TicketEvent) -> None:
        seen.append((event.kind.value, event.after))

    hooks.subscribe(listener)
    try:
        later = START + timedelta(days=app.config["SAMDESK_REOPEN_DAYS"] + 1)
        assert services.autoclose(now=later) == [ticket.ref]
    finally:
        hooks._listeners.remove(listener)

    assert seen == [("status_changed", "closed")]
    ticket = db.session.get(Ticket, ticket.id, populate_existing=True)  # type: ignore[assignment]
    assert ticket.closed_at == later and ticket.resolved_at == START


def test_every_status_change_in_the_history_names_before_and_after(world: Any) -> None:
    make_pool()
    ticket = make_ticket(world.employee)
    services.reply(ticket.ref, body="Vi ser på det", actor=world.agent)
    services.set_status(ticket.ref, Status.RESOLVED, actor=world.agent)
    services.reply(ticket.ref, body="Virker ikke", actor=world.employee)
    services.set_status(ticket.ref, Status.CLOSED, actor=world.agent)

    changes = [(e.before, e.after) for e in _events(ticket.id) if e.kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED)]
    assert changes == [("new", "open"), ("open", "resolved"), ("resolved", "open"), ("open", "closed")]


def test_sending_back_or_moving_a_resolved_case_opens_it_with_a_status_event(world: Any) -> None:
    sent_back = _ticket_in(Status.RESOLVED, world)
    services.escalate(sent_back.ref, note="Opp", actor=world.agent)
    services.set_status(sent_back.ref, Status.RESOLVED, actor=world.second)
    moved = _ticket_in(Status.RESOLVED, world)
    services.escalate(moved.ref, note="Opp", actor=world.agent)
    services.set_status(moved.ref, Status.RESOLVED, actor=world.second)

    services.send_back(sent_back.ref, note="Ned", actor=world.second)
    services.move(moved.ref, queue_slug="andrelinje-fagsystem", actor=world.second)

    for ticket, kind in ((sent_back, EventKind.SENT_BACK), (moved, EventKind.MOVED)):
        fresh = db.session.get(Ticket, ticket.id, populate_existing=True)
        assert fresh is not None and fresh.status is Status.OPEN and fresh.resolved_at is None
        last = [(e.kind, e.before, e.after) for e in _events(ticket.id)[-2:]]
        assert last[0][0] is kind
        assert last[1] == (EventKind.STATUS_CHANGED, "resolved", "open")
