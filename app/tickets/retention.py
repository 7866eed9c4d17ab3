"""Anonymising cases (retention and erasure, app/privacy): the tickets domain's own part.

What the statistics need stays: times, municipality, queue, category, business system, priority, channel,
status, who on the staff worked it. What names or describes the person goes: subject, message
text, attachment files and names, free-text history notes, and the requester (pointed at one
placeholder user). Files are deleted after commit when no other attachment has the same hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.db import atomic, on_commit, utcnow
from app.extensions import db
from app.tickets import storage
from app.tickets.models import (
    AccessLogEntry,
    Attachment,
    EventKind,
    Message,
    Status,
    Ticket,
    TicketEvent,
)

ANONYMISED_TEXT = "[anonymisert]"
# History rows whose before/after hold a person's address or a file name rather than a state.
_PERSONAL_EVENT_KINDS = (EventKind.CLAIMED, EventKind.ASSIGNED, EventKind.ATTACHMENT_ADDED,
                         EventKind.BOUNCED)


def due_for_retention(
    *, now: datetime, default_days: int, days_by_category: dict[str, int]
) -> Sequence[tuple[int, str]]:
    """(id, ref) of closed, not yet anonymised cases whose retention after closing has passed."""
    special = {c: d for c, d in days_by_category.items() if c}
    conditions = [
        sa.and_(Ticket.category == category, Ticket.closed_at < now - timedelta(days=days))
        for category, days in special.items()
    ]
    default = Ticket.closed_at < now - timedelta(days=default_days)
    if special:
        default = sa.and_(
            sa.or_(Ticket.category.is_(None), Ticket.category.notin_(list(special))), default
        )
    conditions.append(default)
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.ref)
        .where(Ticket.status == Status.CLOSED, Ticket.anonymised_at.is_(None),
               Ticket.closed_at.is_not(None), sa.or_(*conditions))
        .order_by(Ticket.id)
    ).all()
    return [(int(i), str(r)) for i, r in rows]


def ticket_ids_of_requester(user_id: int) -> Sequence[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.ref).where(Ticket.requester_id == user_id).order_by(Ticket.id)
    ).all()
    return [(int(i), str(r)) for i, r in rows]


def has_open_tickets(user_id: int) -> bool:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Ticket)
        .where(Ticket.requester_id == user_id, Ticket.anonymised_at.is_(None))
    ) != 0


def requester_access_log(user_id: int, *, before_id: int | None = None,
                         limit: int = 50) -> Sequence[AccessLogEntry]:
    """Who among the staff opened ``user_id``'s cases, newest first (their own page)."""
    stmt = (
        sa.select(AccessLogEntry).join(Ticket, Ticket.id == AccessLogEntry.ticket_id)
        .where(Ticket.requester_id == user_id)
    )
    if before_id:
        stmt = stmt.where(AccessLogEntry.id < before_id)
    return db.session.scalars(stmt.order_by(AccessLogEntry.id.desc()).limit(limit)).all()


def export_tickets(user_id: int) -> tuple[list[dict[str, object]], list[tuple[str, str]]]:
    """What the person can read of their own cases (no internal notes), and their files as
    (sha256, name in the archive)."""
    cases: list[dict[str, object]] = []
    files: list[tuple[str, str]] = []
    tickets = db.session.scalars(
        sa.select(Ticket).where(Ticket.requester_id == user_id).order_by(Ticket.id)
    ).all()
    for ticket in tickets:
        messages = db.session.scalars(
            sa.select(Message).where(Message.ticket_id == ticket.id, Message.internal.is_(False))
            .order_by(Message.id)
        ).all()
        attachments = db.session.scalars(
            sa.select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
        ).all()
        internal_ids = {m.id for m in db.session.scalars(
            sa.select(Message).where(Message.ticket_id == ticket.id, Message.internal.is_(True)))}
        visible = [a for a in attachments if a.message_id not in internal_ids]
        for a in visible:
            files.append((a.sha256, f"files/{ticket.ref}/{a.id}-{a.filename}"))
        cases.append({
            "ref": ticket.ref, "subject": ticket.subject, "status": ticket.status.value,
            "category": ticket.category, "system": ticket.system, "channel": ticket.channel.value,
            "created_at": ticket.created_at.isoformat(),
            "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
            "messages": [{"at": m.created_at.isoformat(),
                          "from": m.author.display_name if m.author else None, "text": m.body}
                         for m in messages],
            "attachments": [{"name": a.filename, "file": f"files/{ticket.ref}/{a.id}-{a.filename}",
                             "size": a.size} for a in visible],
        })
    return cases, files


@atomic
def anonymise_ticket(ticket_id: int, *, actor: User, placeholder: User) -> Ticket:
    """Strip a case of what names or describes its requester (see the module's docstring)."""
    db.session.execute(sa.select(Ticket.id).where(Ticket.id == ticket_id).with_for_update())
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket is not None
    requester_id = ticket.requester_id
    ticket.subject = ANONYMISED_TEXT
    ticket.requester_id = placeholder.id
    if ticket.created_by_id == requester_id:
        ticket.created_by_id = placeholder.id
    db.session.execute(
        sa.update(Message).where(Message.ticket_id == ticket.id)
        .values(body=ANONYMISED_TEXT, email_message_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Message).where(Message.ticket_id == ticket.id, Message.author_id == requester_id)
        .values(author_id=placeholder.id).execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(TicketEvent).where(TicketEvent.ticket_id == ticket.id).values(note=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(_PERSONAL_EVENT_KINDS))
        .values(before=None, after=None).execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.actor_id == requester_id)
        .values(actor_id=placeholder.id).execution_options(synchronize_session=False)
    )
    hashes = set(db.session.scalars(
        sa.select(Attachment.sha256).where(Attachment.ticket_id == ticket.id)
    ))
    db.session.execute(sa.delete(Attachment).where(Attachment.ticket_id == ticket.id))
    ticket.anonymised_at = utcnow()
    db.session.add(TicketEvent(ticket_id=ticket.id, actor_id=actor.id, kind=EventKind.ANONYMISED))
    if hashes:
        on_commit(lambda: _delete_unreferenced_files(hashes))
    return ticket


def _delete_unreferenced_files(hashes: set[str]) -> None:
    still_used = set(db.session.scalars(
        sa.select(Attachment.sha256).where(Attachment.sha256.in_(list(hashes)))
    ))
    for digest in hashes - still_used:
        storage.path_for(digest).unlink(missing_ok=True)
