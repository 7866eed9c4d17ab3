"""Bounces and delivery reports: flufl.bounce where it recognises the report, the hand-written
reading of delivery-status parts as the fallback, and what a bounce does to the outbox row.
The reports are written here for the purpose."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.mail import parsing
from app.outbox.models import DeliveryState, OutboxMessage
from app.tickets.models import EventKind, TicketEvent
from tests.factories import make_ticket


def _receipt() -> OutboxMessage:
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).one()


def _qmail_bounce(message_id: str, recipient: str) -> bytes:
    # qmail writes no delivery-status part and this subject matches none of our own patterns:
    # only a library that knows qmail's wording sees a bounce here.
    return (
        "From: MAILER-DAEMON@mx.gran.kommune.example\r\nTo: samdesk@samdesk.example\r\n"
        "Subject: Returned: your message\r\nMessage-ID: <qmail-1@mx.gran.kommune.example>\r\n\r\n"
        "Hi. This is the qmail-send program at mx.gran.kommune.example.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        f"<{recipient}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        f"Message-ID: {message_id}\r\nSubject: Vi har mottatt saken din\r\n\r\nHei\r\n"
    ).encode()


def _dsn(message_id: str, *, action: str, status: str, recipients: list[str]) -> bytes:
    per_recipient = "".join(
        f"Final-Recipient: rfc822; {r}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {status.replace('.', '')[:3]} mailbox says no\r\n\r\n"
        for r in recipients
    )
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.lunner.kommune.example>\r\n"
        "To: samdesk@samdesk.example\r\nSubject: Delivery Status Notification\r\n"
        f"Message-ID: <dsn-{action}@mx.lunner.kommune.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nReport.\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.lunner.kommune.example\r\n\r\n" + per_recipient +
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {message_id}\r\nSubject: Vi har mottatt saken din\r\n--R--\r\n"
    ).encode()


def test_qmail_bounce_is_recognised_by_the_library_and_marks_the_row_bounced(world, ingest) -> None:
    ticket = make_ticket(world.employee)
    receipt = _receipt()
    raw = _qmail_bounce(receipt.message_id or "", world.employee.email)

    parsed = parsing.parse(raw)
    result = ingest(raw)

    assert parsed.kind == "bounce" and parsed.bounce_permanent
    assert parsed.bounced_recipient == world.employee.email
    assert result.exit_code == 0 and result.stdout.strip() == ""
    db.session.expire_all()
    row = _receipt()
    assert row.delivery_state is DeliveryState.BOUNCED and row.bounced_at is not None
    event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == EventKind.BOUNCED)).one()
    assert (event.ticket_id, event.after) == (ticket.id, world.employee.email)


def test_bounce_naming_several_recipients_is_recorded_for_ours(world, ingest) -> None:
    make_ticket(world.employee)
    receipt = _receipt()
    raw = _dsn(receipt.message_id or "", action="failed", status="5.1.1",
               recipients=["noen.andre@lunner.kommune.example", world.employee.email])

    parsed = parsing.parse(raw)
    ingest(raw)

    assert set(parsed.bounced_recipients) == {"noen.andre@lunner.kommune.example", world.employee.email}
    event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == EventKind.BOUNCED)).one()
    assert event.after == world.employee.email
    assert "511" in (_receipt().delivery_error or "")


def test_delay_warning_is_noise_and_leaves_the_delivery_state_alone(world, ingest) -> None:
    make_ticket(world.employee)
    receipt = _receipt()
    raw = _dsn(receipt.message_id or "", action="delayed", status="4.4.7", recipients=[world.employee.email])

    parsed = parsing.parse(raw)
    result = ingest(raw)

    assert parsed.kind == "bounce" and not parsed.bounce_permanent
    assert result.exit_code == 0 and result.stdout.strip() == ""
    db.session.expire_all()
    assert _receipt().delivery_state is DeliveryState.QUEUED and _receipt().bounced_at is None
    assert db.session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == EventKind.BOUNCED)).all() == []


def test_when_the_library_fails_the_delivery_status_part_is_read_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(msg: object) -> None:
        raise RuntimeError("detector choked")

    monkeypatch.setattr(parsing, "all_failures", broken)
    raw = _dsn("<x@samdesk.example>", action="failed", status="5.2.2", recipients=["full@gran.kommune.example"])

    parsed = parsing.parse(raw)

    assert parsed.kind == "bounce" and parsed.bounce_permanent
    assert parsed.bounced_recipient == "full@gran.kommune.example"
    assert parsed.bounced_message_ids == ["<x@samdesk.example>"]
    assert "522" in parsed.bounce_reason


def test_a_persons_mail_quoting_an_error_is_not_a_bounce() -> None:
    raw = (
        b"From: Anne Ansatt <ansatt@gran.kommune.example>\r\nTo: hjelp@samdesk.example\r\n"
        b"Subject: Fikk denne feilen\r\nMessage-ID: <quote@gran.kommune.example>\r\n\r\n"
        b"Hei, jeg fikk dette da jeg sendte til sjefen:\r\n\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        b"<sjef@gran.kommune.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n"
    )

    assert parsing.parse(raw).kind == "ticket"
