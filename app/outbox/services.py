"""Writing to the outbox, and delivering what it holds.

Nothing is sent by the service that causes a mail: it adds a row in its own transaction, and
`flask outbox run` delivers after commit (docs/adr/0031-outbox-worker.md). Delivery takes one due
row at a time under a row lock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers
share the work and never send one row twice; a conditional lease UPDATE on SQLite), sends it
through its channel's transport (app/outbox/transports.py), and marks it sent in the same
transaction, with the transport's name and the provider's id, so that later callbacks and bounces
(``record_delivery``) can move its delivery state on. A failure schedules a retry with exponential backoff;
after the last attempt the row is a dead letter that an admin can retry.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.db import atomic, is_postgres, utcnow
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.outbox.models import DeliveryState, OutboxChannel, OutboxMessage, OutboxStatus
from app.outbox.transports import (
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    Transport,
    compose,
    register_transport,
    transport_for,
    unregister_transport,
)

if TYPE_CHECKING:
    from app.accounts.models import User

__all__ = [
    "DeliveryState", "OutboxChannel", "PermanentFailure", "TemporaryFailure", "Transport",
    "compose", "enqueue_email", "enqueue_sms", "record_delivery", "register_transport",
    "transport_for", "unregister_transport",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF_SECONDS = 60
MAX_BACKOFF = timedelta(hours=6)
LEASE = timedelta(minutes=5)  # SQLite: how long a claimed row is reserved for its worker


def new_message_id() -> str:
    domain = current_app.config["SAMDESK_MAIL_DOMAIN"]
    return make_msgid(idstring=secrets.token_hex(4), domain=domain)


def enqueue_email(
    *, to: str, subject: str, text: str, html: str | None = None,
    headers: dict[str, str] | None = None, ticket_id: int | None = None,
    message_id: str | None = None, attachments: Sequence[tuple[str, str, bytes]] = (),
) -> OutboxMessage:
    """Add a mail to the outbox in the caller's transaction; ``attachments`` are
    (filename, content type, bytes), kept in the row until it is sent."""
    row = OutboxMessage(
        channel=OutboxChannel.EMAIL,
        recipient=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=dict(headers or {}),
        ticket_id=ticket_id,
        message_id=message_id or new_message_id(),
        attachments=[
            {"filename": name, "content_type": ctype, "data": base64.b64encode(data).decode("ascii")}
            for name, ctype, data in attachments
        ] or None,
    )
    db.session.add(row)
    return row


def enqueue_sms(*, to: str, text: str, ticket_id: int | None = None) -> OutboxMessage:
    row = OutboxMessage(
        channel=OutboxChannel.SMS, recipient=to, subject="", body_text=text, ticket_id=ticket_id
    )
    db.session.add(row)
    return row


# ---------------------------------------------------------------------------------------------
# Lookups for threading and bounces (mail intake)


def find_by_message_ids(message_ids: Sequence[str]) -> OutboxMessage | None:
    if not message_ids:
        return None
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.message_id.in_(list(message_ids)))
        .order_by(OutboxMessage.id.desc())
    ).first()


def ticket_for_message_ids(message_ids: Sequence[str]) -> int | None:
    """The ticket of the first of ``message_ids`` (in the order given) that we sent."""
    if not message_ids:
        return None
    rows = db.session.execute(
        sa.select(OutboxMessage.message_id, OutboxMessage.ticket_id).where(
            OutboxMessage.message_id.in_(list(message_ids)), OutboxMessage.ticket_id.is_not(None)
        )
    ).all()
    found = {message_id: ticket_id for message_id, ticket_id in rows}
    for message_id in message_ids:
        if message_id in found:
            return int(found[message_id])
    return None


# ---------------------------------------------------------------------------------------------
# Delivery


@dataclass
class RunReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"sent {self.sent}, retry later {self.retried}, dead {self.dead}"


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: base, 2×base, 4×base … at most six hours."""
    base = int(current_app.config.get("SAMDESK_OUTBOX_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS))
    return min(timedelta(seconds=base * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _due_stmt(now: datetime, channels: Iterable[OutboxChannel]) -> sa.Select[tuple[OutboxMessage]]:
    return (
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(list(channels)),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )


def _claim_next(now: datetime, channels: list[OutboxChannel]) -> OutboxMessage | None:
    """One due row, reserved for this worker inside the current transaction."""
    if is_postgres():
        return db.session.scalars(_due_stmt(now, channels).with_for_update(skip_locked=True)).first()
    while True:
        candidate = db.session.scalars(_due_stmt(now, channels)).first()
        if candidate is None:
            return None
        claimed = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == candidate.id,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at == candidate.next_attempt_at,
            )
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            db.session.commit()  # the lease is visible to other workers from here on
            db.session.refresh(candidate)
            return candidate


def deliver_due(*, limit: int = 1000, now: datetime | None = None) -> RunReport:
    """Send what is due, one row per transaction, at most ``limit`` rows. A channel whose
    transport says it is down (``TemporaryFailure(stop_run=True)``) waits for the next run."""
    report = RunReport()
    channels = list(OutboxChannel)
    with ExitStack() as stack:
        for channel in channels:
            batch = getattr(transport_for(channel), "batch", None)
            if batch is not None:
                stack.enter_context(batch())
        for _ in range(limit):
            if not channels:
                break
            moment = now or utcnow()
            outcome = _deliver_one(moment, channels)
            if outcome is None:
                break
            kind, stopped = outcome
            setattr(report, kind, getattr(report, kind) + 1)
            if stopped is not None:
                channels.remove(stopped)
    return report


@atomic
def _deliver_one(now: datetime, channels: list[OutboxChannel]) -> tuple[str, OutboxChannel | None] | None:
    row = _claim_next(now, channels)
    if row is None:
        return None
    transport = transport_for(row.channel)
    row.transport = transport.name
    try:
        provider_id = transport.send(row)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        max_attempts = int(current_app.config.get("SAMDESK_OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
        if isinstance(exc, PermanentFailure) or row.attempts >= max_attempts:
            row.status = OutboxStatus.DEAD
            row.next_attempt_at = now
            _set_delivery(row, DeliveryState.FAILED, row.last_error)
            log.warning("outbox %s (%s) is dead after %s attempts: %s", row.id, transport.name,
                        row.attempts, type(exc).__name__)
            return "dead", None
        row.next_attempt_at = now + backoff(row.attempts)
        log.info("outbox %s (%s) failed (%s); retry at %s", row.id, transport.name,
                 type(exc).__name__, row.next_attempt_at)
        stop = isinstance(exc, TemporaryFailure) and exc.stop_run
        return "retried", (row.channel if stop else None)
    row.status = OutboxStatus.SENT
    row.attempts += 1
    row.sent_at = utcnow()
    row.last_error = None
    row.provider_id = (provider_id or None) and str(provider_id)[:200]
    _set_delivery(row, DeliveryState.SENT, None)
    return "sent", None


# ---------------------------------------------------------------------------------------------
# Delivery state: callbacks from providers, bounces from mail intake

# A state only ever moves forward in this order: a late "sent" callback does not undo
# "delivered", and a bounce after "delivered" (the remote server accepted, then gave up) wins.
_STATE_RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENT: 1,
    DeliveryState.FAILED: 2,
    DeliveryState.DELIVERED: 3,
    DeliveryState.BOUNCED: 4,
}


def _set_delivery(row: OutboxMessage, state: DeliveryState, error: str | None) -> None:
    row.delivery_state = state
    row.delivery_error = error[:2000] if error else None
    row.delivery_updated_at = utcnow()
    if state is DeliveryState.BOUNCED:
        row.bounced_at = row.bounced_at or row.delivery_updated_at


def _require_delivery_reporter(actor: User) -> None:
    if not (actor.is_system or actor.is_admin):
        raise Forbidden(_l("Only the system can record what happened to a sent message."))


@atomic
def record_delivery(
    *, transport: str, provider_id: str, state: DeliveryState | str, error: str | None = None,
    actor: User,
) -> OutboxMessage | None:
    """What a provider's callback (or a bounce) says about a message we sent.

    Returns the row, or None when no row was sent by ``transport`` with ``provider_id`` (a
    callback for someone else's message is not an error: providers retry on errors). Calling it
    twice with the same state changes nothing; a state never moves backwards (``_STATE_RANK``)."""
    _require_delivery_reporter(actor)
    try:
        new = DeliveryState(state)
    except ValueError:
        raise Invalid("state", _l("Unknown delivery state %(state)s.", state=str(state)),
                      code="unknown_delivery_state") from None
    if transport == SmtpTransport.name:
        # For mail the provider's id is our own Message-ID, known before the row was sent (a
        # bounce may even overtake the worker's commit).
        match = sa.and_(OutboxMessage.channel == OutboxChannel.EMAIL, OutboxMessage.message_id == provider_id)
    else:
        match = sa.and_(OutboxMessage.transport == transport, OutboxMessage.provider_id == provider_id)
    row = db.session.scalars(
        sa.select(OutboxMessage).where(match).order_by(OutboxMessage.id.desc()).limit(1).with_for_update()
    ).first()
    if row is None:
        return None
    if _STATE_RANK[new] <= _STATE_RANK[row.delivery_state]:
        return row
    _set_delivery(row, new, error)
    log.info("outbox %s (%s): %s", row.id, transport, new.value)
    return row


# ---------------------------------------------------------------------------------------------
# Dead letters (admin)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(_l("Only administrators can handle undeliverable messages."))


def dead_letters(*, actor: User, limit: int = 200) -> list[OutboxMessage]:
    _require_admin(actor)
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.DEAD)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


@atomic
def retry_dead(message_id: int, *, actor: User) -> OutboxMessage:
    """Give a dead letter a fresh set of attempts, due now; the audit log says who did."""
    from app.audit.services import record

    _require_admin(actor)
    row = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise NotFound(_l("There is no outgoing message %(id)s.", id=message_id))
    if row.status is not OutboxStatus.DEAD:
        raise Invalid(None, _l("Only undeliverable messages can be sent again."), code="not_dead")
    before = {"status": row.status.value, "attempts": row.attempts, "error": row.last_error}
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.delivery_state = DeliveryState.QUEUED  # the outbox schema (0007): it is queued again
    record(actor=actor, action="outbox.dead_retried", object_type="outbox_message", object_id=row.id,
           label=row.recipient, before=before, after={"status": row.status.value, "attempts": 0})
    return row


def pending_count() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        or 0
    )


