"""Notifications about tickets, composed in the recipient's language and written to the outbox.

Each recipient is reached by one channel (``channel_for``): email as a rule, SMS for a requester
whose case came by SMS or who has a phone number but no email address. Every notification has a
mail form (``<name>.subject.txt`` and ``<name>.txt``) and a short SMS form (``<name>.sms.txt``)
in tickets/mail/.

Every mail carries the reference in its subject and its own Message-ID, and automatic mails carry
``Auto-Submitted: auto-generated`` so that other systems do not answer them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from app.accounts.models import User
from app.extensions import db
from app.outbox import services as outbox
from app.outbox.models import OutboxChannel
from app.tickets.models import Channel, Message, Ticket

# Three concatenated SMS segments of GSM 7-bit text (which has æøå); longer texts are cut with
# "..." (the one-character ellipsis is not GSM 7-bit and would make the whole SMS UCS-2).
SMS_MAX_CHARS = 459


def _has_email(user: User) -> bool:
    return "@" in user.email and not user.email.endswith(".invalid")


def channel_for(user: User | None, ticket: Ticket | None = None) -> OutboxChannel | None:
    """How ``user`` is reached about ``ticket``, or None when they cannot be (or are the system).

    A requester whose case came by SMS, or on which an agent sent an SMS (a public message with
    channel SMS: telephony's "send SMS"), gets SMS while they have a phone number; otherwise
    email, and SMS for someone with a phone number and no usable email address."""
    if user is None or not user.is_active or user.is_system:
        return None
    has_phone = bool(user.phone)
    is_requester = ticket is not None and ticket.requester_id == user.id
    if is_requester and ticket is not None and has_phone and is_sms_case(ticket):
        return OutboxChannel.SMS
    if _has_email(user):
        return OutboxChannel.EMAIL
    if has_phone:
        return OutboxChannel.SMS
    return None


def is_sms_case(ticket: Ticket) -> bool:
    if ticket.channel is Channel.SMS:
        return True
    if ticket.id is None:
        return False
    return db.session.scalar(
        sa.select(Message.id).where(
            Message.ticket_id == ticket.id, Message.channel == Channel.SMS, Message.internal.is_(False)
        ).limit(1)
    ) is not None


def _thread_headers(ticket: Ticket, reply_to_message_id: str | None) -> dict[str, str]:
    headers = {
        "Auto-Submitted": "auto-generated",
        # Outlook and Exchange: no out-of-office answers to our notifications.
        "X-Auto-Response-Suppress": "All",
        "X-Samdesk-Ticket": ticket.ref,
    }
    # Every mail about a case refers to one thread root, so mail clients keep them together and
    # an answer to any of them threads back even without the reference in the subject.
    references = [thread_root(ticket)]
    if reply_to_message_id:
        headers["In-Reply-To"] = reply_to_message_id
        references.insert(0, reply_to_message_id)
    headers["References"] = " ".join(references)
    return headers


def thread_root(ticket: Ticket) -> str:
    """The Message-ID that stands for the case's thread (never sent as a mail of its own)."""
    return f"<{ticket.ref.lower()}.sak@{current_app.config['SAMDESK_MAIL_DOMAIN']}>"


def short_text(text: str, limit: int = SMS_MAX_CHARS) -> str:
    """Lines stripped, blank lines dropped, and at most ``limit`` characters."""
    lines = [line.strip() for line in text.splitlines()]
    joined = "\n".join(line for line in lines if line)
    return joined if len(joined) <= limit else joined[: limit - 3].rstrip() + "..."


def _send(
    user: User, ticket: Ticket, channel: OutboxChannel, template: str, *,
    reply_to_message_id: str | None = None, auto: bool = True, **context: object,
) -> None:
    """``channel`` is channel_for(user, ticket), asked once by the caller before it gathers
    what the message says."""
    if channel is OutboxChannel.SMS:
        _send_sms(user, ticket, template, **context)
        return
    with force_locale(user.locale or "nb"):
        subject = render_template(f"tickets/mail/{template}.subject.txt", ticket=ticket, **context)
        text = render_template(
            f"tickets/mail/{template}.txt",
            ticket=ticket,
            recipient=user,
            url=f"{current_app.config['SAMDESK_BASE_URL']}/saker/{ticket.ref}",
            **context,
        )
    headers = _thread_headers(ticket, reply_to_message_id)
    if not auto:
        headers.pop("Auto-Submitted")
        headers.pop("X-Auto-Response-Suppress")
    outbox.enqueue_email(
        to=user.email,
        subject=f"[{ticket.ref}] {' '.join(subject.split())}",
        text=text,
        headers=headers,
        ticket_id=ticket.id,
    )


def _send_sms(user: User, ticket: Ticket, template: str, **context: object) -> None:
    with force_locale(user.locale or "nb"):
        text = render_template(
            f"tickets/mail/{template}.sms.txt",
            ticket=ticket,
            recipient=user,
            url=f"{current_app.config['SAMDESK_BASE_URL']}/saker/{ticket.ref}",
            **context,
        )
    outbox.enqueue_sms(to=user.phone or "", text=short_text(text), ticket_id=ticket.id)


def ticket_received(ticket: Ticket, first_message: Message) -> None:
    if channel := channel_for(ticket.requester, ticket):
        _send(
            ticket.requester, ticket, channel, "received",
            reply_to_message_id=first_message.email_message_id, message=first_message,
            articles=_articles_for(ticket),
        )


def _articles_for(ticket: Ticket) -> list[tuple[str, str]]:
    """Up to three help articles that may answer a case that came by email (title, link)."""
    from app.knowledge import queries as knowledge
    from app.tickets.models import Channel

    if ticket.channel is not Channel.EMAIL:
        return []
    base = current_app.config["SAMDESK_BASE_URL"]
    return [(a.title, f"{base}/brukerhjelp/{a.id}")
            for a in knowledge.suggestions(ticket.subject, ticket.requester, limit=3)]


def public_reply(ticket: Ticket, message: Message) -> None:
    """An agent answered: the requester gets the answer by mail (a person wrote it: not auto)."""
    if message.author_id != ticket.requester_id and (channel := channel_for(ticket.requester, ticket)):
        _send(ticket.requester, ticket, channel, "reply", message=message, auto=False)


def requester_replied(ticket: Ticket, message: Message) -> None:
    if ticket.assignee is not None and (channel := channel_for(ticket.assignee, ticket)):
        _send(ticket.assignee, ticket, channel, "requester_replied", message=message)


def status_changed(ticket: Ticket, before: str) -> None:
    if channel := channel_for(ticket.requester, ticket):
        _send(ticket.requester, ticket, channel, "status", before=before)


def unknown_sender_refused(address: str, *, subject: str, in_reply_to: str | None) -> None:
    """A polite automatic answer to a sender we do not serve (SAMDESK_MAIL_UNKNOWN_SENDER=refuse).
    The language is unknown, so the text is in Norwegian and English."""
    parts = []
    for locale in ("nb", "en"):
        with force_locale(locale):
            parts.append(render_template("tickets/mail/refused.txt", subject=subject, address=address))
    with force_locale("nb"):
        title = render_template("tickets/mail/refused.subject.txt", subject=subject)
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    outbox.enqueue_email(
        to=address, subject=" ".join(title.split())[:998], text="\n\n---\n\n".join(parts),
        headers=headers,
    )
