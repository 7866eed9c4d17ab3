"""Notifications reach each recipient by one channel (notify.channel_for), and an SMS carries the
short text form of the notification in the recipient's language."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.outbox.models import OutboxChannel, OutboxMessage
from app.tickets import notify
from app.tickets import services as tickets
from app.tickets.models import Channel
from tests.factories import make_ticket, make_user


def _phone_only(phone: str, *, locale: str = "nb") -> User:
    """A contact known by phone only. Accounts refuses to create a user with a .invalid address,
    so the placeholder is set here the way a contact made from an SMS would carry one."""
    user = make_user(phone=phone, locale=locale)
    user.email = f"sms-{user.id}@samdesk.invalid"
    db.session.commit()
    return user


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_requester_with_an_email_address_gets_mail(world) -> None:
    person = make_user(phone="+4791234567")

    ticket = make_ticket(person)

    (row,) = _rows()
    assert row.channel is OutboxChannel.EMAIL and row.recipient == person.email
    assert notify.channel_for(person, ticket) is OutboxChannel.EMAIL


def test_requester_without_email_but_with_a_phone_gets_the_short_norwegian_sms(world) -> None:
    person = _phone_only("+4791234567")

    ticket = make_ticket(person, subject="Skriveren virker ikke")

    (row,) = _rows()
    assert row.channel is OutboxChannel.SMS and row.recipient == "+4791234567"
    assert row.ticket_id == ticket.id and row.subject == ""
    assert row.body_text.startswith(f"Vi har mottatt saken din {ticket.ref}: Skriveren virker ikke\n")
    assert "Følg saken: http" in row.body_text and f"/saker/{ticket.ref}" in row.body_text
    assert len(row.body_text) <= notify.SMS_MAX_CHARS


def test_sms_is_in_english_for_an_english_speaking_requester(world) -> None:
    person = _phone_only("+4790000001", locale="en")

    ticket = make_ticket(person, subject="Printer broken")

    (row,) = _rows()
    assert row.body_text.startswith(f"We have received your case {ticket.ref}: Printer broken\n")
    assert "Follow the case: http" in row.body_text


def test_case_that_came_by_sms_is_answered_by_sms_even_when_the_requester_has_email(world) -> None:
    person = make_user(phone="+4791234567")

    ticket = make_ticket(person, actor=world.agent, channel=Channel.SMS)

    (row,) = _rows()
    assert row.channel is OutboxChannel.SMS and row.recipient == "+4791234567"
    assert notify.channel_for(person, ticket) is OutboxChannel.SMS
    # The agent is reached by mail about the same case: the SMS rule is for its requester.
    assert notify.channel_for(world.agent, ticket) is OutboxChannel.EMAIL


def test_agent_answer_goes_by_sms_with_the_answer_cut_short(world) -> None:
    person = _phone_only("+4791234567")
    ticket = make_ticket(person)
    long_answer = "Start maskinen på nytt. " * 40

    tickets.reply(ticket.ref, body=long_answer, actor=world.agent)

    answer = _rows()[-1]
    assert answer.channel is OutboxChannel.SMS
    assert answer.body_text.startswith(f"Svar på sak {ticket.ref}:\nStart maskinen på nytt.")
    assert "..." in answer.body_text and len(answer.body_text) <= notify.SMS_MAX_CHARS


def test_resolved_case_sms_says_it_can_be_reopened(app, world) -> None:
    person = _phone_only("+4791234567")
    ticket = make_ticket(person)
    tickets.claim(ticket.ref, actor=world.agent)

    tickets.set_status(ticket.ref, "resolved", actor=world.agent)

    last = _rows()[-1]
    assert last.channel is OutboxChannel.SMS
    assert f"Saken din {ticket.ref} er nå: Løst." in last.body_text
    assert f"Du kan åpne saken igjen innen {app.config['SAMDESK_REOPEN_DAYS']} dager." in last.body_text


def test_nobody_is_notified_without_email_or_phone(world) -> None:
    person = make_user()
    person.email = f"ingen-{person.id}@samdesk.invalid"
    db.session.commit()

    ticket = make_ticket(person)

    assert _rows() == []
    assert notify.channel_for(person, ticket) is None


def test_short_text_drops_blank_lines_and_cuts_with_an_ellipsis() -> None:
    assert notify.short_text("  a  \n\n b\n") == "a\nb"
    assert notify.short_text("x" * 10, limit=5) == "xx..."
