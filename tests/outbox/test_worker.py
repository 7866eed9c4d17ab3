"""`outbox run` against a real SMTP server (aiosmtpd on 127.0.0.1): what leaves, with which
headers, retries with backoff while the server is down, dead letters, and two workers at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from app.accounts.services import system_user
from app.db import utcnow
from app.extensions import db
from app.outbox import services as outbox
from app.outbox.models import OutboxMessage, OutboxStatus
from app.tickets import services as tickets
from tests.factories import make_ticket
from tests.outbox.conftest import SmtpServer


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_receipt_leaves_with_reference_message_id_and_auto_submitted(world, runner, smtp: SmtpServer) -> None:
    ticket = make_ticket(world.employee, subject="Skriveren virker ikke")

    result = runner.invoke(args=["outbox", "run", "--once"])

    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    (sent,) = smtp.inbox.messages
    (row,) = _rows()
    assert sent["Subject"] == f"[{ticket.ref}] Vi har mottatt saken din: Skriveren virker ikke"
    assert sent["Message-ID"] == row.message_id
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["To"] == "ansatt@gran.kommune.example"
    text = sent.get_body(("plain",)).get_content()
    assert f"gitt den saksnummeret {ticket.ref}" in text
    assert row.status is OutboxStatus.SENT and row.sent_at is not None
    assert smtp.inbox.envelopes == [("samdesk@samdesk.example", ["ansatt@gran.kommune.example"])]


def test_english_speaking_requester_gets_the_english_template(world, runner, smtp: SmtpServer) -> None:
    from tests.factories import make_user

    english = make_user(email="expat@gran.kommune.example", locale="en")
    ticket = make_ticket(english, subject="Printer broken")

    runner.invoke(args=["outbox", "run", "--once"])

    (sent,) = smtp.inbox.messages
    assert sent["Subject"] == f"[{ticket.ref}] We have received your case: Printer broken"
    assert "given it the reference" in sent.get_body(("plain",)).get_content()


def test_agent_reply_is_not_marked_automatic_and_threads_to_the_requesters_mail(world, runner, smtp: SmtpServer) -> None:
    ticket = make_ticket(world.employee, email_message_id="<orig@gran.kommune.example>")
    tickets.reply(ticket.ref, body="Bytt tonerkassett.", actor=world.agent)

    runner.invoke(args=["outbox", "run", "--once"])

    receipt, answer = smtp.inbox.messages
    assert receipt["In-Reply-To"] == "<orig@gran.kommune.example>"
    root = f"<{ticket.ref.lower()}.sak@samdesk.example>"
    assert receipt["References"] == f"<orig@gran.kommune.example> {root}"
    assert answer["References"] == root
    assert answer["Auto-Submitted"] is None
    assert "Bytt tonerkassett." in answer.get_body(("plain",)).get_content()
    assert f"[{ticket.ref}]" in answer["Subject"]


def test_nothing_is_lost_while_the_smtp_server_is_down(world, runner, smtp_server: SmtpServer) -> None:
    make_ticket(world.employee)
    make_ticket(world.employee2)

    down = runner.invoke(args=["outbox", "run", "--once"])

    assert down.exit_code == 0
    rows = _rows()
    assert [r.status for r in rows] == [OutboxStatus.PENDING, OutboxStatus.PENDING]
    assert rows[0].attempts == 1 and "unavailable" in (rows[0].last_error or "")
    assert rows[0].next_attempt_at > utcnow() + timedelta(seconds=50)
    assert rows[1].attempts == 0  # the run stopped at the first connection failure

    smtp_server.start()
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
        back = runner.invoke(args=["outbox", "run", "--once"])

    assert "sent 2" in back.output
    assert [r.status for r in _rows()] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert len(smtp_server.inbox.messages) == 2


def test_backoff_doubles_and_the_last_failure_makes_a_dead_letter(app: Flask, world, smtp_server: SmtpServer) -> None:
    app.config["SAMDESK_OUTBOX_MAX_ATTEMPTS"] = 3
    make_ticket(world.employee)
    waits = []
    try:
        now = utcnow()
        for _ in range(3):
            with time_machine.travel(now, tick=False):
                outbox.deliver_due()
            (row,) = _rows()
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at + timedelta(seconds=1)
    finally:
        app.config.pop("SAMDESK_OUTBOX_MAX_ATTEMPTS")

    assert waits[:2] == [timedelta(seconds=60), timedelta(seconds=120)]
    (row,) = _rows()
    assert row.status is OutboxStatus.DEAD and row.attempts == 3
    assert [r.id for r in outbox.dead_letters(actor=system_user())] == [row.id]


def test_dead_letter_retried_by_an_admin_is_sent(world, runner, smtp: SmtpServer) -> None:
    make_ticket(world.employee)
    (row,) = _rows()
    db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.DEAD, attempts=8))
    db.session.commit()

    assert runner.invoke(args=["outbox", "dead"]).output.startswith(f"{row.id}\t")
    assert runner.invoke(args=["outbox", "retry", str(row.id)]).exit_code == 0
    runner.invoke(args=["outbox", "run", "--once"])

    assert _rows()[0].status is OutboxStatus.SENT
    assert len(smtp.inbox.messages) == 1


def test_refused_recipient_becomes_a_dead_letter_at_once(world, runner, smtp: SmtpServer) -> None:
    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802, ANN001
            return "550 5.1.1 No such user"

    smtp.stop()
    smtp.inbox = Refuse()  # type: ignore[assignment]
    smtp.start()
    make_ticket(world.employee)

    runner.invoke(args=["outbox", "run", "--once"])

    (row,) = _rows()
    assert row.status is OutboxStatus.DEAD, row.last_error
    assert "550" in (row.last_error or "")


@pytest.mark.postgres_only
def test_two_workers_at_once_send_every_message_exactly_once(app: Flask, world, smtp: SmtpServer) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    for n in range(40):
        tickets.create_ticket(subject=f"Sak {n}", body="Tekst", actor=world.employee)
    barrier = threading.Barrier(2)
    reports = []

    def work() -> None:
        with app.app_context():
            barrier.wait()
            reports.append(outbox.deliver_due())
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert sum(r.sent for r in reports) == 40
    assert all(r.sent > 0 for r in reports), "both workers should have taken a share"
    assert {r.status for r in _rows()} == {OutboxStatus.SENT}
