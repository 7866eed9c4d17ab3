"""Service levels in business time: the business calendar (``calendar.py``, pure), opening
hours and local days per desk, SLA policies, each ticket's SLA clock, and deviations (avvik)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Follow every ticket's history with the SLA clock (inside the ticket's transaction)."""
    from app.sla.models import TicketSla
    from app.sla.services import follow_ticket_event
    from app.tickets import hooks, queries

    hooks.subscribe(follow_ticket_event)
    # "Due first" in the queue: keyset paging on (due_sort, ticket id) of the SLA row.
    queries.register_sort("due", queries.JoinedSort(TicketSla, TicketSla.ticket_id, TicketSla.due_sort))

