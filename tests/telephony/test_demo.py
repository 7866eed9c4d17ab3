"""The demo shows telephony: SMS numbers, an SMS conversation on a case, a waiting text."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts import queries as accounts
from app.extensions import db
from app.outbox.models import OutboxChannel, OutboxMessage
from app.telephony.models import PendingSms, PendingStatus
from app.tickets.models import Channel, Message, Ticket


def test_demo_load_shows_an_sms_conversation_and_a_waiting_text(runner: Any) -> None:
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    gran = accounts.municipality_by_code("GRA")
    assert "+4740000103" in {p.number for p in gran.phones}
    ticket = db.session.scalars(sa.select(Ticket).where(Ticket.channel == Channel.SMS,
                                                        Ticket.subject.like("Hei! Mobilen%"))).one()
    bodies = db.session.scalars(sa.select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id)).all()
    assert len(bodies) == 3 and bodies[-1] == "Nå virker det, takk for hjelpen!"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.channel == OutboxChannel.SMS, OutboxMessage.ticket_id == ticket.id)) == 1
    assert db.session.scalars(sa.select(PendingSms.status)).all() == [PendingStatus.WAITING]
