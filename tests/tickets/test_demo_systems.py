"""`demo load` gives a good share of the demo cases a business system, so the case pages show
go-to colleagues and the suggested courses count cases by system; loading twice adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import utcnow
from app.extensions import db
from app.tickets.models import EventKind, Ticket, TicketEvent
from app.training import queries as training


def _with_system() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.system.is_not(None))) or 0)


def _changes() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent).where(
        TicketEvent.kind == EventKind.SYSTEM_CHANGED)) or 0)


def test_demo_cases_get_systems_once_and_gerica_is_suggested_by_its_cases(runner) -> None:
    first = runner.invoke(args=["demo", "load"])
    counts = (_with_system(), _changes())
    second = runner.invoke(args=["demo", "load"])

    assert first.exit_code == 0 and second.exit_code == 0, first.output
    total = int(db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)
    assert counts[0] >= total // 3 and counts[1] >= 10
    assert (_with_system(), _changes()) == counts
    gerica = next(s for s in training.suggested_courses(utcnow()) if s.topic == "Gerica")
    assert gerica.cases == 5
    # Gerica's go-to colleague: the demo trainer, on the roster as its super-user (app/demo/training.py).
    assert [e.user.email for e in training.roster_for_case("gerica", "", None)] == ["kursholder@gran.kommune.example"]
