"""Forgetting inbound mail about a case or from a person (app/privacy): received mails keep only
what deduplication needs (Message-ID and hash); quarantined mails are deleted outright."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.mail.models import InboundMail, QuarantinedMail


def forget_for_ticket(ticket_id: int, ref: str) -> int:
    db.session.execute(
        sa.update(InboundMail).where(InboundMail.ticket_id == ticket_id)
        .values(sender="", subject="").execution_options(synchronize_session=False)
    )
    result = db.session.execute(
        sa.delete(QuarantinedMail).where(QuarantinedMail.ticket_ref == ref)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def forget_sender(address: str) -> int:
    address = address.strip().lower()
    db.session.execute(
        sa.update(InboundMail).where(sa.func.lower(InboundMail.sender) == address)
        .values(sender="", subject="").execution_options(synchronize_session=False)
    )
    result = db.session.execute(
        sa.delete(QuarantinedMail).where(sa.func.lower(QuarantinedMail.sender) == address)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
