"""Commands for telephony: cron's `telephony expire`, retrying kept webhooks, SMS settings."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.accounts.services import system_user
from app.errors import DomainError
from app.telephony import services
from app.telephony.models import SmsReplyMode

telephony_cli = AppGroup("telephony", help="SMS and voice through Twilio.")


@telephony_cli.command("expire")
def expire() -> None:
    """Send texts from unknown numbers that never named their municipality (24 hours) to the
    triage queue. Run from cron, e.g. every 10 minutes."""
    refs = services.expire_waiting(actor=system_user())
    click.echo(f"to triage: {len(refs)}" + (f" ({', '.join(refs)})" if refs else ""))


@telephony_cli.command("retry")
def retry() -> None:
    """Take in again the webhooks that were kept because they could not be processed."""
    for line in services.retry_failed(actor=system_user()):
        click.echo(line)


@telephony_cli.command("set-reply-mode")
@click.argument("municipality")
@click.argument("mode", type=click.Choice([m.value for m in SmsReplyMode]))
def set_reply_mode(municipality: str, mode: str) -> None:
    """Whether an agent's public reply on an SMS case goes out as its text or only as a link."""
    try:
        settings = services.set_reply_mode(municipality, mode, actor=system_user())
    except DomainError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"{municipality.upper()}\t{settings.sms_reply_mode.value}")
