"""Commands for training: the day-before reminder (for cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts.services import system_user
from app.training import services

training_cli = AppGroup("training", help="Courses and nabohjelp (kurs og nabohjelp).")


@training_cli.command("remind")
def remind() -> None:
    """Remind everyone seated in tomorrow's sessions (Europe/Oslo days). Safe to run twice: a
    session is reminded once."""
    sent = services.send_reminders(actor=system_user())
    click.echo(f"reminded {sent}")
