"""Ticket use cases through the service layer."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.tickets import services
from app.tickets.models import EventKind, QueueKind, Status, TicketEvent
from tests.factories import make_ticket


def test_employee_ticket_lands_in_their_municipalitys_first_line(world) -> None:
    ticket = make_ticket(world.employee, subject="Skriveren skriver blankt")

    assert ticket.ref.startswith("GRA-")
    assert ticket.queue.kind is QueueKind.FIRST_LINE
    assert ticket.queue.municipality.code == "GRA"
    assert ticket.municipality.code == "GRA"
    assert ticket.status is Status.NEW
    kinds = db.session.scalars(sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)).all()
    assert kinds == [EventKind.CREATED]
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).one()
    assert mail.recipient == "ansatt@gran.kommune.example"
    assert ticket.ref in mail.subject


def test_refs_are_numbered_per_municipality(world) -> None:
    first = make_ticket(world.employee)
    second = make_ticket(world.employee2)
    lunner = make_ticket(world.lun_employee)

    assert int(second.ref.split("-")[1]) == int(first.ref.split("-")[1]) + 1
    assert lunner.ref == "LUN-1001"


def test_claim_sets_assignee_and_opens(world) -> None:
    ticket = make_ticket(world.employee)

    claimed = services.claim(ticket.ref, actor=world.agent)

    assert claimed.assignee_id == world.agent.id
    assert claimed.status is Status.OPEN
