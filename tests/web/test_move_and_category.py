"""The case page lets an agent move a case to another queue and change its category (forms with
CSRF, Norwegian labels); refusals come back next to the field, and the history shows the change."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.tickets import queries, services
from app.tickets.models import EventKind
from tests import factories
from tests.conftest import World
from tests.web.test_views import _events


def test_agent_sees_move_and_category_forms_in_norwegian(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)

    page = as_user(world.agent).get(f"/saker/{ticket.ref}")

    assert "Flytt til kø" in page.text and "Endre kategori" in page.text
    assert f'action="/saker/{ticket.ref}/flytt"' in page.text
    assert 'name="move-csrf_token"' in page.text and 'name="category-csrf_token"' in page.text
    assert "lunner-forstelinje" not in page.text  # another municipality's first line is not offered


def test_requester_sees_neither_form(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)

    page = as_user(world.employee).get(f"/saker/{ticket.ref}")

    assert "Flytt til kø" not in page.text and "Endre kategori" not in page.text


def test_agent_changes_the_category_from_the_case_page(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    browser = as_user(world.agent)
    case = f"/saker/{ticket.ref}"

    response = browser.submit(case, f"{case}/kategori", {"category-category": "network"}, prefix="category")

    assert response.status_code == 302
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).category == "network"  # type: ignore[union-attr]
    assert _events(ticket.id)[-1] is EventKind.CATEGORY_CHANGED
    assert "Nettverk og trådløst" in browser.get(case).text


def test_second_line_moves_a_case_from_the_case_page_with_a_history_row(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    services.escalate(ticket.ref, note="Fagsystem", actor=world.agent)
    browser = as_user(world.second)
    case = f"/saker/{ticket.ref}"

    response = browser.submit(case, f"{case}/flytt", {"move-queue": "andrelinje-fagsystem", "move-note": "Riktig kø"},
                              prefix="move")

    assert response.status_code == 302
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).queue.slug == "andrelinje-fagsystem"  # type: ignore[union-attr]
    assert _events(ticket.id)[-1] is EventKind.MOVED
    assert "Andrelinje fagsystemer" in browser.get(case).text


def test_refused_move_shows_the_error_next_to_the_field(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    browser = as_user(world.agent)
    case = f"/saker/{ticket.ref}"

    response = browser.submit(case, f"{case}/flytt", {"move-queue": "lunner-forstelinje"}, prefix="move")

    assert response.status_code == 400
    assert "En sak kan bare gå til førstelinjen i sin egen kommune." in response.text
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).queue.slug == "gran-forstelinje"  # type: ignore[union-attr]


def test_move_without_csrf_is_refused(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)

    response = as_user(world.agent).client.post(f"/saker/{ticket.ref}/flytt", data={"move-queue": "andrelinje"})

    assert response.status_code == 400
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).queue.slug == "gran-forstelinje"  # type: ignore[union-attr]


def test_outsider_gets_404_on_move_and_category(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee)
    browser = as_user(world.lun_agent)

    move = browser.submit("/saker/ny", f"/saker/{ticket.ref}/flytt", {"move-queue": "andrelinje"}, prefix="move")
    category = browser.submit("/saker/ny", f"/saker/{ticket.ref}/kategori", {"category-category": "network"},
                              prefix="category")

    assert (move.status_code, category.status_code) == (404, 404)
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).category is None  # type: ignore[union-attr]
