"""Test data, made through the services so that it is valid the way real data is."""

from __future__ import annotations

import itertools
from typing import Any

from app.accounts import queries as account_queries
from app.accounts import services as accounts
from app.accounts.models import Municipality, Role, User
from app.tickets import queries as ticket_queries
from app.tickets import services as tickets
from app.tickets.models import Ticket

NAMES = {"GRA": ("Gran", "gran"), "LUN": ("Lunner", "lunner"), "JEV": ("Jevnaker", "jevnaker")}
PASSWORD = "riktig-passord-123"
_seq = itertools.count(1)
_tokens: dict[int, str] = {}


def make_municipality(code: str = "GRA") -> Municipality:
    existing = account_queries.municipality_by_code(code)
    if existing is not None:
        return existing
    name, slug = NAMES.get(code, (code.title(), code.lower()))
    return accounts.create_municipality(code, name, domains=[f"{slug}.kommune.example"],
                                        first_line_slug=f"{slug}-forstelinje", actor=accounts.system_user())


def make_pool() -> None:
    if ticket_queries.queue_by_slug("andrelinje") is None:
        tickets.create_queue("andrelinje", name="Felles andrelinje", kind="second_line", actor=accounts.system_user())
        tickets.create_queue("andrelinje-fagsystem", name="Andrelinje fagsystemer", kind="second_line", actor=accounts.system_user())
        tickets.create_queue("mottak", name="Mottak", kind="second_line", is_triage=True, actor=accounts.system_user())


def make_user(
    role: Role | str = Role.EMPLOYEE, municipality: str | None = "GRA", *, email: str | None = None,
    roles: list[Role | str] | None = None, password: str | None = PASSWORD, **kwargs: Any,
) -> User:
    if municipality:
        make_municipality(municipality)
    n = next(_seq)
    if email is None:
        domain = f"{NAMES[municipality][1]}.kommune.example" if municipality in NAMES else "ikt-hadeland.example"
        email = f"{Role(role).value.replace('_', '')}{n}@{domain}"
    return accounts.create_user(
        email, name=kwargs.pop("name", f"Bruker {n}"), roles=roles or [role],
        municipality_code=municipality, password=password, actor=accounts.system_user(), **kwargs,
    )


def make_ticket(requester: User, *, subject: str = "Skriveren virker ikke", body: str = "Den skriver blanke ark.", **kwargs: Any) -> Ticket:
    make_pool()
    actor = kwargs.pop("actor", requester)
    return tickets.create_ticket(subject=subject, body=body, actor=actor, requester=requester, **kwargs)


def token_for(user: User) -> str:
    if user.id not in _tokens or account_queries.user_for_token(_tokens[user.id]) is None:
        _token, raw = accounts.create_token(user.email, name="test", actor=accounts.system_user())
        _tokens[user.id] = raw
    return _tokens[user.id]


def make_world() -> Any:
    from tests.conftest import World

    for code in ("GRA", "LUN", "JEV"):
        make_municipality(code)
    make_pool()
    return World(
        employee=make_user(Role.EMPLOYEE, "GRA", email="ansatt@gran.kommune.example", name="Anne Ansatt"),
        employee2=make_user(Role.EMPLOYEE, "GRA", email="ansatt2@gran.kommune.example"),
        agent=make_user(Role.FIRST_LINE, "GRA", email="forstelinje@gran.kommune.example", name="Frida Førstelinje"),
        agent2=make_user(Role.FIRST_LINE, "GRA", email="forstelinje2@gran.kommune.example"),
        manager=make_user(Role.MANAGER, "GRA", email="leder@gran.kommune.example"),
        lun_employee=make_user(Role.EMPLOYEE, "LUN", email="ansatt@lunner.kommune.example"),
        lun_agent=make_user(Role.FIRST_LINE, "LUN", email="forstelinje@lunner.kommune.example"),
        lun_manager=make_user(Role.MANAGER, "LUN", email="leder@lunner.kommune.example"),
        second=make_user(Role.SECOND_LINE, None, email="andrelinje@ikt-hadeland.example", name="Arne Andrelinje"),
        second2=make_user(Role.SECOND_LINE, None, email="andrelinje2@ikt-hadeland.example"),
        admin=make_user(Role.ADMIN, None, email="admin@samdesk.example"),
        trainer=make_user(Role.TRAINER, "GRA", roles=[Role.TRAINER, Role.EMPLOYEE], email="kursholder@gran.kommune.example"),
    )
