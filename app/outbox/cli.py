"""`flask outbox run`: deliver what the outbox holds; `outbox dead` / `outbox retry`."""

from __future__ import annotations

import sys
import time

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.accounts.services import system_user
from app.errors import DomainError
from app.outbox import services

outbox_cli = AppGroup("outbox", help="Outbound mail and SMS.")


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop (for cron).")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between passes.")
@click.option("--limit", default=1000, show_default=True, help="At most this many per pass.")
def run_command(once: bool, interval: float, limit: int) -> None:
    """Deliver due messages. Several workers may run at once on PostgreSQL."""
    while True:
        try:
            report = services.deliver_due(limit=limit)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            click.echo(f"database unavailable: {exc.__class__.__name__}", err=True)
            if once:
                sys.exit(75)
            time.sleep(interval)
            continue
        if once or report.sent or report.retried or report.dead:
            click.echo(str(report))
        if once:
            return
        time.sleep(interval)


@outbox_cli.command("dead")
def dead_command() -> None:
    """List dead letters: messages that could not be delivered after the last retry."""
    for row in services.dead_letters(actor=system_user()):
        click.echo(f"{row.id}\t{row.channel.value}\t{row.recipient}\t{row.attempts}\t{(row.last_error or '')[:100]}")


@outbox_cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Send a dead letter again."""
    try:
        services.retry_dead(message_id, actor=system_user())
    except DomainError as exc:
        click.echo(str(exc.message), err=True)
        sys.exit(1)
    click.echo(f"queued {message_id} again")
