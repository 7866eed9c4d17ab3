"""Who the benchmark acts as and what it asks for (shared by bench.run and bench.plans)."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.tickets import policy, queries
from app.tickets.models import Queue, Status, Ticket

FIRST_LINE_AGENT = "forstelinje@gran.kommune.example"
FIRST_LINE_QUEUE = "gran-forstelinje"
SECOND_LINE_AGENT = "andrelinje@ikt-hadeland.example"
SECOND_LINE_QUEUE = "andrelinje"
# Employees who file cases through the API in the creation run (one token each).
EMPLOYEES = [
    "ansatt@gran.kommune.example", "ansatt2@gran.kommune.example",
    "ansatt@lunner.kommune.example", "ansatt2@lunner.kommune.example",
    "ansatt@jevnaker.kommune.example", "ansatt2@jevnaker.kommune.example",
]
OPEN = (Status.NEW, Status.OPEN, Status.WAITING)
# A common word (a tenth of the subjects), a system name (a few percent), a rare word (0.05 %),
# and a word in no subject at all.
SEARCH_TERMS = ("skriveren", "gerica", "hjertestarter", "ingenting-her")
DEEP_FRACTION = 0.9


def deep_cursor(user: User, queue_slug: str, fraction: float = DEEP_FRACTION) -> str:
    """A cursor pointing ``fraction`` of the way down the user's list of the queue (computed
    once with OFFSET, outside the timings, as if the agent had followed next_cursor that far)."""
    queue = db.session.scalar(sa.select(Queue).where(Queue.slug == queue_slug))
    assert queue is not None
    base = sa.select(Ticket.created_at, Ticket.id).where(Ticket.queue_id == queue.id, policy.visible_to(user))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    row = db.session.execute(
        base.order_by(Ticket.created_at.desc(), Ticket.id.desc()).offset(int(total * fraction)).limit(1)
    ).one()
    return queries.encode_cursor(row.created_at, row.id)
