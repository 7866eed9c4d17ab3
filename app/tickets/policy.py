"""Who may see and do what with a ticket.

``visible_to(user)`` is the same rule as ``can_see`` written as a SQL filter, so lists and single
lookups agree. A ticket a user may not see is reported exactly like a missing one (404).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role, User
from app.db import utcnow
from app.errors import Forbidden
from app.tickets.models import QueueKind, Ticket


def visible_to(user: User) -> sa.ColumnElement[bool]:
    if user.is_admin:
        return sa.true()
    clauses: list[sa.ColumnElement[bool]] = [Ticket.requester_id == user.id]
    if user.has_role(Role.FIRST_LINE, Role.MANAGER) and user.municipality_id is not None:
        clauses.append(Ticket.municipality_id == user.municipality_id)
    if user.has_role(Role.SECOND_LINE):
        clauses.append(Ticket.was_pooled.is_(True))
    return sa.or_(*clauses)


def staff_access(user: User, ticket: Ticket) -> bool:
    """Sees the ticket as staff (with internal notes), not merely as its requester."""
    if user.is_admin:
        return True
    if (
        user.has_role(Role.FIRST_LINE, Role.MANAGER)
        and user.municipality_id is not None
        and user.municipality_id == ticket.municipality_id
    ):
        return True
    return user.has_role(Role.SECOND_LINE) and ticket.was_pooled


def can_see(user: User, ticket: Ticket) -> bool:
    return ticket.requester_id == user.id or staff_access(user, ticket)


def sees_internal(user: User, ticket: Ticket) -> bool:
    return staff_access(user, ticket)


def can_work(user: User, ticket: Ticket) -> bool:
    """Works the ticket where it is now: claim, reply as agent, status, priority, assign."""
    if user.is_admin:
        return True
    if ticket.queue.kind is QueueKind.FIRST_LINE:
        return (
            user.has_role(Role.FIRST_LINE)
            and user.municipality_id is not None
            and user.municipality_id == ticket.municipality_id
        )
    return user.has_role(Role.SECOND_LINE)


def can_note(user: User, ticket: Ticket) -> bool:
    """Agents who can see a ticket as staff may leave internal notes on it; managers only read."""
    return staff_access(user, ticket) and user.has_role(
        Role.FIRST_LINE, Role.SECOND_LINE, Role.ADMIN
    )


def can_escalate(user: User, ticket: Ticket) -> bool:
    return ticket.queue.kind is QueueKind.FIRST_LINE and can_work(user, ticket)


def can_send_back(user: User, ticket: Ticket) -> bool:
    return ticket.queue.kind is QueueKind.SECOND_LINE and can_work(user, ticket)


def can_be_assigned(user: User, ticket: Ticket) -> bool:
    """Whether ``user`` may be made the assignee of ``ticket`` in its current queue."""
    if not user.is_active or user.is_system:
        return False
    if ticket.queue.kind is QueueKind.FIRST_LINE:
        return user.has_role(Role.FIRST_LINE) and user.municipality_id == ticket.municipality_id
    return user.has_role(Role.SECOND_LINE)


def is_requester(user: User, ticket: Ticket) -> bool:
    return ticket.requester_id == user.id


def can_read_access_log(user: User) -> bool:
    return user.is_admin


def check_access_log_reader(user: User) -> None:
    """The one access-log permission, for every page and route that reads the log."""
    if not can_read_access_log(user):
        raise Forbidden(_l("Only administrators can read the access log."))


def can_choose_channel(user: User) -> bool:
    """Agents (and intake acting as the system user) say how a case came in; employees filing
    their own case get the channel of the page or API they used."""
    return user.is_agent or user.is_system


def reopen_expired(ticket: Ticket, *, now: datetime | None = None) -> bool:
    """A resolved case whose reopen window (SAMDESK_REOPEN_DAYS after it was resolved) has
    passed: its requester can no longer reopen it by replying."""
    until = ticket.reopenable_until(current_app.config["SAMDESK_REOPEN_DAYS"])
    return until is not None and (now or utcnow()) > until
