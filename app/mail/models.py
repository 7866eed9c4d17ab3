"""Inbound mail: what we received (for redelivery and threading), and what we could not read."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at, enum_column, intpk


class InboundOutcome(enum.StrEnum):
    CREATED = "created"  # a new ticket
    UPDATED = "updated"  # a reply on a ticket
    AUTO_REPLY = "auto_reply"  # ignored, never answered
    BOUNCE = "bounce"  # ignored; recorded on the ticket whose notification bounced
    REFUSED = "refused"  # unknown sender with SAMDESK_MAIL_UNKNOWN_SENDER=refuse


class InboundMail(Base):
    """One received mail, once: redelivery of the same Message-ID (or, without one, the same
    bytes) finds this row and changes nothing."""

    __tablename__ = "inbound_mails"
    __table_args__ = (sa.Index("ix_inbound_mails_sender_created", "sender", "created_at"),)

    id: Mapped[intpk]
    message_id: Mapped[str | None] = mapped_column(sa.String(998), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sender: Mapped[str] = mapped_column(sa.String(320), default="")
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    outcome: Mapped[InboundOutcome] = mapped_column(enum_column(InboundOutcome))
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    ticket_ref: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<InboundMail {self.id} {self.outcome} {self.ticket_ref}>"


class QuarantineStatus(enum.StrEnum):
    HELD = "held"
    RELEASED = "released"  # retried and taken in
    DISCARDED = "discarded"


class QuarantinedMail(Base):
    """A mail intake could not take in, kept byte for byte until an admin retries or discards it."""

    __tablename__ = "quarantined_mails"
    __table_args__ = (sa.Index("ix_quarantined_mails_status", "status", "id"),)

    id: Mapped[intpk]
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int] = mapped_column(sa.Integer)
    sender: Mapped[str] = mapped_column(sa.String(320), default="")
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[QuarantineStatus] = mapped_column(
        enum_column(QuarantineStatus), default=QuarantineStatus.HELD
    )
    ticket_ref: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[created_at]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<QuarantinedMail {self.id} {self.status}>"
