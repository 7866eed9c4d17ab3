"""`flask demo load`: the three Hadeland municipalities, their queues, users and a few dozen
realistic cases. Idempotent: a second run changes nothing."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.demo import data

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def load() -> None:
    """Load the demo data (safe to run again)."""
    created = data.load()
    click.echo(f"demo: {created['users']} users, {created['tickets']} cases, "
               f"{created.get('articles', 0)} help articles created "
               f"(password for every demo user: {data.DEMO_PASSWORD})")
