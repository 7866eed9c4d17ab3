"""Property tests over the services with arbitrary Unicode (NUL, lone surrogates, control
characters, very long text): a service either succeeds and stores clean text, or refuses with a
domain error and leaves the data as it was. Never another exception (a 500 on the web)."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts import services as accounts
from app.accounts.models import User
from app.errors import DomainError
from app.extensions import db
from app.tickets import services
from app.tickets.models import Message, Ticket, TicketEvent
from tests.factories import make_ticket

SETTINGS = settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any code point, surrogates included, with the awkward ones made likely.
ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from(["\x00", "\ud800", "\udfff", "\r", "\n", "\t", "\u202e", "\ufeff", "æ", "ø", "å", " "]),
    ),
    max_size=300,
)


def _is_clean(text: str) -> bool:
    return all(ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs") for ch in text)


def _snapshot() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Ticket, Message, TicketEvent, User)
    )


@SETTINGS
@given(subject=ANY_TEXT, body=ANY_TEXT)
def test_create_ticket_stores_clean_text_or_refuses_cleanly(world, subject, body) -> None:
    before = _snapshot()
    try:
        ticket = services.create_ticket(subject=subject, body=body, actor=world.employee)
    except DomainError as error:
        assert error.status in (400, 413)
        assert _snapshot() == before
        return
    stored = db.session.scalar(sa.select(Ticket.subject).where(Ticket.id == ticket.id))
    assert stored and _is_clean(stored) and len(stored) <= 200
    text = db.session.scalar(sa.select(Message.body).where(Message.ticket_id == ticket.id))
    assert _is_clean(text)


@SETTINGS
@given(body=ANY_TEXT, internal=st.booleans())
def test_reply_stores_clean_text_or_refuses_cleanly(world, body, internal) -> None:
    ticket = make_ticket(world.employee) if not db.session.scalar(sa.select(Ticket.ref)) else None
    ref = ticket.ref if ticket else db.session.scalar(sa.select(Ticket.ref))
    before = _snapshot()
    try:
        message = services.reply(ref, body=body, internal=internal, actor=world.agent)
    except DomainError:
        assert _snapshot() == before
        return
    assert _is_clean(db.session.scalar(sa.select(Message.body).where(Message.id == message.id)))


@SETTINGS
@given(note=ANY_TEXT)
def test_escalate_note_is_clean_or_refused(world, note) -> None:
    ticket = make_ticket(world.employee)
    before = _snapshot()
    try:
        services.escalate(ticket.ref, note=note, actor=world.agent)
    except DomainError as error:
        assert error.field == "note"
        assert _snapshot() == before
        assert db.session.scalar(sa.select(Ticket.was_pooled).where(Ticket.id == ticket.id)) is False
        return
    stored = db.session.scalars(
        sa.select(TicketEvent.note).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id.desc())
    ).first()
    assert stored and _is_clean(stored)


@SETTINGS
@given(ref=ANY_TEXT)
def test_any_reference_is_found_or_not_found(world, ref) -> None:
    try:
        services.open_ticket(ref, actor=world.agent)
    except DomainError as error:
        assert error.status == 404


@SETTINGS
@given(local=ANY_TEXT, name=ANY_TEXT)
def test_create_user_stores_clean_text_or_refuses_cleanly(world, local, name) -> None:
    before = _snapshot()
    try:
        user = accounts.create_user(f"{local}@gran.kommune.example", name=name, municipality_code="GRA",
                                    actor=accounts.system_user())
    except DomainError:
        assert _snapshot() == before
        return
    stored = db.session.execute(sa.select(User.email, User.name).where(User.id == user.id)).one()
    assert _is_clean(stored.email) and _is_clean(stored.name) and stored.name.strip()


@SETTINGS
@given(code=ANY_TEXT, name=ANY_TEXT, domain=ANY_TEXT)
def test_create_municipality_stores_clean_text_or_refuses(world, code, name, domain) -> None:
    try:
        municipality = accounts.create_municipality(code, name, domains=[domain], actor=accounts.system_user())
    except DomainError:
        return
    assert _is_clean(municipality.name) and municipality.code.isascii()


@SETTINGS
@given(q=ANY_TEXT, queue=st.one_of(st.none(), ANY_TEXT), assignee=st.one_of(st.none(), ANY_TEXT),
       municipality=st.one_of(st.none(), ANY_TEXT), system=st.one_of(st.none(), ANY_TEXT))
def test_any_list_filter_answers_a_page_or_refuses(world, q, queue, assignee, municipality, system) -> None:
    from app.tickets import queries

    if not db.session.scalar(sa.select(Ticket.ref)):
        make_ticket(world.employee, subject="Skriveren er tom", system="Visma")
    try:
        page = queries.list_tickets(
            world.agent, queries.TicketFilter(q=q, queue=queue, assignee=assignee, municipality=municipality,
                                              system=system)
        )
    except DomainError as error:
        assert error.status == 400
        return
    assert len(page.items) <= 1


@SETTINGS
@given(email=ANY_TEXT, password=ANY_TEXT)
def test_logging_in_with_any_text_is_a_user_or_none(world, email, password) -> None:
    assert accounts.authenticate(email, password) in (None, world.employee)


@SETTINGS
@given(raw=ANY_TEXT)
def test_any_token_text_is_a_user_or_none(world, raw) -> None:
    from app.accounts import queries as account_queries

    assert account_queries.user_for_token(raw) is None


@SETTINGS
@given(password=ANY_TEXT)
def test_any_new_password_is_hashed_and_then_works_or_is_refused(world, password) -> None:
    try:
        accounts.set_password(world.employee.email, password, actor=accounts.system_user())
    except DomainError as error:
        assert error.field == "password"
        return
    assert accounts.authenticate(world.employee.email, password) == world.employee
