"""Ticket use cases through the service layer: where a case lands, its reference, claiming,
escalating and sending back, replies and notes, with the history and the outbox they leave."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.tickets import queries, services
from app.tickets.models import Channel, EventKind, Message, QueueKind, Status, Ticket, TicketEvent
from tests.factories import make_ticket


def _events(ticket: Ticket) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )


def _kinds(ticket: Ticket) -> list[EventKind]:
    return [e.kind for e in _events(ticket)]


def test_employee_ticket_lands_in_their_municipalitys_first_line(world) -> None:
    ticket = make_ticket(world.employee, subject="Skriveren skriver blankt")

    assert ticket.ref.startswith("GRA-")
    assert ticket.queue.kind is QueueKind.FIRST_LINE
    assert ticket.queue.municipality.code == "GRA"
    assert ticket.municipality.code == "GRA"
    assert ticket.status is Status.NEW
    assert _kinds(ticket) == [EventKind.CREATED]
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).one()
    assert mail.recipient == "ansatt@gran.kommune.example"
    assert ticket.ref in mail.subject


def test_agent_registers_a_phone_case_for_an_employee_in_the_employees_first_line(world) -> None:
    ticket = services.create_ticket(
        subject="Ringte om VPN", body="Får feilmelding 809.", actor=world.agent,
        requester=world.employee, channel="phone",
    )

    assert ticket.requester_id == world.employee.id
    assert ticket.channel is Channel.PHONE
    assert ticket.queue.slug == "gran-forstelinje"
    assert ticket.created_by_id == world.agent.id


def test_first_line_agent_cannot_register_a_case_for_another_municipality(world) -> None:
    with pytest.raises(Forbidden):
        services.create_ticket(subject="Hei", body="Hjelp", actor=world.agent, requester=world.lun_employee,
                               channel="phone")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_employee_cannot_file_for_someone_else(world) -> None:
    with pytest.raises(Forbidden):
        services.create_ticket(subject="Hei", body="Hjelp", actor=world.employee, requester=world.employee2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_a_ticket_keeps_its_municipality_for_life_while_the_second_line_works_it(world) -> None:
    ticket = make_ticket(world.lun_employee)
    services.escalate(ticket.ref, note="Felles fagsystem", actor=world.lun_agent)

    assert db.session.get(Ticket, ticket.id).municipality.code == "LUN"


def test_refs_are_numbered_per_municipality(world) -> None:
    first = make_ticket(world.employee)
    second = make_ticket(world.employee2)
    lunner = make_ticket(world.lun_employee)

    assert first.ref == "GRA-1001"
    assert second.ref == "GRA-1002"
    assert lunner.ref == "LUN-1001"


def test_refs_are_unique_across_many_tickets(world) -> None:
    refs = [make_ticket(world.employee).ref for _ in range(20)]

    assert len(set(refs)) == 20
    assert refs == [f"GRA-{1001 + i}" for i in range(20)]


def test_claim_sets_assignee_opens_and_records(world) -> None:
    ticket = make_ticket(world.employee)

    claimed = services.claim(ticket.ref, actor=world.agent)

    assert claimed.assignee_id == world.agent.id
    assert claimed.status is Status.OPEN
    event, status = _events(ticket)[-2:]
    assert (event.kind, event.actor_id, event.after) == (EventKind.CLAIMED, world.agent.id, world.agent.email)
    assert (status.kind, status.before, status.after) == (EventKind.STATUS_CHANGED, "new", "open")


def test_second_claim_loses_with_conflict_and_changes_nothing(world) -> None:
    ticket = make_ticket(world.employee)
    services.claim(ticket.ref, actor=world.agent)
    events_before = len(_events(ticket))

    with pytest.raises(Conflict) as caught:
        services.claim(ticket.ref, actor=world.agent2)

    assert caught.value.code == "ticket_already_claimed"
    assert db.session.get(Ticket, ticket.id).assignee_id == world.agent.id
    assert len(_events(ticket)) == events_before


def test_manager_sees_but_cannot_claim(world) -> None:
    ticket = make_ticket(world.employee)

    with pytest.raises(Forbidden):
        services.claim(ticket.ref, actor=world.manager)
    assert db.session.get(Ticket, ticket.id).assignee_id is None


def test_escalate_needs_a_note(world) -> None:
    ticket = make_ticket(world.employee)

    with pytest.raises(Invalid) as caught:
        services.escalate(ticket.ref, note="   ", actor=world.agent)

    assert caught.value.field == "note"
    assert db.session.get(Ticket, ticket.id).queue.slug == "gran-forstelinje"
    assert EventKind.ESCALATED not in _kinds(ticket)


def test_escalate_sends_to_the_pooled_queue_and_records_the_note(world) -> None:
    ticket = make_ticket(world.employee)
    services.claim(ticket.ref, actor=world.agent)

    services.escalate(ticket.ref, note="Trenger tilgang i Gerica", actor=world.agent)

    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.queue.kind is QueueKind.SECOND_LINE
    assert ticket.queue.municipality_id is None
    assert ticket.assignee_id is None
    assert ticket.was_pooled
    event = _events(ticket)[-1]
    assert (event.kind, event.before, event.after, event.note) == (
        EventKind.ESCALATED, "gran-forstelinje", "andrelinje", "Trenger tilgang i Gerica"
    )


def test_escalate_to_a_named_specialist_queue(world) -> None:
    ticket = make_ticket(world.employee)

    services.escalate(ticket.ref, note="Fagsystem", queue_slug="andrelinje-fagsystem", actor=world.agent)

    assert db.session.get(Ticket, ticket.id).queue.slug == "andrelinje-fagsystem"


def test_only_the_first_line_escalates(world) -> None:
    ticket = make_ticket(world.employee)

    with pytest.raises(Forbidden):
        services.escalate(ticket.ref, note="Vil", actor=world.manager)
    with pytest.raises(Forbidden):
        services.escalate(ticket.ref, note="Vil", actor=world.employee)


def test_send_back_returns_to_the_tickets_municipalitys_first_line_with_a_note(world) -> None:
    ticket = make_ticket(world.lun_employee)
    services.escalate(ticket.ref, note="Til andrelinje", actor=world.lun_agent)
    services.claim(ticket.ref, actor=world.second)

    with pytest.raises(Invalid):
        services.send_back(ticket.ref, note="", actor=world.second)
    services.send_back(ticket.ref, note="Løst midlertidig, følg opp", actor=world.second)

    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.queue.slug == "lunner-forstelinje"
    assert ticket.assignee_id is None
    event = _events(ticket)[-1]
    assert (event.kind, event.before, event.after, event.note) == (
        EventKind.SENT_BACK, "andrelinje", "lunner-forstelinje", "Løst midlertidig, følg opp"
    )


def test_first_line_cannot_send_back(world) -> None:
    ticket = make_ticket(world.employee)
    services.escalate(ticket.ref, note="Opp", actor=world.agent)

    with pytest.raises(Forbidden):
        services.send_back(ticket.ref, note="Ned", actor=world.agent)
    assert db.session.get(Ticket, ticket.id).queue.slug == "andrelinje"


def test_internal_note_by_agent_is_recorded_and_sends_no_mail(world) -> None:
    ticket = make_ticket(world.employee)
    mails_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))

    message = services.reply(ticket.ref, body="Sjekk loggen", internal=True, actor=world.agent)

    assert message.internal
    assert _kinds(ticket)[-1] is EventKind.NOTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == mails_before


def test_employee_cannot_write_internal_notes(world) -> None:
    ticket = make_ticket(world.employee)

    with pytest.raises(Forbidden):
        services.reply(ticket.ref, body="Hemmelig", internal=True, actor=world.employee)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_agent_reply_is_first_response_opens_and_mails_the_requester(world) -> None:
    ticket = make_ticket(world.employee)

    services.reply(ticket.ref, body="Vi ser på det.", actor=world.agent)

    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status is Status.OPEN
    assert ticket.first_response_at is not None
    recipients = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(OutboxMessage.ticket_id == ticket.id)
    ).all()
    assert recipients.count("ansatt@gran.kommune.example") == 2  # received + the reply


def test_closed_ticket_takes_no_replies(world) -> None:
    ticket = make_ticket(world.employee)
    services.set_status(ticket.ref, "closed", actor=world.agent)

    with pytest.raises(Invalid) as caught:
        services.reply(ticket.ref, body="Hallo?", actor=world.employee)
    assert caught.value.code == "ticket_closed"


def test_assign_to_an_agent_of_the_queue_only(world) -> None:
    ticket = make_ticket(world.employee)

    with pytest.raises(Invalid):
        services.assign(ticket.ref, assignee_email=world.lun_agent.email, actor=world.agent)
    services.assign(ticket.ref, assignee_email=world.agent2.email, actor=world.agent)

    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.assignee_id == world.agent2.id
    assigned, status = _events(ticket)[-2:]
    assert (assigned.kind, assigned.after) == (EventKind.ASSIGNED, world.agent2.email)
    assert (status.before, status.after) == ("new", "open")


def test_hidden_ticket_is_not_found_for_every_service(world) -> None:
    ticket = make_ticket(world.employee)
    calls = [
        lambda u: services.open_ticket(ticket.ref, actor=u),
        lambda u: services.claim(ticket.ref, actor=u),
        lambda u: services.assign(ticket.ref, assignee_email=None, actor=u),
        lambda u: services.escalate(ticket.ref, note="x", actor=u),
        lambda u: services.send_back(ticket.ref, note="x", actor=u),
        lambda u: services.set_status(ticket.ref, "open", actor=u),
        lambda u: services.set_priority(ticket.ref, "high", actor=u),
        lambda u: services.reply(ticket.ref, body="x", actor=u),
        lambda u: services.add_attachment(ticket.ref, filename="a.txt", data=b"hei", actor=u),
    ]
    for call in calls:
        for outsider in (world.lun_agent, world.lun_manager, world.employee2, world.second):
            with pytest.raises(NotFound):
                call(outsider)
    assert _kinds(ticket) == [EventKind.CREATED]


def test_staff_opening_a_ticket_is_access_logged_but_the_requester_is_not(world) -> None:
    ticket = make_ticket(world.employee)

    services.open_ticket(ticket.ref, actor=world.employee)
    services.open_ticket(ticket.ref, actor=world.agent, via="api")
    services.open_ticket(ticket.ref, actor=world.manager)

    entries = queries.access_log_for_ticket(ticket.id)
    assert [(e.user.email, e.via) for e in entries] == [
        (world.manager.email, "web"), (world.agent.email, "api")
    ]
    assert [e.ticket.ref for e in queries.access_log_for_user(world.agent.id)] == [ticket.ref]
