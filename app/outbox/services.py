"""Writing to the outbox, and delivering what it holds.

Nothing is sent by the service that causes a mail: it adds a row in its own transaction, and
`flask outbox run` delivers after commit (docs/adr/0031-outbox-worker.md). Delivery takes one due
row at a time under a row lock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers
share the work and never send one row twice; a conditional lease UPDATE on SQLite), sends it,
and marks it sent in the same transaction. A failure schedules a retry with exponential backoff;
after the last attempt the row is a dead letter that an admin can retry.
"""

from __future__ import annotations

import base64
import logging
import secrets
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from typing import Any

import flask_mail
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.db import atomic, is_postgres, utcnow
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.outbox.models import OutboxChannel, OutboxMessage, OutboxStatus

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


def mark_bounced(row: OutboxMessage) -> None:
    row.bounced_at = row.bounced_at or utcnow()


# ---------------------------------------------------------------------------------------------
# Delivery


class TransientError(Exception):
    """Delivery failed in a way that a later attempt may not (server down, 4xx)."""


# How each channel leaves. Email is built in; telephony registers SMS with register_sender().
Sender = Callable[[OutboxMessage], None]
_senders: dict[OutboxChannel, Sender] = {}


def register_sender(channel: OutboxChannel, sender: Sender) -> None:
    _senders[channel] = sender


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
    """Send what is due, one row per transaction, at most ``limit`` rows."""
    report = RunReport()
    channels = [OutboxChannel.EMAIL, *(c for c in _senders if c is not OutboxChannel.EMAIL)]
    with _EmailTransport() as transport:
        for _ in range(limit):
            moment = now or utcnow()
            outcome = _deliver_one(moment, channels, transport)
            if outcome is None:
                break
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "retried" and transport.down:
                break  # the server is down: leave the rest for the next run
    return report


@atomic
def _deliver_one(now: datetime, channels: list[OutboxChannel], transport: _EmailTransport) -> str | None:
    row = _claim_next(now, channels)
    if row is None:
        return None
    try:
        if row.channel is OutboxChannel.EMAIL:
            transport.send(row)
        else:
            _senders[row.channel](row)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        max_attempts = int(current_app.config.get("SAMDESK_OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
        permanent = isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused) and not _is_4xx(exc)
        if permanent or row.attempts >= max_attempts:
            row.status = OutboxStatus.DEAD
            row.next_attempt_at = now
            log.warning("outbox %s is dead after %s attempts: %s", row.id, row.attempts, row.last_error)
            return "dead"
        row.next_attempt_at = now + backoff(row.attempts)
        log.info("outbox %s failed (%s); retry at %s", row.id, row.last_error, row.next_attempt_at)
        return "retried"
    row.status = OutboxStatus.SENT
    row.attempts += 1
    row.sent_at = utcnow()
    row.last_error = None
    return "sent"


def _is_4xx(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in exc.recipients.values())
    code = getattr(exc, "smtp_code", 0)
    return 400 <= int(code or 0) < 500


class _Connection(flask_mail.Connection):
    """Flask-Mail's connection, with a timeout, so a hanging server cannot stall the worker."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        state = self.mail
        timeout = float(current_app.config.get("SAMDESK_SMTP_TIMEOUT", 30))
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


def _mail_state() -> Any:
    """Flask-Mail's settings read now (not when the app was made), so that a worker follows the
    configuration it runs with."""
    config = current_app.config
    return flask_mail._Mail(  # noqa: SLF001 - Flask-Mail's own settings holder
        config["MAIL_SERVER"], config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD"),
        config["MAIL_PORT"], config["MAIL_USE_TLS"], config["MAIL_USE_SSL"],
        config["MAIL_DEFAULT_SENDER"], 0, None,
        bool(config.get("SAMDESK_OUTBOX_SUPPRESS_SEND", False)), False,
    )


class _EmailTransport:
    """One SMTP connection for a run, opened on first use and reopened after an error."""

    def __init__(self) -> None:
        self.connection: _Connection | None = None
        self.down = False

    def __enter__(self) -> _EmailTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def _close(self) -> None:
        if self.connection is not None and self.connection.host is not None:
            try:
                self.connection.host.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self.connection = None

    def _connect(self) -> _Connection:
        connection = _Connection(_mail_state())
        try:
            connection.__enter__()
        except (OSError, smtplib.SMTPException) as exc:
            self.down = True
            raise TransientError(f"SMTP server unavailable: {exc}") from exc
        return connection

    def send(self, row: OutboxMessage) -> None:
        message = compose(row)
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send(message, envelope_from=_envelope_sender())
        except smtplib.SMTPServerDisconnected as exc:
            self.connection = None
            self.down = True
            raise TransientError(f"SMTP connection lost: {exc}") from exc
        except smtplib.SMTPException:  # the server answered: refused sender, recipient or data
            self._close()
            raise
        except OSError as exc:  # reset, timeout (smtplib's exceptions are OSErrors too: above)
            self.connection = None
            self.down = True
            raise TransientError(f"SMTP connection lost: {exc}") from exc


def _envelope_sender() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def compose(row: OutboxMessage) -> flask_mail.Message:
    """The Flask-Mail message for a row: plain text always, HTML when the row has it, our own
    Message-ID and the threading and Auto-Submitted headers the row carries."""
    message = flask_mail.Message(
        subject=row.subject,
        recipients=[row.recipient],
        body=row.body_text,
        html=row.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={k: v for k, v in (row.headers or {}).items() if k.lower() != "message-id"},
    )
    message.msgId = row.message_id or new_message_id()
    for item in row.attachments or ():
        message.attach(item["filename"], item["content_type"], base64.b64decode(item["data"]))
    return message


# ---------------------------------------------------------------------------------------------
# Dead letters (admin)


def _require_admin(actor: object | None) -> None:
    if actor is not None and not getattr(actor, "is_admin", False):
        raise Forbidden(_l("Only administrators can handle undeliverable messages."))


def dead_letters(*, actor: object | None, limit: int = 200) -> list[OutboxMessage]:
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
def retry_dead(message_id: int, *, actor: object | None) -> OutboxMessage:
    """Give a dead letter a fresh set of attempts, due now."""
    _require_admin(actor)
    row = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise NotFound(_l("There is no outgoing message %(id)s.", id=message_id))
    if row.status is not OutboxStatus.DEAD:
        raise Invalid(None, _l("Only undeliverable messages can be sent again."), code="not_dead")
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    return row


def pending_count() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        or 0
    )


