"""SMS out: the real twilio Client (a fake HTTP client under it), through the outbox: sends,
temporary failures retried, permanent ones dead at once, never to a number that is not E.164."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import sqlalchemy as sa
import time_machine

from app.db import utcnow
from app.extensions import db
from app.outbox import services as outbox
from app.outbox.models import OutboxChannel, OutboxMessage, OutboxStatus
from app.outbox.services import PermanentFailure, TemporaryFailure
from app.telephony import services, sms
from app.telephony.transport import TRANSPORT
from app.tickets import services as tickets
from app.tickets.models import Channel, Message
from tests import factories
from tests.telephony.conftest import PUBLIC, FakeTwilioHttp, Twilio, twilio_error


def sms_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.SMS)
                                   .order_by(OutboxMessage.id)))


def answer_sms(ref: str, text: str) -> str:
    """An agent's answer as the employee gets it by SMS (tickets/mail/reply.sms.txt)."""
    return f"Svar på sak {ref}:\n{text}\nFølg saken: https://samdesk.hadeland.example/saker/{ref}"


def row(to: str = "+4791234567", text: str = "GRA-1001: Hei") -> Any:
    return SimpleNamespace(id=7, recipient=to, body_text=text, ticket_id=None)


def test_the_twilio_backend_sends_through_the_real_client(app: Any, fake_twilio: FakeTwilioHttp) -> None:
    provider_id = TRANSPORT.send(row())
    (sent,) = fake_twilio.requests
    assert sent["method"] == "POST" and sent["uri"].endswith("/Accounts/AC" + "0" * 32 + "/Messages.json")
    assert sent["data"]["To"] == "+4791234567" and sent["data"]["From"] == "+4759440000"
    assert sent["data"]["Body"] == "GRA-1001: Hei"
    assert sent["data"]["StatusCallback"] == f"{PUBLIC}/telephony/sms/status"
    assert provider_id is not None and provider_id.startswith("SM")


def test_a_messaging_service_is_used_when_set(app: Any, fake_twilio: FakeTwilioHttp, twilio_config: Any) -> None:
    twilio_config["TWILIO_MESSAGING_SERVICE_SID"] = "MG" + "1" * 32
    TRANSPORT.send(row())
    assert fake_twilio.requests[0]["data"]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in fake_twilio.requests[0]["data"]


@pytest.mark.parametrize("code", [21211, 21610, 21614, 21408])
def test_invalid_and_opted_out_numbers_are_permanent_failures(app: Any, fake_twilio: FakeTwilioHttp, code: int) -> None:
    fake_twilio.answer(*twilio_error(code))
    with pytest.raises(PermanentFailure):
        TRANSPORT.send(row())


@pytest.mark.parametrize("failure", [twilio_error(20500, 500), twilio_error(20429, 429), twilio_error(20503, 503),
                                     requests.Timeout("slow"), requests.ConnectionError("down")])
def test_server_errors_and_timeouts_are_temporary(app: Any, fake_twilio: FakeTwilioHttp, failure: Any) -> None:
    if isinstance(failure, Exception):
        fake_twilio.fail(failure)
    else:
        fake_twilio.answer(*failure)
    with pytest.raises(TemporaryFailure):
        TRANSPORT.send(row())


@pytest.mark.parametrize("bad", ["91234567", "+47 912 34 567", "+4712", "", "kari@example.no"])
def test_never_sent_to_a_number_that_is_not_valid_e164(app: Any, fake_twilio: FakeTwilioHttp, bad: str) -> None:
    with pytest.raises(PermanentFailure):
        TRANSPORT.send(row(to=bad))
    assert fake_twilio.requests == []


def test_a_long_text_leaves_in_at_most_three_segments(app: Any, fake_twilio: FakeTwilioHttp) -> None:
    TRANSPORT.send(row(text="GRA-1001: " + "Skriveren skriver blanke ark igjen. " * 40))
    assert sms.segments(fake_twilio.requests[0]["data"]["Body"]) <= 3


def test_the_log_backend_marks_sent_without_twilio(app: Any, twilio_config: Any, caplog: Any) -> None:
    twilio_config["SAMDESK_SMS_BACKEND"] = "log"
    with caplog.at_level("INFO"):
        provider_id = TRANSPORT.send(row(text="GRA-1001: Passordet ditt er nullstilt"))
    assert provider_id == "log-7"
    assert "Passordet" not in caplog.text and "91234567" not in caplog.text


def test_sms_rows_go_through_the_outbox_and_a_temporary_failure_is_retried(
    app: Any, hadeland: Any, fake_twilio: FakeTwilioHttp, runner: Any,
) -> None:
    outbox_row = outbox.enqueue_sms(to="+4791234567", text="GRA-1001: Hei")
    db.session.commit()
    fake_twilio.answer(*twilio_error(20503, 503)).answer(201)
    result = runner.invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    (pending,) = sms_rows()
    assert pending.id == outbox_row.id and pending.status is OutboxStatus.PENDING and pending.attempts == 1
    with time_machine.travel(utcnow() + timedelta(hours=1), tick=False):
        runner.invoke(args=["outbox", "run", "--once"])
    (sent,) = sms_rows()
    assert sent.status is OutboxStatus.SENT and len(fake_twilio.requests) == 2


def test_a_permanent_failure_goes_to_the_dead_letters_at_once(
    app: Any, hadeland: Any, fake_twilio: FakeTwilioHttp, runner: Any,
) -> None:
    outbox.enqueue_sms(to="+4791234567", text="GRA-1001: Hei")
    db.session.commit()
    fake_twilio.answer(*twilio_error(21610))
    runner.invoke(args=["outbox", "run", "--once"])
    (dead,) = sms_rows()
    assert dead.status is OutboxStatus.DEAD and dead.attempts == 1


# ---------------------------------------------------------------------------------------------
# An agent's SMS, and public replies on SMS cases


def test_an_agent_starts_an_sms_from_any_case_and_the_answer_threads_back(
    app: Any, hadeland: Any, twilio: Twilio,
) -> None:
    ticket = factories.make_ticket(hadeland["employee"], subject="Skjermen flimrer")  # a web case
    message = services.send_sms(ticket.ref, text="Kan du si hvilken PC det gjelder?", actor=hadeland["agent"])
    assert message.channel is Channel.SMS and not message.internal
    (out,) = sms_rows()
    assert out.recipient == "+4791234567" and out.ticket_id == ticket.id
    assert out.body_text == answer_sms(ticket.ref, "Kan du si hvilken PC det gjelder?")
    twilio.sms("+4791234567", "Det er PC-en på resepsjonen")
    bodies = list(db.session.scalars(sa.select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id)))
    assert bodies[-1] == "Det er PC-en på resepsjonen"


def test_an_sms_needs_a_working_agent_and_a_valid_mobile_number(app: Any, hadeland: Any) -> None:
    from app.errors import Forbidden, Invalid, NotFound

    ticket = factories.make_ticket(hadeland["employee"])
    with pytest.raises(NotFound):
        services.send_sms(ticket.ref, text="Hei", actor=hadeland["lun_agent"])
    with pytest.raises(Forbidden):
        services.send_sms(ticket.ref, text="Hei", actor=hadeland["employee"])
    nobody = factories.make_user(email="uten@gran.kommune.example")
    other = factories.make_ticket(nobody)
    with pytest.raises(Invalid) as refused:
        services.send_sms(other.ref, text="Hei", actor=hadeland["agent"])
    assert refused.value.code == "no_mobile"
    assert sms_rows() == []


def test_a_public_reply_on_an_sms_case_goes_out_as_a_link_by_default(app: Any, hadeland: Any, twilio: Twilio) -> None:
    twilio.sms("+4791234567", "Passordet mitt virker ikke")
    (ticket_id,) = db.session.scalars(sa.select(Message.ticket_id)).all()
    ref = db.session.get(__import__("app.tickets.models", fromlist=["Ticket"]).Ticket, ticket_id).ref
    tickets.reply(ref, body="Nytt passord er Sommer2026!", actor=hadeland["agent"], channel=Channel.WEB)
    (out,) = sms_rows()
    assert "Sommer2026" not in out.body_text
    assert out.body_text == (f"{ref}: Du har fått svar på saken din (åpen). Les det her: "
                             f"https://samdesk.hadeland.example/saker/{ref}")


def test_a_municipality_may_choose_the_whole_text(app: Any, hadeland: Any, twilio: Twilio, runner: Any) -> None:
    result = runner.invoke(args=["telephony", "set-reply-mode", "GRA", "text"])
    assert result.exit_code == 0 and "GRA\ttext" in result.output
    twilio.sms("+4791234567", "Skriveren virker ikke")
    ref = db.session.scalars(sa.select(sa.literal_column("ref")).select_from(sa.table("tickets"))).one()
    tickets.reply(ref, body="Den er fikset nå.", actor=hadeland["agent"], channel=Channel.WEB)
    tickets.reply(ref, body="Internt: byttet trommel", actor=hadeland["agent"], internal=True, channel=Channel.WEB)
    (out,) = sms_rows()
    assert out.body_text == answer_sms(ref, "Den er fikset nå.")


def test_a_reply_on_a_case_without_sms_sends_no_sms(app: Any, hadeland: Any) -> None:
    ticket = factories.make_ticket(hadeland["employee"])
    tickets.reply(ticket.ref, body="Svar", actor=hadeland["agent"], channel=Channel.WEB)
    assert sms_rows() == []


def test_the_agent_sees_how_a_reply_will_leave_before_sending(app: Any, hadeland: Any, twilio: Twilio, as_user: Any) -> None:
    twilio.sms("+4791234567", "Skriveren virker ikke")
    ref = db.session.scalars(sa.select(sa.literal_column("ref")).select_from(sa.table("tickets"))).one()
    page = as_user(hadeland["agent"]).get(f"/saker/{ref}")
    assert page.status_code == 200
    assert "Et offentlig svar går også til +4791234567 på SMS" in page.text
    assert "Bare saksnummer, status og en lenke på SMS" in page.text
    assert "Send SMS til +4791234567" in page.text


def test_the_case_page_sms_form_sends_and_refuses_an_empty_text(app: Any, hadeland: Any, as_user: Any,
                                                                twilio_config: Any) -> None:
    ticket = factories.make_ticket(hadeland["employee"])
    browser = as_user(hadeland["agent"])
    empty = browser.submit(f"/saker/{ticket.ref}", f"/telephony/saker/{ticket.ref}/sms", {"text": ""})
    assert empty.status_code == 400 and "Skriv SMS-en." in empty.text
    assert sms_rows() == []
    sent = browser.submit(f"/saker/{ticket.ref}", f"/telephony/saker/{ticket.ref}/sms", {"text": "Vi kommer kl. 14"})
    assert sent.status_code == 302
    (out,) = sms_rows()
    assert out.body_text == answer_sms(ticket.ref, "Vi kommer kl. 14")


def test_the_api_sends_an_sms_from_a_case(app: Any, hadeland: Any, api: Any) -> None:
    ticket = factories.make_ticket(hadeland["employee"])
    response = api.as_(hadeland["agent"]).post(f"/api/v1/tickets/{ticket.ref}/sms", json={"text": "Hei"})
    assert response.status_code == 201 and response.json["channel"] == "sms"
    refused = api.as_(hadeland["agent"]).post(f"/api/v1/tickets/{ticket.ref}/sms", json={"text": ""})
    assert refused.status_code == 400
    assert len(sms_rows()) == 1
