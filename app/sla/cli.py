"""Commands: the business-time arithmetic (``calendar add``, ``calendar between``) and the SLA
clock's cron job (``sla tick``).

The calendar commands are a contract that tests outside the project call: ``calendar add DESK
START DURATION`` prints, as its last line, the instant in ISO 8601 with the Oslo offset;
``calendar between DESK START END`` prints whole business minutes. Bad input exits with code 2
and a message in Norwegian and English.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import NoReturn

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.sla import queries, services
from app.sla.calendar import OSLO, CalendarError, parse_duration, target_minutes
from app.sla.models import POOL
from app.tickets.models import Priority

calendar_cli = AppGroup("calendar", help="Business time in a desk's opening hours (åpningstider).")
sla_cli = AppGroup("sla", help="Service levels (tjenesteavtaler).")


def _fail(message: str) -> NoReturn:
    click.echo(f"Feil / error: {message}", err=True)
    sys.exit(2)


def _desk(value: str) -> str:
    desk = value.strip().upper()
    if desk != POOL and queries.municipality_by_code(desk) is None:
        _fail(f"ukjent skranke {value!r}: bruk en kommunekode eller POOL / "
              f"unknown desk {value!r}: use a municipality code or POOL")
    return desk


def _instant(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        _fail(f"{name} er ikke et ISO 8601-tidspunkt / {name} is not an ISO 8601 instant: {value!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        _fail(f"{name} mangler tidssone (som +01:00) / {name} has no offset (like +01:00): {value!r}")
    return moment


@calendar_cli.command("add")
@click.argument("desk")
@click.argument("start")
@click.argument("duration")
def calendar_add(desk: str, start: str, duration: str) -> None:
    """The instant DURATION of business time after START (4h, 90m, 2d, 1h30m)."""
    desk = _desk(desk)
    moment = _instant(start, "START")
    calendar = queries.calendar_for(desk)
    try:
        length = parse_duration(duration, calendar.business_day)
        end = calendar.add(moment, length)
    except CalendarError:
        _fail(f"ugyldig varighet {duration!r}: bruk for eksempel 4h, 90m, 2d eller 1h30m / "
              f"invalid duration {duration!r}: use for example 4h, 90m, 2d or 1h30m")
    click.echo(end.astimezone(OSLO).isoformat())


@calendar_cli.command("between")
@click.argument("desk")
@click.argument("start")
@click.argument("end")
def calendar_between(desk: str, start: str, end: str) -> None:
    """Whole business minutes from START to END (negative when END comes first)."""
    desk = _desk(desk)
    first, last = _instant(start, "START"), _instant(end, "END")
    calendar = queries.calendar_for(desk)
    try:
        minutes = calendar.between(first, last) if last >= first else -calendar.between(last, first)
    except CalendarError:
        _fail("skranken er aldri åpen / the desk is never open")
    click.echo(str(minutes))


@sla_cli.command("tick")
def tick() -> None:
    """Record SLA warnings and breaches that have come due, once each (cron, every minute;
    safe when two run at once)."""
    from app.accounts.services import system_user

    report = services.tick(actor=system_user())
    for ref, kind in report.recorded:
        click.echo(f"{ref}\t{kind}")
    click.echo(f"checked {report.checked}, recorded {len(report.recorded)}", err=True)


@sla_cli.command("policy")
@click.argument("priority", type=click.Choice([p.value for p in Priority]))
@click.option("--first-response", "first", required=True, help="Target like 4h, 90m or 1d.")
@click.option("--resolution", required=True, help="Target like 3d.")
@click.option("--municipality", default=None, help="Only cases of this municipality (code).")
@click.option("--category", default=None, help="Only cases of this category.")
@click.option("--warning", default=80, show_default=True, help="Warn at this percentage of the target.")
@click.option("--name", default="", help="The name people see (default: the priority).")
def policy(priority: str, first: str, resolution: str, municipality: str | None, category: str | None,
           warning: int, name: str) -> None:
    """Create or change the SLA policy for PRIORITY (a day is 7 h 30 min, the default hours)."""
    from app.accounts.services import system_user

    try:
        first_minutes, resolution_minutes = target_minutes(first), target_minutes(resolution)
    except CalendarError:
        _fail("ugyldig varighet: bruk for eksempel 4h, 90m eller 3d / invalid duration: use for example 4h, 90m or 3d")
    try:
        saved = services.save_policy(
            name=name, priority=priority, first_response_minutes=first_minutes,
            resolution_minutes=resolution_minutes, municipality_code=municipality, category=category,
            warning_percent=warning, actor=system_user(),
        )
    except DomainError as error:
        _fail(str(error.message))
    click.echo(f"{saved.id}\t{saved.name}\t{saved.first_response_minutes}\t{saved.resolution_minutes}")


@sla_cli.command("policies")
def policies() -> None:
    """List the SLA policies: id, priority, municipality, category, targets in minutes, warning %."""
    for p in queries.policies():
        code = p.municipality.code if p.municipality else "-"
        click.echo(f"{p.id}\t{p.priority.value}\t{code}\t{p.category or '-'}\t{p.first_response_minutes}\t"
                   f"{p.resolution_minutes}\t{p.warning_percent}%\t{'active' if p.is_active else 'inactive'}\t{p.name}")
