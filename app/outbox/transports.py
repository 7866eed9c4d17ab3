"""How a row leaves Samdesk: one transport per channel (docs/adr/0062-outbox-transports.md).

A transport has a ``name`` (stored on the row it sent), a ``channel`` and ``send(row)``, which
returns the provider's id for the message (or None) and raises

- ``TemporaryFailure`` when a later attempt may work (server down, 4xx): the worker retries
  with backoff, and ``stop_run=True`` also leaves the channel's other rows for the next run;
- ``PermanentFailure`` when no attempt will (5xx refusal, a number that does not exist): the row
  becomes a dead letter at once.

Any other exception counts as temporary. Email goes out over SMTP (``smtp``, built in). SMS goes
to the built-in ``log`` transport until telephony registers a real one with
``register_transport``.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Protocol, runtime_checkable

from flask import current_app

from app.outbox.models import OutboxChannel, OutboxMessage

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """Delivery failed in a way that a later attempt may not (server down, 4xx)."""

    def __init__(self, message: str, *, stop_run: bool = False) -> None:
        super().__init__(message)
        self.stop_run = stop_run


class PermanentFailure(Exception):
    """Delivery can never succeed (the recipient does not exist, the provider refused for good)."""


@runtime_checkable
class Transport(Protocol):
    name: str
    channel: OutboxChannel

    def send(self, row: OutboxMessage) -> str | None: ...


_registry: dict[OutboxChannel, Transport] = {}


def register_transport(transport: Transport) -> None:
    """Make ``transport`` the one that sends its channel's rows (replacing the one before)."""
    _registry[transport.channel] = transport


def unregister_transport(channel: OutboxChannel) -> None:
    """Back to the built-in transport for ``channel`` (tests, and a telephony switch-off)."""
    _registry.pop(channel, None)


def transport_for(channel: OutboxChannel) -> Transport:
    registered = _registry.get(channel)
    if registered is not None:
        return registered
    return _BUILT_IN[channel]


# ---------------------------------------------------------------------------------------------
# Email: smtplib with EmailMessage, settings read when the worker runs


def envelope_sender() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def compose(row: OutboxMessage) -> EmailMessage:
    """The mail for a row: plain text always, HTML beside it when the row has it, our own
    Message-ID and the threading and Auto-Submitted headers the row carries."""
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr(parseaddr(row.recipient)) or row.recipient
    message["Message-ID"] = row.message_id or ""
    for key, value in (row.headers or {}).items():
        if key.lower() in {"message-id", "subject", "from", "to"}:
            continue
        message[key] = value
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    for item in row.attachments or ():  # calendar invitations (training, ADR 0087)
        kind, *parameters = (part.strip() for part in item["content_type"].split(";"))
        maintype, _, subtype = kind.partition("/")
        params = dict(p.split("=", 1) for p in parameters if "=" in p)
        message.add_attachment(base64.b64decode(item["data"]), maintype=maintype, subtype=subtype or "octet-stream",
                               filename=item["filename"], params=params)
    return message


def _code_of(exc: smtplib.SMTPException) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return max(codes) if codes else 0
    return int(getattr(exc, "smtp_code", 0) or 0)


class SmtpTransport:
    """One SMTP connection per worker run and thread (``batch()``), or one per message outside
    a run. A connection failure or a lost connection stops the run for email: the server is
    down, and every other mail would wait for the same timeout."""

    name = "smtp"
    channel = OutboxChannel.EMAIL

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def batch(self) -> Iterator[None]:
        self._local.batch = True
        try:
            yield
        finally:
            self._local.batch = False
            self._close()

    def _close(self) -> None:
        connection: smtplib.SMTP | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _connect(self) -> smtplib.SMTP:
        config = current_app.config
        timeout = float(config.get("SAMDESK_SMTP_TIMEOUT", 30))
        server, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
        connection: smtplib.SMTP
        try:
            if config.get("MAIL_USE_SSL"):
                connection = smtplib.SMTP_SSL(server, port, timeout=timeout, context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(server, port, timeout=timeout)
                if config.get("MAIL_USE_TLS"):
                    connection.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
                connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"SMTP server unavailable: {exc}", stop_run=True) from exc
        return connection

    def send(self, row: OutboxMessage) -> str | None:
        message = compose(row)
        if current_app.config.get("SAMDESK_OUTBOX_SUPPRESS_SEND"):
            return row.message_id
        connection: smtplib.SMTP | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        try:
            connection.send_message(message, from_addr=envelope_sender(), to_addrs=[row.recipient])
        except smtplib.SMTPServerDisconnected as exc:
            self._local.connection = None
            raise TemporaryFailure(f"SMTP connection lost: {exc}", stop_run=True) from exc
        except smtplib.SMTPException as exc:  # the server answered: refused sender, recipient or data
            self._close()
            code = _code_of(exc)
            detail = f"{type(exc).__name__}: {exc}"
            if 500 <= code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError):
                raise PermanentFailure(detail) from exc
            raise TemporaryFailure(detail) from exc
        except OSError as exc:  # reset, timeout
            self._local.connection = None
            raise TemporaryFailure(f"SMTP connection lost: {exc}", stop_run=True) from exc
        finally:
            if not getattr(self._local, "batch", False):
                self._close()
        return row.message_id


# ---------------------------------------------------------------------------------------------
# SMS: a log line until telephony registers its transport


def masked_number(number: str) -> str:
    """``+4791234567`` → ``+47******67``: enough to tell rows apart, not enough to call."""
    digits = number.strip()
    if len(digits) <= 5:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


class LogSmsTransport:
    """Writes one log line per SMS (never the text, never the full number) and reports it sent.
    The default for SMS, so that development and demo setups need no SMS provider."""

    name = "log"
    channel = OutboxChannel.SMS

    def send(self, row: OutboxMessage) -> str | None:
        log.info("sms %s to %s (%d characters) written to the log only", row.id,
                 masked_number(row.recipient), len(row.body_text))
        return f"log-{row.id}"


_BUILT_IN: dict[OutboxChannel, Transport] = {
    OutboxChannel.EMAIL: SmtpTransport(),
    OutboxChannel.SMS: LogSmsTransport(),
}
