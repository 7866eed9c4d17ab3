"""Writing to the outbox. Nothing is sent here: `flask outbox run` delivers after commit."""

from __future__ import annotations

import secrets
from email.utils import make_msgid

from flask import current_app

from app.extensions import db
from app.outbox.models import OutboxChannel, OutboxMessage


def new_message_id() -> str:
    domain = current_app.config["SAMDESK_MAIL_DOMAIN"]
    return make_msgid(idstring=secrets.token_hex(4), domain=domain)


def enqueue_email(
    *, to: str, subject: str, text: str, html: str | None = None,
    headers: dict[str, str] | None = None, ticket_id: int | None = None,
    message_id: str | None = None,
) -> OutboxMessage:
    """Add a mail to the outbox in the caller's transaction."""
    row = OutboxMessage(
        channel=OutboxChannel.EMAIL,
        recipient=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=dict(headers or {}),
        ticket_id=ticket_id,
        message_id=message_id or new_message_id(),
    )
    db.session.add(row)
    return row


def enqueue_sms(*, to: str, text: str, ticket_id: int | None = None) -> OutboxMessage:
    row = OutboxMessage(
        channel=OutboxChannel.SMS, recipient=to, subject="", body_text=text, ticket_id=ticket_id
    )
    db.session.add(row)
    return row
