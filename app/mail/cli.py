"""Commands for inbound mail: `mail ingest` (a mail server's pipe), `mail poll` (IMAP) and
`mail quarantine list|retry|discard`.

Exit codes follow sysexits.h (docs/email.md): 0 done (ticket created or updated, noise ignored,
duplicate, refusal sent), 65 quarantined (EX_DATAERR; the id is printed), 66 no input, 74 reading
failed, 75 try again later (EX_TEMPFAIL: database or IMAP server unavailable), 78 not configured.
When a ticket was created or updated, the last line of standard output is its reference.
"""

from __future__ import annotations

import imaplib
import re
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.accounts.services import system_user
from app.errors import DomainError
from app.mail import services
from app.mail.services import IngestResult

EX_OK = 0
EX_DATAERR = 65
EX_NOINPUT = 66
EX_IOERR = 74
EX_TEMPFAIL = 75
EX_CONFIG = 78
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

mail_cli = AppGroup("mail", help="Inbound email.")

_TEMPORARY = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def _report(result: IngestResult) -> int:
    """Explanations go to stderr first; the reference (or quarantine id) is the last stdout line."""
    if result.quarantined:
        click.echo(f"quarantined as {result.quarantine_id}", err=True)
        click.echo(str(result.quarantine_id))
        return EX_DATAERR
    if result.duplicate:
        click.echo("already received; nothing changed", err=True)
    if result.ref:
        click.echo(result.ref)
    else:
        click.echo(f"{result.outcome.replace('_', ' ')}: no case created", err=True)
    return EX_OK


@mail_cli.command("ingest")
def ingest_command() -> None:
    """Read one raw RFC 822 message from standard input and take it in."""
    try:
        raw = click.get_binary_stream("stdin").read(MAX_MESSAGE_BYTES + 1)
    except OSError as exc:
        click.echo(f"could not read the message: {exc}", err=True)
        sys.exit(EX_IOERR)
    if not raw.strip():
        click.echo("no message on standard input", err=True)
        sys.exit(EX_NOINPUT)
    if len(raw) > MAX_MESSAGE_BYTES:  # the mail server bounces it, so the sender is told
        click.echo(f"message larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB refused", err=True)
        sys.exit(EX_DATAERR)
    try:
        result = services.ingest(raw)
    except _TEMPORARY as exc:
        click.echo(f"database unavailable, try again later: {exc.__class__.__name__}", err=True)
        sys.exit(EX_TEMPFAIL)
    sys.exit(_report(result))


# ---------------------------------------------------------------------------------------------
# IMAP


def _imap_name(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _separator(conn: imaplib.IMAP4) -> str:
    typ, data = conn.list('""', '""')
    if typ == "OK" and data and data[0]:
        line = data[0].decode() if isinstance(data[0], bytes) else str(data[0])
        found = re.search(r'\) "(.)"', line)
        if found:
            return found.group(1)
    return "/"


def _connect() -> imaplib.IMAP4:
    config = current_app.config
    host, port = config["IMAP_HOST"], int(config["IMAP_PORT"])
    timeout = float(config.get("SAMDESK_IMAP_TIMEOUT", 60))
    conn: imaplib.IMAP4
    if config["IMAP_SSL"]:
        conn = imaplib.IMAP4_SSL(host, port, timeout=timeout)
    else:
        conn = imaplib.IMAP4(host, port, timeout=timeout)
    conn.login(config["IMAP_USER"], config["IMAP_PASSWORD"])
    return conn


@mail_cli.command("poll")
@click.option("--limit", default=500, show_default=True, help="At most this many messages per run.")
def poll_command(limit: int) -> None:
    """Fetch mail from the IMAP folder; each message moves to the done folder only after its
    ticket (or quarantine row) is committed, so a crash means a redelivery, never a loss."""
    config = current_app.config
    if not config.get("IMAP_USER"):
        click.echo("IMAP_USER is not set", err=True)
        sys.exit(EX_CONFIG)
    try:
        conn = _connect()
    except (OSError, imaplib.IMAP4.error) as exc:
        click.echo(f"IMAP server unavailable, try again later: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    status = EX_OK
    try:
        separator = _separator(conn)
        done = config["IMAP_DONE_FOLDER"].replace("/", separator)
        conn.create(_imap_name(done))  # NO when it exists already: fine
        typ, _ = conn.select(_imap_name(config["IMAP_FOLDER"]))
        if typ != "OK":
            click.echo(f"cannot open the folder {config['IMAP_FOLDER']}", err=True)
            sys.exit(EX_CONFIG)
        typ, data = conn.uid("SEARCH", "ALL")  # type: ignore[arg-type]
        uids = data[0].split() if typ == "OK" and data and data[0] else []
        typ, caps = conn.capability()
        can_move = typ == "OK" and b"MOVE" in b" ".join(c for c in caps if isinstance(c, bytes)).split()
        copied = False
        for uid in uids[:limit]:
            typ, fetched = conn.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
            if typ != "OK" or raw is None:
                continue
            try:
                result = services.ingest(bytes(raw))
            except _TEMPORARY as exc:
                click.echo(f"database unavailable, try again later: {exc.__class__.__name__}", err=True)
                status = EX_TEMPFAIL
                break
            # Committed: now, and only now, the message leaves the inbox.
            if can_move:
                conn.uid("MOVE", uid.decode(), _imap_name(done))
            else:
                conn.uid("COPY", uid.decode(), _imap_name(done))
                conn.uid("STORE", uid.decode(), "+FLAGS", "(\\Deleted)")
                copied = True
            label = result.ref or (f"quarantined {result.quarantine_id}" if result.quarantined else result.outcome)
            click.echo(f"{uid.decode()} {label}")
        if copied:
            conn.expunge()
    except (OSError, imaplib.IMAP4.error) as exc:
        click.echo(f"IMAP error, try again later: {exc}", err=True)
        status = EX_TEMPFAIL
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    sys.exit(status)


# ---------------------------------------------------------------------------------------------
# The quarantine


@mail_cli.group("quarantine")
def quarantine_cli() -> None:
    """Mail that could not be taken in, kept with its raw bytes."""


@quarantine_cli.command("list")
@click.option("--all", "include_resolved", is_flag=True, help="Also released and discarded mail.")
def quarantine_list(include_resolved: bool) -> None:
    for held in services.list_quarantine(actor=system_user(), include_resolved=include_resolved):
        click.echo(
            f"{held.id}\t{held.created_at:%Y-%m-%d %H:%M}\t{held.status.value}\t{held.sender or '-'}\t"
            f"{(held.subject or '-')[:60]}\t{held.reason[:100]}"
        )


@quarantine_cli.command("retry")
@click.argument("quarantine_id", type=int)
def quarantine_retry(quarantine_id: int) -> None:
    try:
        result = services.retry_quarantined(quarantine_id, actor=system_user())
    except DomainError as exc:
        click.echo(str(exc.message), err=True)
        sys.exit(EX_DATAERR if exc.status != 404 else EX_NOINPUT)
    except _TEMPORARY:
        click.echo("database unavailable, try again later", err=True)
        sys.exit(EX_TEMPFAIL)
    sys.exit(_report(result))


@quarantine_cli.command("discard")
@click.argument("quarantine_id", type=int)
def quarantine_discard(quarantine_id: int) -> None:
    try:
        services.discard_quarantined(quarantine_id, actor=system_user())
    except DomainError as exc:
        click.echo(str(exc.message), err=True)
        sys.exit(EX_DATAERR if exc.status != 404 else EX_NOINPUT)
    click.echo(f"discarded {quarantine_id}")
