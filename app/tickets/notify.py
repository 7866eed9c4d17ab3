"""Notifications about tickets, composed in the recipient's language and written to the outbox.

Every mail carries the reference in its subject and its own Message-ID, and automatic mails carry
``Auto-Submitted: auto-generated`` so that other systems do not answer them.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale

from app.accounts.models import User
from app.outbox import services as outbox
from app.tickets.models import Message, Ticket


def _deliverable(user: User | None) -> bool:
    return (
        user is not None
        and user.is_active
        and not user.is_system
        and "@" in user.email
        and not user.email.endswith(".invalid")
    )


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


def _send(
    user: User, ticket: Ticket, template: str, *, reply_to_message_id: str | None = None,
    auto: bool = True, **context: object,
) -> None:
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


def ticket_received(ticket: Ticket, first_message: Message) -> None:
    if _deliverable(ticket.requester):
        _send(
            ticket.requester, ticket, "received",
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
    if _deliverable(ticket.requester) and message.author_id != ticket.requester_id:
        _send(ticket.requester, ticket, "reply", message=message, auto=False)


def requester_replied(ticket: Ticket, message: Message) -> None:
    if ticket.assignee is not None and _deliverable(ticket.assignee):
        _send(ticket.assignee, ticket, "requester_replied", message=message)


def status_changed(ticket: Ticket, before: str) -> None:
    if _deliverable(ticket.requester):
        _send(ticket.requester, ticket, "status", before=before)


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
