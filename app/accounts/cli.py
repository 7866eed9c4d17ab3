"""Commands for municipalities, users and API tokens."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.accounts import queries, services
from app.accounts.models import Role
from app.errors import DomainError

municipality_cli = AppGroup("municipality", help="Municipalities of the cooperation.")
users_cli = AppGroup("users", help="User administration.")
token_cli = AppGroup("token", help="API bearer tokens.")

ROLE_CHOICE = click.Choice([r.value for r in Role])


def _fail(error: DomainError) -> None:
    click.echo(f"error: {error.message}", err=True)
    sys.exit(1)


@municipality_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--domain", "domains", multiple=True, help="Email domain of its staff (repeatable).")
@click.option("--phone", "phones", multiple=True, help="The desk's phone number (repeatable).")
def municipality_add(code: str, name: str, domains: tuple[str, ...], phones: tuple[str, ...]) -> None:
    """Add a municipality with its first-line queue (one transaction)."""
    try:
        municipality = services.create_municipality(
            code, name, domains=domains, phones=phones, actor=services.system_user()
        )
    except DomainError as error:
        _fail(error)
    click.echo(municipality.code)


@municipality_cli.command("list")
def municipality_list() -> None:
    for m in queries.municipalities():
        click.echo(f"{m.code}\t{m.name}\t{','.join(d.domain for d in m.domains)}")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="Full name.")
@click.option("--role", "roles", multiple=True, type=ROLE_CHOICE, default=["employee"], show_default=True)
@click.option("--municipality", "municipality_code", default=None, help="Code, e.g. GRA.")
@click.option("--password", default=None, help="Prompted for when --prompt-password is given.")
@click.option("--prompt-password", is_flag=True)
@click.option("--locale", default="nb", type=click.Choice(["nb", "en"]))
@click.option("--phone", default=None, help="Mobile number (Norwegian without +47 is fine).")
def users_create(email: str, name: str, roles: tuple[str, ...], municipality_code: str | None,
                 password: str | None, prompt_password: bool, locale: str,
                 phone: str | None) -> None:
    """Create a user."""
    if prompt_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, name=name, roles=roles, municipality_code=municipality_code,
                                    password=password, locale=locale, phone=phone,
                                    actor=services.system_user())
    except DomainError as error:
        _fail(error)
    click.echo(user.email)


@users_cli.command("set-roles")
@click.argument("email")
@click.argument("roles", nargs=-1, type=ROLE_CHOICE, required=True)
def users_set_roles(email: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles."""
    try:
        user = services.update_user(email, roles=roles, actor=services.system_user())
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.email}\t{','.join(sorted(r.value for r in user.roles))}")


@users_cli.command("set-phone")
@click.argument("email")
@click.argument("number")
def users_set_phone(email: str, number: str) -> None:
    """Set a user's mobile number (E.164 is printed); "" clears it."""
    try:
        user = services.set_phone(email, number, actor=services.system_user())
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.email}\t{user.phone or '-'}")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password", default=None)
def users_set_password(email: str, password: str | None) -> None:
    """Set a user's password (prompted when not given)."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        services.set_password(email, password or "", actor=services.system_user())
    except DomainError as error:
        _fail(error)
    click.echo("ok")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Deactivate a user: they can no longer log in or use tokens."""
    try:
        services.update_user(email, is_active=False, actor=services.system_user())
    except DomainError as error:
        _fail(error)
    click.echo("ok")


@users_cli.command("list")
@click.option("--municipality", "municipality_code", default=None)
@click.option("--role", default=None, type=ROLE_CHOICE)
def users_list(municipality_code: str | None, role: str | None) -> None:
    municipality_id = None
    if municipality_code:
        municipality = queries.municipality_by_code(municipality_code)
        if municipality is None:
            click.echo(f"error: no municipality {municipality_code}", err=True)
            sys.exit(1)
        municipality_id = municipality.id
    after = None
    while True:
        batch = queries.users(municipality_id=municipality_id, role=Role(role) if role else None,
                              after_id=after, limit=500)
        for user in batch:
            code = user.municipality.code if user.municipality else "-"
            click.echo(f"{user.email}\t{user.name}\t{code}\t{','.join(sorted(r.value for r in user.roles))}")
        if len(batch) < 500:
            break
        after = batch[-1].id


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", help="What the token is for.")
def token_create(email: str, name: str) -> None:
    """Create a bearer token for EMAIL; the token is the last line printed."""
    try:
        _token, raw = services.create_token(email, name=name, actor=services.system_user())
    except DomainError as error:
        _fail(error)
    click.echo(f"Token for {email} (shown once):")
    click.echo(raw)


@users_cli.command("reseal-secrets")
def users_reseal_secrets() -> None:
    """Seal every authenticator secret again under the newest SAMDESK_SEAL_KEYS key."""
    from app.accounts import mfa

    done = mfa.reseal(actor=services.system_user())
    click.echo(f"{done} sealed again under the newest key")
