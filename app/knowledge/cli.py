"""Commands for the knowledge base: ``flask --app wsgi search reindex``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

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
