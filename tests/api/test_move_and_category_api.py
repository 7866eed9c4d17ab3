"""Agents move a case to another queue and change its category through the API: the change, its
history row, and the refusals (403 for those who cannot work the case, 404 for those who cannot
see it, 400 naming the field for bad input), with nothing changed when refused."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.tickets.models import EventKind, Ticket, TicketEvent
from tests.factories import make_ticket


def _last_event(ticket_id: int) -> TicketEvent:
    return db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id.desc())
    ).first()  # type: ignore[return-value]


def test_second_line_agent_moves_a_case_between_pooled_queues_with_a_history_row(api, world) -> None:
    ticket = make_ticket(world.employee)
    api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/escalate", json={"note": "Fagsystem"})

    response = api.as_(world.second).post(
        f"/api/v1/tickets/{ticket.ref}/move", json={"queue": "andrelinje-fagsystem", "note": "Riktig kø"}
    )

    assert response.status_code == 200, response.json
    assert response.json["queue"]["slug"] == "andrelinje-fagsystem"
    assert response.json["assignee"] is None
    event = _last_event(ticket.id)
    assert (event.kind, event.before, event.after, event.note) == (
        EventKind.MOVED, "andrelinje", "andrelinje-fagsystem", "Riktig kø"
    )
    assert event.actor_id == world.second.id


def test_first_line_moving_to_the_second_line_escalates_and_needs_a_note(api, world) -> None:
    ticket = make_ticket(world.employee)

    refused = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/move", json={"queue": "andrelinje"})
    moved = api.as_(world.agent).post(
        f"/api/v1/tickets/{ticket.ref}/move", json={"queue": "andrelinje", "note": "Trenger andrelinje"}
    )

    assert refused.status_code == 400
    assert refused.json["error"]["field"] == "note"
    assert moved.status_code == 200
    assert _last_event(ticket.id).kind is EventKind.ESCALATED


def test_move_to_another_municipalitys_first_line_is_400_and_changes_nothing(api, world) -> None:
    ticket = make_ticket(world.employee)

    response = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/move", json={"queue": "lunner-forstelinje"})
    unknown = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/move", json={"queue": "finnes-ikke"})
    same = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/move", json={"queue": "gran-forstelinje"})

    assert [r.status_code for r in (response, unknown, same)] == [400, 400, 400]
    assert {r.json["error"]["field"] for r in (response, unknown, same)} == {"queue"}
    assert response.json["error"]["message"] == "En sak kan bare gå til førstelinjen i sin egen kommune."
    assert db.session.get(Ticket, ticket.id).queue.slug == "gran-forstelinje"  # type: ignore[union-attr]


def test_move_without_a_queue_is_400_naming_the_field(api, world) -> None:
    ticket = make_ticket(world.employee)

    response = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/move", json={"note": "Hvor?"})

    assert response.status_code == 400
    assert response.json["error"]["field"] == "queue"


def test_requester_and_manager_may_not_move_or_change_category(api, world) -> None:
    ticket = make_ticket(world.employee)
    for user in (world.employee, world.manager):
        move = api.as_(user).post(f"/api/v1/tickets/{ticket.ref}/move", json={"queue": "andrelinje", "note": "x"})
        category = api.as_(user).post(f"/api/v1/tickets/{ticket.ref}/category", json={"category": "network"})
        assert (move.status_code, category.status_code) == (403, 403)
    ticket = db.session.get(Ticket, ticket.id, populate_existing=True)
    assert (ticket.queue.slug, ticket.category) == ("gran-forstelinje", None)  # type: ignore[union-attr]


def test_hidden_case_is_404_for_move_and_category(api, world) -> None:
    ticket = make_ticket(world.employee)

    move = api.as_(world.lun_agent).post(f"/api/v1/tickets/{ticket.ref}/move", json={"queue": "andrelinje", "note": "x"})
    category = api.as_(world.lun_agent).post(f"/api/v1/tickets/{ticket.ref}/category", json={"category": "network"})

    assert (move.status_code, category.status_code) == (404, 404)


def test_agent_changes_and_removes_the_category_with_history_rows(api, world) -> None:
    ticket = make_ticket(world.employee, category="printing")

    changed = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/category", json={"category": "network"})
    assert changed.status_code == 200 and changed.json["category"] == "network"
    event = _last_event(ticket.id)
    assert (event.kind, event.before, event.after) == (EventKind.CATEGORY_CHANGED, "printing", "network")

    removed = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/category", json={"category": None})
    assert removed.status_code == 200 and removed.json["category"] is None
    assert (_last_event(ticket.id).before, _last_event(ticket.id).after) == ("network", None)


def test_unknown_category_is_400_naming_the_field(api, world) -> None:
    ticket = make_ticket(world.employee)

    response = api.as_(world.agent).post(f"/api/v1/tickets/{ticket.ref}/category", json={"category": "kaffe"})

    assert response.status_code == 400
    assert response.json["error"]["field"] == "category"
    assert db.session.get(Ticket, ticket.id).category is None  # type: ignore[union-attr]
