"""A requester's reply reopens a resolved case within SAMDESK_REOPEN_DAYS and is refused after;
`tickets autoclose` closes only resolved cases whose window has passed. Time is frozen with
time-machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.errors import Invalid
from app.extensions import db
from app.tickets import services
from app.tickets.models import EventKind, Message, Status, Ticket, TicketEvent
from tests.factories import make_ticket

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _resolved(world, app, **kwargs):  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False):
        ticket = make_ticket(world.employee, **kwargs)
        services.claim(ticket.ref, actor=world.agent)
        services.set_status(ticket.ref, Status.RESOLVED, actor=world.agent)
    return ticket


def test_requester_reply_within_the_window_reopens(world, app) -> None:
    ticket = _resolved(world, app)
    days = app.config["SAMDESK_REOPEN_DAYS"]

    with time_machine.travel(START + timedelta(days=days) - timedelta(minutes=1), tick=False):
        services.reply(ticket.ref, body="Det virker ikke likevel", actor=world.employee)

    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status is Status.OPEN
    assert ticket.resolved_at is None
    event = db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id.desc())
    ).first()
    assert (event.kind, event.before, event.after) == (EventKind.REOPENED, "resolved", "open")


def test_requester_reply_after_the_window_is_refused_and_changes_nothing(world, app) -> None:
    ticket = _resolved(world, app)
    days = app.config["SAMDESK_REOPEN_DAYS"]
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(Message))

    with time_machine.travel(START + timedelta(days=days, minutes=1), tick=False):
        with pytest.raises(Invalid) as caught:
            services.reply(ticket.ref, body="Hallo igjen", actor=world.employee)

    assert caught.value.code == "reopen_expired"
    assert db.session.get(Ticket, ticket.id).status is Status.RESOLVED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == messages


def test_reopen_days_is_configurable(world, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SAMDESK_REOPEN_DAYS", 2)
    ticket = _resolved(world, app)

    with time_machine.travel(START + timedelta(days=3), tick=False):
        with pytest.raises(Invalid):
            services.reply(ticket.ref, body="For sent", actor=world.employee)


def test_reopen_through_the_api_after_the_window_is_400_in_norwegian(world, app, api) -> None:
    ticket = _resolved(world, app)

    with time_machine.travel(START + timedelta(days=60), tick=False):
        response = api.as_(world.employee).post(f"/api/v1/tickets/{ticket.ref}/messages", json={"body": "Hei"})

    assert response.status_code == 400
    assert response.json["error"]["code"] == "reopen_expired"
    assert response.json["error"]["message"] == (
        "Saken ble løst for for lenge siden til å kunne gjenåpnes. Meld en ny sak."
    )


def test_autoclose_closes_only_expired_resolved_tickets(world, app, runner) -> None:
    days = app.config["SAMDESK_REOPEN_DAYS"]
    expired = _resolved(world, app, subject="Gammel og løst")
    with time_machine.travel(START + timedelta(days=days - 1), tick=False):
        recent = make_ticket(world.employee, subject="Nylig løst")
        services.set_status(recent.ref, Status.RESOLVED, actor=world.agent)
    with time_machine.travel(START, tick=False):
        still_open = make_ticket(world.employee, subject="Fortsatt åpen")
        services.claim(still_open.ref, actor=world.agent)
        waiting = make_ticket(world.employee, subject="Venter")
        services.set_status(waiting.ref, Status.WAITING, actor=world.agent)

    with time_machine.travel(START + timedelta(days=days, hours=1), tick=False):
        result = runner.invoke(args=["tickets", "autoclose"])

    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [expired.ref]
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(Ticket.ref, Ticket.status)).all())
    assert statuses == {
        expired.ref: Status.CLOSED, recent.ref: Status.RESOLVED, still_open.ref: Status.OPEN,
        waiting.ref: Status.WAITING,
    }
    closed = db.session.scalar(sa.select(Ticket).where(Ticket.ref == expired.ref))
    assert closed.closed_at == START + timedelta(days=days, hours=1)
    event = db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == closed.id).order_by(TicketEvent.id.desc())
    ).first()
    assert (event.kind, event.before, event.after) == (EventKind.STATUS_CHANGED, "resolved", "closed")


def test_autoclose_twice_closes_nothing_the_second_time(world, app, runner) -> None:
    _resolved(world, app)
    later = START + timedelta(days=app.config["SAMDESK_REOPEN_DAYS"] + 1)

    with time_machine.travel(later, tick=False):
        first = runner.invoke(args=["tickets", "autoclose"])
        second = runner.invoke(args=["tickets", "autoclose"])

    assert len(first.stdout.split()) == 1
    assert second.stdout.split() == []
    assert second.exit_code == 0
