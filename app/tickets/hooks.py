"""Listeners that follow a ticket's history without the tickets domain importing them.

Another domain (the SLA clock) subscribes once at start-up; :func:`app.tickets.services._record`
calls every listener with the ticket and each new history row, inside the same transaction, so a
listener's own writes commit or roll back with the change. A listener must not commit, and must
cope with a ticket that has no id yet (its ``created`` event comes before the first flush).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.tickets.models import Ticket, TicketEvent

Listener = Callable[["Ticket", "TicketEvent"], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    """Register ``listener`` (idempotent, so a second create_app in tests adds nothing)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def event_recorded(ticket: Ticket, event: TicketEvent) -> None:
    for listener in list(_listeners):
        listener(ticket, event)
