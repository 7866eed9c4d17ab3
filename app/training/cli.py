"""Commands for training: the day-before reminder (for cron) and the super-user roster."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts.services import system_user
from app.errors import DomainError
from app.training import services

training_cli = AppGroup("training", help="Courses and nabohjelp (kurs og nabohjelp).")


@training_cli.command("remind")
def remind() -> None:
    """Remind everyone seated in tomorrow's sessions (Europe/Oslo days). Safe to run twice: a
    session is reminded once."""
    sent = services.send_reminders(actor=system_user())
    click.echo(f"reminded {sent}")


def set_roster_systems(email: str, systems: tuple[str, ...]) -> None:
    try:
        saved = services.set_roster_systems(email, list(systems), actor=system_user())
    except DomainError as error:
        click.echo(f"error: {error.message}", err=True)
        raise SystemExit(1) from None
    click.echo(", ".join(saved) or "-")


@training_cli.command("roster")
@click.argument("email")
@click.argument("systems", nargs=-1)
def roster(email: str, systems: tuple[str, ...]) -> None:
    """Put a super-user on the roster for exactly these business systems (they then see and
    edit the help articles tagged with them). No systems: take them off the roster."""
    set_roster_systems(email, systems)
