"""Keyset pages forwards and backwards: the same rows in the same order either way."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.tickets import queries
from app.tickets.queries import TicketFilter
from tests.factories import make_ticket


@pytest.fixture
def seven(world):  # type: ignore[no-untyped-def]
    return [make_ticket(world.employee, subject=f"Sak nummer {n}").ref for n in range(1, 8)]


def _refs(page: queries.Page) -> list[str]:
    return [t.ref for t in page.items]


@pytest.mark.parametrize("sort", ["-created", "created"])
def test_previous_page_gives_back_the_page_before(world, seven, sort) -> None:
    order = list(reversed(seven)) if sort == "-created" else seven
    filters = TicketFilter(queue="gran-forstelinje", sort=sort)

    first = queries.list_tickets(world.agent, filters, limit=3)
    second = queries.list_tickets(world.agent, filters, cursor=first.next_cursor, limit=3)
    third = queries.list_tickets(world.agent, filters, cursor=second.next_cursor, limit=3)
    back_to_second = queries.list_tickets(world.agent, filters, cursor=third.prev_cursor, limit=3)
    back_to_first = queries.list_tickets(world.agent, filters, cursor=back_to_second.prev_cursor, limit=3)

    assert (_refs(first), _refs(second), _refs(third)) == (order[:3], order[3:6], order[6:])
    assert first.prev_cursor is None and third.next_cursor is None
    assert _refs(back_to_second) == order[3:6]
    assert back_to_second.next_cursor is not None and back_to_second.prev_cursor is not None
    assert _refs(back_to_first) == order[:3]
    assert back_to_first.prev_cursor is None
    assert _refs(queries.list_tickets(world.agent, filters, cursor=back_to_second.next_cursor, limit=3)) == order[6:]


def test_going_back_near_the_start_gives_the_full_first_page(world, seven) -> None:
    filters = TicketFilter(queue="gran-forstelinje")
    first = queries.list_tickets(world.agent, filters, limit=3)
    # A page that starts one row down: its "previous" holds only one row, so the first page comes.
    shifted = queries.list_tickets(world.agent, filters, cursor=queries.encode_cursor(
        first.items[0].created_at, first.items[0].id), limit=3)

    back = queries.list_tickets(world.agent, filters, cursor=shifted.prev_cursor, limit=3)

    assert _refs(back) == _refs(first)
    assert back.prev_cursor is None


def test_a_tampered_cursor_is_refused(world, seven) -> None:
    import base64

    bad = base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", 3, "x"]').decode().rstrip("=")
    with pytest.raises(Invalid) as refused:
        queries.list_tickets(world.agent, TicketFilter(), cursor=bad)
    assert refused.value.field == "cursor"


def test_api_pages_carry_a_previous_cursor(api, world, seven) -> None:
    client = api.as_(world.agent)
    first = client.get("/api/v1/tickets?queue=gran-forstelinje&limit=4").json
    second = client.get(f"/api/v1/tickets?queue=gran-forstelinje&limit=4&cursor={second_cursor(first)}").json
    back = client.get(f"/api/v1/tickets?queue=gran-forstelinje&limit=4&cursor={second['prev_cursor']}").json

    assert first["prev_cursor"] is None
    assert [t["ref"] for t in back["items"]] == [t["ref"] for t in first["items"]]


def second_cursor(page: dict) -> str:
    assert page["next_cursor"]
    return str(page["next_cursor"])
