"""An anonymised case takes with it what telephony kept: the webhook's fields, the waiting text,
the SMS thread."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts.services import system_user
from app.extensions import db
from app.privacy import services as privacy
from app.telephony.models import PendingSms, SmsThread, TwilioWebhook
from app.tickets.models import Ticket
from tests.telephony.conftest import Twilio


def test_anonymising_an_sms_case_forgets_the_webhooks_and_the_waiting_text(twilio: Twilio, hadeland: Any) -> None:
    twilio.sms("+4798765432", "Passordet mitt er Sommer2026, hjelp")
    twilio.sms("+4798765432", "3")
    twilio.sms("+4791234567", "En annen sak")
    ticket = db.session.scalars(sa.select(Ticket).where(Ticket.subject.like("Passordet%"))).one()
    privacy.anonymise_case(ticket.id, actor=system_user())
    db.session.expire_all()
    rows = db.session.scalars(sa.select(TwilioWebhook).where(TwilioWebhook.ticket_id == ticket.id)).all()
    assert len(rows) == 2  # the text that waited, and the answer that made the case
    assert all(r.params == {} and r.answer == "" and r.sender == "" for r in rows)
    pending = db.session.scalars(sa.select(PendingSms)).one()
    assert pending.body == "" and pending.number == ""
    assert db.session.scalars(sa.select(SmsThread.ticket_id)).all() != [] and ticket.id not in \
        db.session.scalars(sa.select(SmsThread.ticket_id)).all()
    other = db.session.scalars(sa.select(TwilioWebhook).where(TwilioWebhook.ticket_id != ticket.id)).one()
    assert other.params["Body"] == "En annen sak"  # another case keeps its own


def test_erasing_a_person_forgets_what_came_from_their_number(twilio: Twilio, hadeland: Any,
                                                               twilio_config: Any) -> None:
    from app.tickets import services as tickets

    tickets.update_queue("gran-forstelinje", is_active=False, actor=system_user())
    twilio.sms("+4791234567", "Kept as failed: no active queue")  # belongs to no case
    tickets.update_queue("gran-forstelinje", is_active=True, actor=system_user())
    twilio.sms("+4791234567", "Skriveren virker ikke")
    twilio.sms("+4798765432", "Noen andre")
    privacy.erase_person(hadeland["employee"].email, actor=hadeland["admin"])
    db.session.expire_all()
    mine = db.session.scalars(sa.select(TwilioWebhook).where(TwilioWebhook.sender == "+4791234567")).all()
    assert mine == []
    bodies = [w.params.get("Body") for w in db.session.scalars(sa.select(TwilioWebhook))]
    assert "Kept as failed: no active queue" not in bodies and "Skriveren virker ikke" not in bodies
    assert "Noen andre" in bodies
    assert db.session.scalars(sa.select(SmsThread.number)).all() == []


def test_the_retention_run_cleans_a_failed_sms_that_never_became_a_case(twilio: Twilio, hadeland: Any) -> None:
    """A failed SMS belongs to no case, so no case's anonymisation takes it: the retention run
    cleans it once it is as old as a case may be kept, and a retry leaves it alone after that.
    What belongs to a case waits for that case."""
    from datetime import timedelta

    from app.audit.models import AuditEntry
    from app.db import utcnow
    from app.telephony import services as telephony
    from app.telephony.models import WebhookStatus
    from app.tickets import services as tickets

    admin = system_user()
    tickets.update_queue("gran-forstelinje", is_active=False, actor=admin)
    twilio.sms("+4791234567", "Kept as failed: no active queue")
    tickets.update_queue("gran-forstelinje", is_active=True, actor=admin)
    twilio.sms("+4791234567", "Skriveren virker ikke")

    assert privacy.run_retention(actor=admin).expired == 0  # both are new
    later = utcnow() + timedelta(days=731)
    assert privacy.run_retention(actor=admin, now=later).expired == 1
    assert privacy.run_retention(actor=admin, now=later).expired == 0  # counted once
    db.session.expire_all()
    failed = db.session.scalars(sa.select(TwilioWebhook).where(TwilioWebhook.ticket_id.is_(None))).one()
    assert (failed.status, failed.params, failed.sender, failed.answer) == (WebhookStatus.EXPIRED, {}, "", "")
    kept = db.session.scalars(sa.select(TwilioWebhook).where(TwilioWebhook.ticket_id.is_not(None))).one()
    assert kept.params["Body"] == "Skriveren virker ikke" and kept.sender == "+4791234567"
    assert telephony.retry_failed(actor=admin) == []
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "privacy.expired")).one()
    assert entry.after["records"] == 1
