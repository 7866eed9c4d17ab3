"""Demo data for sign-in and personal data: a case a first-line agent has opened (so that
ansatt@gran.kommune.example sees it on /min-side) and a closed case under legal hold (so that
`privacy anonymise --dry-run` shows a skipped case). Idempotent, through the services."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import queries as accounts_queries
from app.extensions import db
from app.privacy import services as privacy
from app.tickets import services as tickets
from app.tickets.models import AccessLogEntry, Status, Ticket


def load() -> None:
    employee = accounts_queries.user_by_email("ansatt@gran.kommune.example")
    agent = accounts_queries.user_by_email("forstelinje@gran.kommune.example")
    if employee is None or agent is None:
        return
    first = db.session.scalars(
        sa.select(Ticket).where(Ticket.requester_id == employee.id).order_by(Ticket.id)
    ).first()
    if first is not None and db.session.scalar(
        sa.select(sa.func.count()).select_from(AccessLogEntry).where(AccessLogEntry.ticket_id == first.id)
    ) == 0:
        tickets.open_ticket(first.ref, actor=agent)
    closed = db.session.scalars(
        sa.select(Ticket).where(Ticket.status == Status.CLOSED).order_by(Ticket.id)
    ).first()
    if closed is not None and privacy.hold_of(closed.id) is None:
        privacy.place_hold(closed.ref, "Demo: klagesak til behandling", actor=privacy.system_actor())
