"""Forgetting outbound messages about a case or to a person (app/privacy)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.extensions import db
from app.outbox.models import OutboxMessage


def delete_for_ticket(ticket_id: int) -> int:
    """Delete every mail and SMS about ``ticket_id`` (sent or not), in the caller's transaction."""
    result = db.session.execute(
        sa.delete(OutboxMessage).where(OutboxMessage.ticket_id == ticket_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_for_recipients(addresses: Iterable[str]) -> int:
    """Delete every message to one of ``addresses`` (email addresses, phone numbers)."""
    wanted = sorted({a.strip().lower() for a in addresses if a})
    if not wanted:
        return 0
    result = db.session.execute(
        sa.delete(OutboxMessage).where(sa.func.lower(OutboxMessage.recipient).in_(wanted))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
