"""Other domains follow a ticket's history through hooks: every recorded event reaches them,
inside the change's own transaction."""

from __future__ import annotations

from app.tickets import hooks
from app.tickets import services as tickets
from app.tickets.models import EventKind
from tests.factories import make_ticket


def test_a_listener_sees_every_event_of_a_change(world):
    seen = []

    def listener(ticket, event):
        seen.append((ticket.ref if ticket.id else None, event.kind))

    hooks.subscribe(listener)
    try:
        ticket = make_ticket(world.employee)
        tickets.claim(ticket.ref, actor=world.agent)
    finally:
        hooks._listeners.remove(listener)
    kinds = [kind for _ref, kind in seen]
    assert kinds[0] is EventKind.CREATED
    assert EventKind.CLAIMED in kinds
