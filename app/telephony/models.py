"""What telephony keeps: every Twilio webhook received (once), texts from unknown numbers waiting
for their municipality, which cases an SMS conversation threads onto, calls, and the SMS setting
of each municipality."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Municipality
from app.db import Base, created_at, enum_column, intpk, utcnow


class WebhookStatus(enum.StrEnum):
    PROCESSED = "processed"
    FAILED = "failed"  # kept with its fields: an admin retries it (`telephony retry`)
    EXPIRED = "expired"  # failed, never retried, and its fields cleaned by the retention run


class TwilioWebhook(Base):
    """One request from Twilio, once. ``key`` is the MessageSid for an SMS, or the CallSid and
    the step for a call, so that Twilio's retries find this row and change nothing."""

    __tablename__ = "twilio_webhooks"
    __table_args__ = (sa.Index("ix_twilio_webhooks_status", "status", "id"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    sender: Mapped[str] = mapped_column(sa.String(40), default="")
    # The form fields as received (cleaned of what no database can store).
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[WebhookStatus] = mapped_column(enum_column(WebhookStatus))
    outcome: Mapped[str] = mapped_column(sa.String(20), default="")
    # The text we answered with, so that a retry gets the same answer.
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[created_at]

    def __repr__(self) -> str:
        return f"<TwilioWebhook {self.id} {self.kind} {self.status}>"


class PendingStatus(enum.StrEnum):
    WAITING = "waiting"
    ANSWERED = "answered"
    EXPIRED = "expired"  # went to the triage queue


class PendingSms(Base):
    """Text from an unknown number, waiting for the answer to "which municipality?"."""

    __tablename__ = "sms_pending"
    __table_args__ = (
        # One waiting conversation per number.
        sa.Index(
            "uq_sms_pending_waiting_number", "number", unique=True,
            sqlite_where=sa.text("status = 'waiting'"),
            postgresql_where=sa.text("status = 'waiting'"),
        ),
        sa.Index("ix_sms_pending_status_asked", "status", "asked_at"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(sa.String(20))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    # [{"url": ..., "content_type": ...}] of MMS pictures, fetched when the case is made.
    media: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    # What the question offered: {"1": "JEV", "2": "LUN", "3": "GRA"}.
    choices: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[PendingStatus] = mapped_column(
        enum_column(PendingStatus), default=PendingStatus.WAITING
    )
    created_at: Mapped[created_at]
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"))

    def __repr__(self) -> str:
        return f"<PendingSms {self.id} {self.status}>"


class SmsThread(Base):
    """A case an SMS conversation with ``number`` goes on: it came by SMS, or an agent sent an
    SMS on it. ``last_sms_at`` moves with every SMS in or out."""

    __tablename__ = "sms_threads"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "number", name="uq_sms_threads_ticket_number"),
        sa.Index("ix_sms_threads_number_last", "number", "last_sms_at"),
    )

    id: Mapped[intpk]
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id"))
    number: Mapped[str] = mapped_column(sa.String(20))
    last_sms_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsReplyMode(enum.StrEnum):
    TEXT = "text"  # an agent's public reply goes out as its text
    LINK = "link"  # only the reference, a short status and a link to the case

    @property
    def label(self) -> str:
        if self is SmsReplyMode.TEXT:
            return str(_l("The whole answer by SMS"))
        return str(_l("Only the case number, status and a link by SMS"))


class TelephonySettings(Base):
    """A municipality's choices for SMS (one row, made when first changed)."""

    __tablename__ = "telephony_settings"

    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), primary_key=True)
    sms_reply_mode: Mapped[SmsReplyMode] = mapped_column(
        enum_column(SmsReplyMode), default=SmsReplyMode.LINK
    )
    municipality: Mapped[Municipality] = relationship(lazy="joined")


class VoiceCall(Base):
    """A call through the voice menu, and the case it left (a message or a call-back)."""

    __tablename__ = "voice_calls"

    id: Mapped[intpk]
    call_sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    number: Mapped[str] = mapped_column(sa.String(40), default="")
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id"), index=True)
    recording_sid: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[created_at]
