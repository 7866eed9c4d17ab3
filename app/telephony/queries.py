"""Read-only lookups for telephony: webhooks seen, waiting texts, SMS threads, settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.accounts.models import Municipality, User
from app.db import is_postgres, is_storable, utcnow
from app.extensions import db
from app.telephony.models import (
    PendingSms,
    PendingStatus,
    SmsReplyMode,
    SmsThread,
    TelephonySettings,
    TwilioWebhook,
    VoiceCall,
    WebhookStatus,
)
from app.tickets.models import OPEN_STATUSES, Ticket


def webhook_by_key(key: str) -> TwilioWebhook | None:
    return db.session.scalar(sa.select(TwilioWebhook).where(TwilioWebhook.key == key))


def failed_webhooks(limit: int = 200) -> Sequence[TwilioWebhook]:
    return db.session.scalars(
        sa.select(TwilioWebhook)
        .where(TwilioWebhook.status == WebhookStatus.FAILED)
        .order_by(TwilioWebhook.id)
        .limit(limit)
    ).all()


def waiting_for(number: str, *, lock: bool = False) -> PendingSms | None:
    stmt = sa.select(PendingSms).where(
        PendingSms.number == number, PendingSms.status == PendingStatus.WAITING
    )
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def waiting_since(before: datetime, limit: int = 500) -> Sequence[int]:
    return db.session.scalars(
        sa.select(PendingSms.id)
        .where(PendingSms.status == PendingStatus.WAITING, PendingSms.asked_at <= before)
        .order_by(PendingSms.id)
        .limit(limit)
    ).all()


def municipality_choices() -> dict[str, str]:
    """{"1": "JEV", "2": "LUN", "3": "GRA"}: the active municipalities in the order they were
    made (the demo makes Jevnaker, Lunner, Gran), at most nine, one key each."""
    rows = db.session.scalars(
        sa.select(Municipality.code).where(Municipality.is_active).order_by(Municipality.id).limit(9)
    ).all()
    return {str(i): code for i, code in enumerate(rows, start=1)}


def municipality_names(codes: Sequence[str]) -> dict[str, str]:
    if not codes or not all(is_storable(c) for c in codes):
        return {}
    rows = db.session.execute(
        sa.select(Municipality.code, Municipality.name).where(Municipality.code.in_(list(codes)))
    ).all()
    return {code: name for code, name in rows}


def open_threads(number: str, *, requester_id: int, days: int,
                 now: datetime | None = None) -> Sequence[tuple[SmsThread, Ticket]]:
    """Open cases of ``requester_id`` an SMS from ``number`` may go on, latest SMS first (in or
    out within ``days``), locked for the reply. The caller checks visibility again."""
    since = (now or utcnow()) - timedelta(days=days)
    stmt = (
        sa.select(SmsThread, Ticket)
        .join(Ticket, Ticket.id == SmsThread.ticket_id)
        .where(
            SmsThread.number == number, SmsThread.last_sms_at >= since,
            Ticket.requester_id == requester_id, Ticket.status.in_(OPEN_STATUSES),
        )
        .order_by(SmsThread.last_sms_at.desc(), SmsThread.id.desc())
        .limit(1)
    )
    if is_postgres():
        stmt = stmt.with_for_update(of=Ticket)
    return [(thread, ticket) for thread, ticket in db.session.execute(stmt).all()]


def thread_row(ticket_id: int, number: str) -> SmsThread | None:
    return db.session.scalar(
        sa.select(SmsThread).where(SmsThread.ticket_id == ticket_id, SmsThread.number == number)
    )


def reply_mode(municipality_id: int | None) -> SmsReplyMode:
    """How an agent's public reply on an SMS case goes out in this municipality (link unless an
    administrator chose the whole text: SMS is not a confidential channel)."""
    if municipality_id is None:
        return SmsReplyMode.LINK
    settings = db.session.get(TelephonySettings, municipality_id)
    return settings.sms_reply_mode if settings is not None else SmsReplyMode.LINK


def call_by_sid(call_sid: str) -> VoiceCall | None:
    return db.session.scalar(sa.select(VoiceCall).where(VoiceCall.call_sid == call_sid))


def call_by_recording(recording_sid: str) -> VoiceCall | None:
    return db.session.scalar(
        sa.select(VoiceCall).where(VoiceCall.recording_sid == recording_sid).order_by(VoiceCall.id)
    )


def export_for_person(user: User) -> dict[str, object]:
    """What telephony holds about ``user`` by their mobile number outside the cases: texts that
    waited for a municipality and calls through the voice menu (privacy's ``on_export`` hook)."""
    if not user.phone:
        return {}
    pending = db.session.scalars(
        sa.select(PendingSms).where(PendingSms.number == user.phone).order_by(PendingSms.id)
    ).all()
    calls = db.session.scalars(
        sa.select(VoiceCall).where(VoiceCall.number == user.phone).order_by(VoiceCall.id)
    ).all()
    return {
        "sms_waiting_for_municipality": [
            {"text": p.body, "status": p.status.value, "received_at": p.created_at.isoformat()}
            for p in pending
        ],
        "phone_calls": [{"at": c.created_at.isoformat()} for c in calls],
    }
