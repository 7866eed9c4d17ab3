"""The whole conversation: an unknown number, its municipality answer, the case, the agent's SMS
reply through the outbox and Twilio, and Twilio's delivery callback on the case."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.outbox.models import OutboxChannel, OutboxMessage, OutboxStatus
from app.tickets import services as tickets
from app.tickets.models import Channel, EventKind, Ticket, TicketEvent
from tests.telephony.conftest import FakeTwilioHttp, Twilio
from tests.telephony.test_sms_in import said


def test_unknown_number_to_case_to_agent_reply_to_delivery(
    app: Any, hadeland: Any, twilio: Twilio, fake_twilio: FakeTwilioHttp, runner: Any,
) -> None:
    assert said(twilio.sms("+4748123456", "Nettbrettet i hjemmetjenesten får ikke nett"))[0].startswith(
        "Hvilken kommune")
    answer = said(twilio.sms("+4748123456", "3"))
    ticket = db.session.scalars(sa.select(Ticket)).one()
    assert ticket.ref in answer[0] and ticket.queue.slug == "gran-forstelinje"

    tickets.claim(ticket.ref, actor=hadeland["agent"])
    tickets.reply(ticket.ref, body="Start nettbrettet på nytt og prøv igjen.", actor=hadeland["agent"],
                  channel=Channel.WEB)
    result = runner.invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    (request,) = fake_twilio.requests
    assert request["data"]["To"] == "+4748123456" and ticket.ref in request["data"]["Body"]
    row = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.SMS)).one()
    db.session.refresh(row)
    assert row.status is OutboxStatus.SENT

    provider_id = row.provider_id
    callback = {"MessageSid": provider_id, "MessageStatus": "delivered", "To": "+4748123456",
                "AccountSid": "AC" + "0" * 32}
    response = twilio.post("/telephony/sms/status", callback)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    db.session.refresh(row)
    assert row.delivery_state.value == "delivered"
    (event,) = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                               TicketEvent.kind == EventKind.SMS_STATUS)).all()
    assert event.after == "delivered" and event.internal
    again = twilio.post("/telephony/sms/status", callback)
    assert again.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent).where(
        TicketEvent.kind == EventKind.SMS_STATUS)) == 1


def test_a_status_callback_for_an_unknown_message_is_answered_and_changes_nothing(
    app: Any, hadeland: Any, twilio: Twilio,
) -> None:
    response = twilio.post("/telephony/sms/status", {"MessageSid": "SM" + "f" * 32, "MessageStatus": "failed",
                                                     "ErrorCode": "30003"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent)) == 0
