"""Mail intake rules through `mail ingest`: who the sender is, where the mail lands, threading,
trimming, duplicates, the quarantine, noise that never makes a case, and the rate limit."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.mail.models import QuarantinedMail, QuarantineStatus
from app.outbox.models import OutboxMessage
from app.tickets import services
from app.tickets.models import Attachment, Channel, EventKind, Message, Status, Ticket, TicketEvent
from tests.factories import make_ticket
from tests.mail.conftest import mail


def _count(model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _ticket(ref: str) -> Ticket:
    return db.session.scalars(sa.select(Ticket).where(Ticket.ref == ref)).one()


def _messages(ticket: Ticket) -> list[Message]:
    return list(db.session.scalars(sa.select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)))


def _outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


# --- sender to user -------------------------------------------------------------------------


def test_known_employee_mail_becomes_a_case_in_their_first_line_and_prints_the_reference(world, ingest) -> None:
    result = ingest(mail(subject="PC-en starter ikke"))

    assert result.exit_code == 0
    ticket = _ticket(result.last_line)
    assert ticket.ref.startswith("GRA-")
    assert ticket.requester_id == world.employee.id
    assert ticket.queue.slug == "gran-forstelinje"
    assert ticket.channel is Channel.EMAIL
    assert ticket.subject == "PC-en starter ikke"
    assert "piper tre ganger" in _messages(ticket)[0].body
    (receipt,) = _outbox()
    assert receipt.recipient == "ansatt@gran.kommune.example"
    assert f"[{ticket.ref}]" in receipt.subject


def test_unknown_sender_from_a_municipality_domain_becomes_an_employee_contact(world, ingest) -> None:
    result = ingest(mail(sender="Nils Ny <nils.ny@lunner.kommune.example>"))

    ticket = _ticket(result.last_line)
    assert ticket.ref.startswith("LUN-")
    assert ticket.requester.email == "nils.ny@lunner.kommune.example"
    assert ticket.requester.name == "Nils Ny"
    assert ticket.requester.municipality.code == "LUN"
    assert ticket.queue.slug == "lunner-forstelinje"


def test_unknown_domain_goes_to_the_triage_queue_by_default(world, ingest) -> None:
    result = ingest(mail(sender="leverandor@firma.example"))

    ticket = _ticket(result.last_line)
    assert ticket.queue.slug == "mottak"
    assert ticket.municipality_id is None
    assert ticket.requester.email == "leverandor@firma.example"


def test_unknown_domain_is_refused_politely_when_configured(app, world, ingest) -> None:
    app.config["SAMDESK_MAIL_UNKNOWN_SENDER"] = "refuse"
    try:
        first = ingest(mail(sender="fremmed@firma.example", subject="Hei"))
        second = ingest(mail(sender="fremmed@firma.example", subject="Hei igjen"))
    finally:
        app.config["SAMDESK_MAIL_UNKNOWN_SENDER"] = "triage"

    assert first.exit_code == 0 and second.exit_code == 0
    assert _count(Ticket) == 0
    (answer,) = _outbox()  # one answer a day per address, so two mails cannot start a loop
    assert answer.recipient == "fremmed@firma.example"
    assert answer.headers["Auto-Submitted"] == "auto-replied"
    assert "ikke registrert" in answer.body_text
    assert "has not been registered" in answer.body_text


def test_mail_without_any_sender_address_still_becomes_a_triage_case(world, ingest) -> None:
    raw = b"Subject: Hjelp\r\nMessage-ID: <x1@nowhere.example>\r\n\r\nSkjermen er svart.\r\n"

    result = ingest(raw)

    ticket = _ticket(result.last_line)
    assert ticket.queue.slug == "mottak"
    assert "Skjermen er svart." in _messages(ticket)[0].body


# --- threading -------------------------------------------------------------------------------


def test_reply_with_the_reference_in_the_subject_lands_on_the_case_trimmed(world, ingest) -> None:
    ticket = make_ticket(world.employee)
    body = (
        "Nå virker det, takk!\n\nMed vennlig hilsen\nAnne\n\n"
        "Fra: IT-brukerstøtte <hjelp@samdesk.example>\nSendt: tirsdag 3. mars 2026 10:15\n"
        "Til: Anne Ansatt\nEmne: Nytt svar\n\nPrøv å starte PC-en på nytt."
    )

    result = ingest(mail(subject=f"SV: [{ticket.ref}] Nytt svar", body=body))

    assert result.last_line == ticket.ref
    assert _count(Ticket) == 1
    latest = _messages(ticket)[-1]
    assert latest.body == "Nå virker det, takk!"
    assert latest.author_id == world.employee.id
    assert latest.channel is Channel.EMAIL


def test_reply_to_our_notification_threads_by_in_reply_to_without_a_reference(world, ingest) -> None:
    ticket = make_ticket(world.employee)
    (receipt,) = _outbox()

    result = ingest(
        mail(subject="Re: Takk", body="Her er skjermbildet.", headers={"In-Reply-To": receipt.message_id})
    )

    assert result.last_line == ticket.ref
    assert _messages(ticket)[-1].body == "Her er skjermbildet."


def test_answer_to_any_notification_threads_by_the_cases_thread_root(world, ingest) -> None:
    ticket = make_ticket(world.employee)
    root = _outbox()[0].headers["References"]

    result = ingest(mail(subject="Re: svar", body="Fortsatt feil.", headers={"References": f"<x@elsewhere.example> {root}"}))

    assert result.last_line == ticket.ref


def test_our_own_mail_coming_back_makes_no_case_and_no_answer(world, ingest) -> None:
    result = ingest(mail(sender="Samdesk <samdesk@samdesk.example>", subject="Nytt svar på saken din"))

    assert result.exit_code == 0 and result.stdout.strip() == ""
    assert _count(Ticket) == 0 and _count(OutboxMessage) == 0


def test_follow_up_to_a_received_mail_threads_by_references(world, ingest) -> None:
    first = mail(subject="Skriveren", body="Skriveren virker ikke.")
    ref = ingest(first).last_line

    result = ingest(
        mail(subject="Glemte å si", body="Det gjelder 2. etasje.", headers={"References": first["Message-ID"]})
    )

    assert result.last_line == ref
    assert [m.body for m in _messages(_ticket(ref))] == ["Skriveren virker ikke.", "Det gjelder 2. etasje."]


def test_reply_from_someone_who_may_not_see_the_case_starts_a_new_case(world, ingest) -> None:
    ticket = make_ticket(world.employee)

    result = ingest(
        mail(sender="ansatt@lunner.kommune.example", subject=f"Re: [{ticket.ref}] Skriveren", body="Jeg også!")
    )

    assert result.last_line != ticket.ref
    other = _ticket(result.last_line)
    assert other.requester.email == "ansatt@lunner.kommune.example"
    assert len(_messages(ticket)) == 1


def test_reply_to_a_closed_case_starts_a_new_case(world, ingest) -> None:
    ticket = make_ticket(world.employee)
    services.set_status(ticket.ref, "closed", actor=world.agent)

    result = ingest(mail(subject=f"Re: [{ticket.ref}] Skriveren", body="Den er i stykker igjen."))

    assert result.last_line != ticket.ref
    assert _ticket(result.last_line).status is Status.NEW


def test_agent_answering_by_mail_is_a_public_reply_that_the_requester_is_told_about(world, ingest) -> None:
    ticket = make_ticket(world.employee)

    ingest(mail(sender=world.agent.email, subject=f"[{ticket.ref}] Skriveren", body="Bytt tonerkassett."))

    assert _messages(ticket)[-1].author_id == world.agent.id
    assert _ticket(ticket.ref).first_response_at is not None
    assert _outbox()[-1].recipient == world.employee.email
    assert "Bytt tonerkassett." in _outbox()[-1].body_text


# --- duplicates -----------------------------------------------------------------------------


def test_same_message_id_delivered_twice_changes_nothing_and_prints_the_same_reference(world, ingest) -> None:
    message = mail()
    first = ingest(message)
    before = (_count(Ticket), _count(Message), _count(OutboxMessage), _count(TicketEvent))
    message.replace_header("Received", "from mx2") if "Received" in message else message.add_header("Received", "from mx2")

    second = ingest(message)

    assert second.exit_code == 0
    assert second.last_line == first.last_line
    assert (_count(Ticket), _count(Message), _count(OutboxMessage), _count(TicketEvent)) == before


def test_same_bytes_without_a_message_id_delivered_twice_makes_one_case(world, ingest) -> None:
    raw = mail(message_id=None).as_bytes()

    first = ingest(raw)
    second = ingest(raw)

    assert first.last_line == second.last_line
    assert _count(Ticket) == 1


# --- quarantine -----------------------------------------------------------------------------


def test_unparseable_mail_is_quarantined_with_its_raw_bytes_and_exit_65(world, ingest) -> None:
    raw = b"\x00\x01\x02 this is not a mail \xff\xfe"

    result = ingest(raw)

    assert result.exit_code == 65
    held = db.session.get(QuarantinedMail, int(result.last_line))
    assert held.raw == raw
    assert held.status is QuarantineStatus.HELD
    assert _count(Ticket) == 0
    again = ingest(raw)
    assert again.exit_code == 65 and again.last_line == result.last_line


def test_quarantine_list_retry_and_discard_on_the_command_line(world, ingest, runner, app) -> None:
    app.config["SAMDESK_MAIL_RATE_LIMIT"] = 1
    try:
        ingest(mail(subject="Første"))
        held = ingest(mail(subject="Andre"))
        dropped = ingest(mail(subject="Tredje"))
    finally:
        app.config.pop("SAMDESK_MAIL_RATE_LIMIT")
    assert held.exit_code == 65 and dropped.exit_code == 65

    listing = runner.invoke(args=["mail", "quarantine", "list"])
    assert "Andre" in listing.output and "rate limit" in listing.output

    retried = runner.invoke(args=["mail", "quarantine", "retry", held.last_line])
    assert retried.exit_code == 0
    assert _ticket(retried.stdout.strip().splitlines()[-1]).subject == "Andre"
    discarded = runner.invoke(args=["mail", "quarantine", "discard", dropped.last_line])
    assert discarded.exit_code == 0
    statuses = {q.subject: q.status for q in db.session.scalars(sa.select(QuarantinedMail))}
    assert statuses == {"Andre": QuarantineStatus.RELEASED, "Tredje": QuarantineStatus.DISCARDED}
    assert _count(Ticket) == 2
    assert runner.invoke(args=["mail", "quarantine", "list"]).output.strip() == ""


def test_rate_limit_holds_a_mail_storm_from_one_sender(app, world, ingest) -> None:
    app.config["SAMDESK_MAIL_RATE_LIMIT"] = 3
    try:
        results = [ingest(mail(subject=f"Hjelp {n}")) for n in range(5)]
        with time_machine.travel("2099-01-01", tick=False):
            later = ingest(mail(subject="Senere"))
    finally:
        app.config.pop("SAMDESK_MAIL_RATE_LIMIT")

    assert [r.exit_code for r in results] == [0, 0, 0, 65, 65]
    assert later.exit_code == 0
    assert _count(Ticket) == 4
    assert _count(QuarantinedMail) == 2


# --- noise ----------------------------------------------------------------------------------


def test_auto_reply_makes_no_case_and_gets_no_answer(world, ingest) -> None:
    ticket = make_ticket(world.employee)
    outbox_before = _count(OutboxMessage)

    result = ingest(
        mail(subject=f"Fraværsmelding: [{ticket.ref}] Skriveren", body="Jeg er på ferie.",
             headers={"Auto-Submitted": "auto-replied"})
    )

    assert result.exit_code == 0
    assert result.stdout.strip() == ""
    assert len(_messages(ticket)) == 1
    assert _count(OutboxMessage) == outbox_before


def test_bounce_of_our_notification_is_recorded_on_its_case(world, ingest) -> None:
    ticket = make_ticket(world.employee)
    (receipt,) = _outbox()
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.gran.kommune.example>\r\n"
        "To: samdesk@samdesk.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce1@mx.gran.kommune.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.gran.kommune.example\r\n\r\n"
        "Final-Recipient: rfc822; ansatt@gran.kommune.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {receipt.message_id}\r\nSubject: {receipt.subject}\r\n"
        "--B--\r\n"
    ).encode()

    result = ingest(raw)

    assert result.exit_code == 0
    assert result.stdout.strip() == ""
    assert _count(Ticket) == 1
    event = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == EventKind.BOUNCED)).one()
    assert event.ticket_id == ticket.id
    assert event.after == "ansatt@gran.kommune.example"
    assert "550" in (event.note or "") or "5.1.1" in (event.note or "")
    assert db.session.get(OutboxMessage, receipt.id).bounced_at is not None
    assert _count(OutboxMessage) == 1  # no answer to a bounce


# --- content -------------------------------------------------------------------------------


def test_attachments_with_norwegian_names_appear_on_their_message_in_the_api(world, ingest, api) -> None:
    message = mail(subject="Skjermbilde")
    message.add_attachment(b"%PDF-1.4 rapport", maintype="application", subtype="pdf", filename="Årsrapport for Løten.pdf")

    ref = ingest(message).last_line
    body = api.as_(world.employee).get(f"/api/v1/tickets/{ref}").get_json()

    (first,) = body["messages"]
    assert [(a["filename"], a["size"], a["content_type"]) for a in first["attachments"]] == [
        ("Årsrapport for Løten.pdf", 16, "application/pdf")
    ]


def test_attachment_over_the_size_limit_is_left_out_with_a_note_and_the_mail_is_kept(app, world, ingest) -> None:
    app.config["SAMDESK_MAX_ATTACHMENT_BYTES"] = 1024
    try:
        message = mail(subject="Stor fil")
        message.add_attachment(b"x" * 5000, maintype="application", subtype="octet-stream", filename="stor.bin")
        message.add_attachment(b"liten", maintype="text", subtype="plain", filename="liten.txt")
        ref = ingest(message).last_line
    finally:
        app.config["SAMDESK_MAX_ATTACHMENT_BYTES"] = 20 * 1024 * 1024

    ticket = _ticket(ref)
    assert "stor.bin" in _messages(ticket)[0].body
    assert "ble ikke tatt vare på" in _messages(ticket)[0].body
    assert [a.filename for a in db.session.scalars(sa.select(Attachment))] == ["liten.txt"]


def test_html_only_mail_becomes_readable_text(world, ingest) -> None:
    message = mail(subject="HTML")
    message.set_content(
        "<html><body><p>Hei,</p><p>Skriveren på <b>Jaren skole</b> er tom for toner.</p>"
        "<script>alert(1)</script></body></html>", subtype="html",
    )

    ref = ingest(message).last_line

    body = _messages(_ticket(ref))[0].body
    assert "Skriveren på Jaren skole er tom for toner." in body
    assert "<" not in body and "alert" not in body


def test_latin1_mail_with_encoded_subject_keeps_its_norwegian_letters(world, ingest) -> None:
    raw = (
        b"From: ansatt@gran.kommune.example\r\nSubject: =?iso-8859-1?q?F=E5r_ikke_logget_p=E5?=\r\n"
        b"Message-ID: <l1@gran.kommune.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ) + "Hjelp, jeg får ikke logget på Visma. Æ, ø og å.\r\n".encode("latin-1")

    ref = ingest(raw).last_line

    ticket = _ticket(ref)
    assert ticket.subject == "Får ikke logget på"
    assert "Æ, ø og å." in _messages(ticket)[0].body


def test_empty_standard_input_exits_66(runner) -> None:
    result = runner.invoke(args=["mail", "ingest"], input=b"")
    assert result.exit_code == 66


def test_database_unavailable_exits_75_so_the_mail_server_tries_again(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.outbox.conftest import free_port

    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://nobody:x@127.0.0.1:{free_port()}/none",
        "SAMDESK_INSTANCE_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "ingest"],
        input=mail().as_bytes(), capture_output=True, env=env, timeout=120, check=False,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert result.returncode == 75, result.stderr.decode()[-2000:]
    assert b"try again later" in result.stderr
    assert result.stdout == b""


@pytest.mark.postgres_only
def test_the_same_mail_delivered_twice_at_once_makes_one_case(app, world) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race needs PostgreSQL")
    from app.mail import services as intake

    raw = mail(subject="Samtidig").as_bytes()
    barrier = threading.Barrier(2)
    refs: list[str | None] = []

    def deliver() -> None:
        with app.app_context():
            barrier.wait()
            refs.append(intake.ingest(raw).ref)
            db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(refs) == 2 and refs[0] == refs[1] and refs[0]
    assert _count(Ticket) == 1


@pytest.mark.postgres_only
def test_two_mails_from_a_new_sender_at_once_make_two_cases_and_one_contact(app, world) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a race needs PostgreSQL")
    from app.accounts.models import User
    from app.mail import services as intake

    raws = [mail(sender="ny.ansatt@gran.kommune.example", subject=f"Sak {n}").as_bytes() for n in range(2)]
    barrier = threading.Barrier(2)
    refs: list[str | None] = []

    def deliver(raw: bytes) -> None:
        with app.app_context():
            barrier.wait()
            refs.append(intake.ingest(raw).ref)
            db.session.remove()

    threads = [threading.Thread(target=deliver, args=(raw,)) for raw in raws]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(refs)) == 2 and all(refs)
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.email == "ny.ansatt@gran.kommune.example")
    ) == 1


def test_agents_answering_by_mail_are_not_rate_limited(app, world, ingest) -> None:
    tickets = [make_ticket(world.employee, subject=f"Sak {n}") for n in range(3)]
    app.config["SAMDESK_MAIL_RATE_LIMIT"] = 1
    try:
        results = [
            ingest(mail(sender=world.agent.email, subject=f"[{t.ref}] Svar", body="Løst.")) for t in tickets
        ]
    finally:
        app.config.pop("SAMDESK_MAIL_RATE_LIMIT")

    assert [r.last_line for r in results] == [t.ref for t in tickets]


def test_images_shown_in_the_text_are_kept_as_inline_attachments(world, ingest) -> None:
    message = mail(subject="Feilmelding på skjermen", body="Se bildet: [skjermbilde]")
    message.add_alternative("<p>Se bildet: <img src='cid:skjerm@x'></p>", subtype="html")
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6a35b0000000049454e44ae426082")
    message.get_payload()[1].add_related(png, "image", "png", cid="<skjerm@x>", filename="skjerm.png")
    message.add_attachment(b"%PDF-1.4\n%test\n", maintype="application", subtype="pdf", filename="logg.pdf")

    result = ingest(message)

    ticket = _ticket(result.last_line)
    files = db.session.scalars(sa.select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert {(a.filename, a.inline) for a in files} == {("skjerm.png", True), ("logg.pdf", False)}
