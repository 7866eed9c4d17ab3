"""Outbound messages, written in the same transaction as the change that caused them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, created_at, enum_column, intpk, utcnow


class OutboxChannel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class OutboxStatus(enum.StrEnum):
    """The worker's state: is there still something to do with this row?"""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # gave up after the last retry; an admin can retry it


class DeliveryState(enum.StrEnum):
    """What we know about the message on its way to the recipient (docs/adr/0062).

    ``queued`` until a transport accepted it, then ``sent``; a provider's callback or a bounce
    moves it on to ``delivered``, ``failed`` or ``bounced``. ``failed`` is also set when the
    worker gives up (a dead letter)."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BOUNCED = "bounced"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.Index("ix_outbox_due", "status", "next_attempt_at", "id"),
        # Delivery callbacks find their row by the transport's name and the provider's id.
        sa.Index("ix_outbox_provider", "transport", "provider_id"),
    )

    id: Mapped[intpk]
    channel: Mapped[OutboxChannel] = mapped_column(enum_column(OutboxChannel))
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(998), default="")
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    # Extra headers as JSON (Auto-Submitted, In-Reply-To, References, ...).
    headers: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # Files sent with the mail: [{"filename", "content_type", "data" (base64)}] (calendar invitations).
    attachments: Mapped[list[dict[str, str]] | None] = mapped_column(sa.JSON)
    # The Message-ID this mail goes out with, so that replies thread back to its ticket.
    message_id: Mapped[str | None] = mapped_column(sa.String(998), index=True)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[created_at]
    sent_at: Mapped[datetime | None]
    # Set when a delivery status notification for this mail came back (see app/mail).
    bounced_at: Mapped[datetime | None]
    # Which registered transport sent it ("smtp", "log", "twilio", ...) and the id the provider
    # gave it, so that a later callback or bounce finds the row.
    transport: Mapped[str | None] = mapped_column(sa.String(40))
    provider_id: Mapped[str | None] = mapped_column(sa.String(200))
    delivery_state: Mapped[DeliveryState] = mapped_column(
        enum_column(DeliveryState), default=DeliveryState.QUEUED,
        server_default=DeliveryState.QUEUED.value,
    )
    delivery_error: Mapped[str | None] = mapped_column(sa.Text)
    delivery_updated_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.channel} {self.status} {self.delivery_state}>"
