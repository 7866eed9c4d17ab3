"""Commands for tickets and queues."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.accounts.services import system_user
from app.errors import DomainError
from app.tickets import queries, services

tickets_cli = AppGroup("tickets", help="Tickets (saker).")
queues_cli = AppGroup("queues", help="Queues (køer).")


@tickets_cli.command("autoclose")
def autoclose() -> None:
    """Close resolved tickets whose reopen window has passed (for cron; safe to run twice)."""
    closed = services.autoclose()
    for ref in closed:
        click.echo(ref)
    click.echo(f"closed {len(closed)}", err=True)


@queues_cli.command("list")
def queues_list() -> None:
    for queue in queries.all_queues():
        code = queue.municipality.code if queue.municipality else "-"
        click.echo(f"{queue.slug}\t{queue.kind.value}\t{code}\t{queue.name}")


@queues_cli.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(["first_line", "second_line"]), required=True)
@click.option("--municipality", "municipality_code", default=None)
@click.option("--triage", is_flag=True, help="The pooled queue for mail from unknown senders.")
def queues_add(slug: str, name: str, kind: str, municipality_code: str | None, triage: bool) -> None:
    try:
        queue = services.create_queue(slug, name=name, kind=kind, municipality_code=municipality_code,
                                      is_triage=triage, actor=system_user())
    except DomainError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    click.echo(queue.slug)
