"""Commands for the knowledge base: ``flask --app wsgi search reindex``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import queries as accounts_queries
from app.accounts.services import system_user
from app.knowledge import queries, search, services

search_cli = AppGroup("search", help="The knowledge base's search index.")


@search_cli.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the database (safe while the site runs)."""
    total, _ = queries.all_articles_for_index()
    with click.progressbar(length=total, label=f"indexing ({search.backend_name()})") as bar:
        count = services.reindex(actor=system_user(), progress=bar.update)
    click.echo(f"indexed {count} articles")


knowledge_cli = AppGroup("knowledge", help="The help pages (brukerhjelp).")


@knowledge_cli.command("systems", deprecated=True)
@click.argument("email")
@click.argument("systems", nargs=-1)
def super_user_systems(email: str, systems: tuple[str, ...]) -> None:
    """Deprecated: use `flask training roster EMAIL SYSTEM...`, which this calls. A super-user's
    systems live on the super-user roster (ADR 0097)."""
    from app.training.cli import set_roster_systems

    set_roster_systems(email, systems)


@knowledge_cli.command("deflections")
@click.option("--days", default=30, show_default=True)
def deflections(days: int) -> None:
    """Cases not filed because an article helped, per day and municipality."""
    from datetime import timedelta

    from app.db import utcnow

    names = {m.id: m.code for m in accounts_queries.municipalities()}
    for day, municipality_id, count in queries.deflections_per_day((utcnow() - timedelta(days=days)).date()):
        click.echo(f"{day.isoformat()}\t{names.get(municipality_id, '-') if municipality_id else '-'}\t{count}")
