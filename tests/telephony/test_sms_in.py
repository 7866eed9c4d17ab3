"""SMS in: known numbers file or thread onto their case, unknown numbers are asked for their
municipality, retries change nothing, and nothing a person sent is lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import sqlalchemy as sa
import time_machine

from app.accounts import queries as accounts
from app.accounts.services import system_user
from app.db import utcnow
from app.extensions import db
from app.telephony import services
from app.telephony.models import PendingSms, PendingStatus, TwilioWebhook, WebhookStatus
from app.tickets import services as tickets
from app.tickets.models import Channel, Message, Status, Ticket
from tests import factories
from tests.telephony.conftest import Twilio, sid


def said(response: Any) -> list[str]:
    """The texts of a TwiML answer's <Message>s (and it must be valid XML)."""
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == "Response"
    return [m.text or "" for m in root.iter("Message")]


def tickets_of() -> list[Ticket]:
    return list(db.session.scalars(sa.select(Ticket).order_by(Ticket.id)))


def messages_of(ticket: Ticket) -> list[str]:
    return list(db.session.scalars(sa.select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id)))


def test_a_known_number_files_a_case_in_the_employees_municipality(twilio: Twilio, hadeland: Any) -> None:
    answer = said(twilio.sms("912 34 567", "Skriveren på legekontoret virker ikke"))
    (ticket,) = tickets_of()
    assert ticket.ref.startswith("GRA-") and ticket.channel is Channel.SMS
    assert ticket.requester_id == hadeland["employee"].id
    assert ticket.queue.slug == "gran-forstelinje"
    assert ticket.subject == "Skriveren på legekontoret virker ikke"
    assert answer == [f"Takk! Saken din har nummer {ticket.ref}. Svar på denne SMS-en for å legge til mer, "
                      "eller begynn med NY for en ny sak."]


def test_the_next_sms_threads_onto_the_open_sms_case_and_ny_starts_a_new_one(twilio: Twilio, hadeland: Any) -> None:
    said(twilio.sms("+4791234567", "Skriveren virker ikke"))
    answer = said(twilio.sms("+4791234567", "Den står i 2. etasje"))
    (ticket,) = tickets_of()
    assert answer == [f"Takk! Meldingen din er lagt til sak {ticket.ref}."]
    assert messages_of(ticket) == ["Skriveren virker ikke", "Den står i 2. etasje"]
    said(twilio.sms("+4791234567", "NY Teams starter ikke"))
    first, second = tickets_of()
    assert second.subject == "Teams starter ikke" and messages_of(second) == ["Teams starter ikke"]


def test_an_sms_after_the_thread_days_starts_a_new_case(twilio: Twilio, hadeland: Any) -> None:
    said(twilio.sms("+4791234567", "Skriveren virker ikke"))
    with time_machine.travel(utcnow() + timedelta(days=8), tick=False):
        said(twilio.sms("+4791234567", "Nå virker ikke skanneren"))
    assert len(tickets_of()) == 2


def test_an_sms_does_not_thread_onto_a_closed_case(twilio: Twilio, hadeland: Any) -> None:
    said(twilio.sms("+4791234567", "Skriveren virker ikke"))
    (ticket,) = tickets_of()
    tickets.set_status(ticket.ref, Status.CLOSED, actor=hadeland["agent"])
    said(twilio.sms("+4791234567", "Igjen"))
    assert len(tickets_of()) == 2


def test_twilios_retry_of_the_same_message_sid_creates_nothing(twilio: Twilio, hadeland: Any) -> None:
    message_sid = sid()
    first = said(twilio.sms("+4791234567", "Hjelp", message_sid=message_sid))
    again = said(twilio.sms("+4791234567", "Hjelp", message_sid=message_sid))
    assert first == again
    (ticket,) = tickets_of()
    assert messages_of(ticket) == ["Hjelp"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TwilioWebhook)) == 1


def test_an_unknown_number_is_asked_for_its_municipality_then_gets_a_case(twilio: Twilio, hadeland: Any) -> None:
    asked = said(twilio.sms("+4798765432", "PC-en min starter ikke"))
    assert asked == ["Hvilken kommune jobber du i? Svar 1 Jevnaker, 2 Lunner, 3 Gran."]
    assert tickets_of() == []
    again = said(twilio.sms("+4798765432", "Gran"))
    assert again == ["Beklager, vi forstod ikke svaret. Hvilken kommune jobber du i? Svar 1 Jevnaker, 2 Lunner, 3 Gran."]
    again = said(twilio.sms("+4798765432", "4"))
    assert again[0].startswith("Beklager")
    done = said(twilio.sms("+4798765432", " 2 "))
    (ticket,) = tickets_of()
    assert ticket.ref.startswith("LUN-") and ticket.queue.slug == "lunner-forstelinje"
    assert ticket.channel is Channel.SMS
    assert messages_of(ticket) == ["PC-en min starter ikke\n\nGran\n\n4"]
    assert done == [f"Takk! Saken din har nummer {ticket.ref}. Svar på denne SMS-en for å legge til mer, "
                    "eller begynn med NY for en ny sak."]
    assert ticket.requester.phone == "+4798765432" and ticket.created_by_id == system_user().id
    said(twilio.sms("+4798765432", "Den piper tre ganger"))
    assert messages_of(ticket)[-1] == "Den piper tre ganger" and len(tickets_of()) == 1


def test_the_municipality_choices_come_from_the_database(twilio: Twilio, hadeland: Any) -> None:
    factories.make_municipality("HAD")
    asked = said(twilio.sms("+4798765432", "Hei"))
    assert asked == ["Hvilken kommune jobber du i? Svar 1 Jevnaker, 2 Lunner, 3 Gran, 4 Had."]


def test_a_waiting_text_goes_to_triage_after_24_hours(twilio: Twilio, hadeland: Any, runner: Any) -> None:
    said(twilio.sms("+4798765432", "Kan dere ringe meg?"))
    result = runner.invoke(args=["telephony", "expire"])
    assert "to triage: 0" in result.output
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        result = runner.invoke(args=["telephony", "expire"])
    assert result.exit_code == 0 and "to triage: 1" in result.output
    (ticket,) = tickets_of()
    assert ticket.queue.is_triage and messages_of(ticket) == ["Kan dere ringe meg?"]
    pending = db.session.scalars(sa.select(PendingSms)).one()
    assert pending.status is PendingStatus.EXPIRED and pending.ticket_id == ticket.id


def test_a_webhook_that_cannot_be_processed_is_kept_not_dropped(twilio: Twilio, hadeland: Any, runner: Any) -> None:
    # Gran has no active first-line queue for a moment: the case cannot be made.
    tickets.update_queue("gran-forstelinje", is_active=False, actor=system_user())
    answer = said(twilio.sms("+4791234567", "Skjermen er svart"))
    assert answer == ["Takk! Vi har mottatt meldingen din og følger den opp."]
    row = db.session.scalars(sa.select(TwilioWebhook)).one()
    assert row.status is WebhookStatus.FAILED and row.params["Body"] == "Skjermen er svart"
    assert tickets_of() == []
    tickets.update_queue("gran-forstelinje", is_active=True, actor=system_user())
    result = runner.invoke(args=["telephony", "retry"])
    assert result.exit_code == 0 and "created GRA-" in result.output
    (ticket,) = tickets_of()
    assert messages_of(ticket) == ["Skjermen er svart"]
    db.session.expire_all()
    assert db.session.scalars(sa.select(TwilioWebhook)).one().status is WebhookStatus.PROCESSED


def test_the_user_is_found_whatever_way_twilio_writes_the_number(twilio: Twilio, hadeland: Any) -> None:
    said(twilio.sms("0047 912 34 567", "Hei"))
    assert tickets_of()[0].requester_id == hadeland["employee"].id
    assert accounts.user_by_phone("+4791234567").id == hadeland["employee"].id


def test_receive_sms_refuses_a_missing_message_sid(app: Any, hadeland: Any) -> None:
    import pytest

    from app.errors import Invalid

    with pytest.raises(Invalid):
        services.receive_sms({"From": "+4791234567", "Body": "Hei"})
