"""`flask --app wsgi privacy ...`: the retention run, legal holds, a person's export and erasure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.privacy import services

privacy_cli = AppGroup("privacy", help="Personal data: retention, legal holds, export, erasure.")


def _fail(error: DomainError) -> None:
    click.echo(f"error: {error.message}", err=True)
    sys.exit(1)


@privacy_cli.command("anonymise")
@click.option("--dry-run", is_flag=True, help="Show what would be anonymised; change nothing.")
def anonymise(dry_run: bool) -> None:
    """Anonymise closed cases past their retention (cron). The last line is the number of cases
    anonymised (with --dry-run: that would be)."""
    actor = services.system_actor()

    def progress(items: Any) -> Any:
        return click.progressbar(items, label="Anonymising" if not dry_run else "Checking",
                                 file=click.get_text_stream("stderr"))

    def run() -> services.RunReport:
        bar = None

        def wrap(items: Any) -> Any:
            nonlocal bar
            bar = progress(items)
            return bar.__enter__()

        try:
            return services.run_retention(actor=actor, dry_run=dry_run, progress=wrap)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)

    report = run()
    for outcome in report.outcomes:
        if outcome.reason:
            click.echo(f"{outcome.ref}\tskipped: legal hold: {outcome.reason}")
        elif outcome.anonymised:
            click.echo(f"{outcome.ref}\t{'would anonymise' if dry_run else 'anonymised'}")
    if report.expired:
        click.echo(f"-\t{report.expired} records about no case cleaned (received SMS kept as failed)")
    click.echo(str(report.anonymised))


@privacy_cli.command("hold")
@click.argument("ref")
@click.option("--reason", required=True, help="Why the case must be kept.")
def hold(ref: str, reason: str) -> None:
    """Put a case under legal hold: the retention run and erasure skip it."""
    try:
        services.place_hold(ref, reason, actor=services.system_actor())
    except DomainError as error:
        _fail(error)
    click.echo("ok")


@privacy_cli.command("release")
@click.argument("ref")
def release(ref: str) -> None:
    """Lift a legal hold."""
    try:
        services.lift_hold(ref, actor=services.system_actor())
    except DomainError as error:
        _fail(error)
    click.echo("ok")


@privacy_cli.command("export")
@click.argument("email")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The zip file to write.")
def export(email: str, out: Path) -> None:
    """Everything about one person as a zip (data.json and their files)."""
    try:
        data = services.export_person(email, actor=services.system_actor())
    except DomainError as error:
        _fail(error)
    out.write_bytes(data)
    click.echo(str(out))


@privacy_cli.command("erase")
@click.argument("email")
def erase(email: str) -> None:
    """Anonymise one person everywhere (cases under legal hold are kept and listed)."""
    try:
        result = services.erase_person(email, actor=services.system_actor())
    except DomainError as error:
        _fail(error)
    for outcome in result.held:
        click.echo(f"{outcome.ref}\tkept: legal hold: {outcome.reason}")
    click.echo(f"erased; {len(result.anonymised)} cases anonymised")
