"""`demo load` shows training: two courses with sessions and material, a waiting list,
nabohjelp and go-to colleagues; loading twice adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.training import queries
from app.training.models import Course, CourseSession, Enrolment, NeighbourHelp


def _count(model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_demo_load_adds_courses_sessions_material_and_nabohjelp_once(runner) -> None:
    first = runner.invoke(args=["demo", "load"])
    counts = [_count(m) for m in (Course, CourseSession, Enrolment, NeighbourHelp)]
    second = runner.invoke(args=["demo", "load"])

    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert counts == [2, 3, 5, 5]
    assert [_count(m) for m in (Course, CourseSession, Enrolment, NeighbourHelp)] == counts
    elements = next(c for c in queries.courses() if c.title == "Elements for saksbehandlere")
    assert [(m.kind.value, m.current_version) for m in queries.materials(elements.id)] == [("page", 2), ("article", 1)]
    waiting = db.session.scalars(sa.select(Enrolment).where(Enrolment.status == "waiting")).all()
    assert len(waiting) == 1 and queries.waiting_rank(waiting[0]) == 1
    assert {e.system for e in queries.roster()} == {"Elements", "Visma Flyt Skole", "Visma", "Gerica"}  # Gerica also from app/demo/systems.py
    # The demo trainer is the super-user for Visma and Gerica: she sees the Gerica draft, others do not.
    from app.accounts import queries as accounts
    from app.knowledge import queries as knowledge

    trainer = accounts.user_by_email("kursholder@gran.kommune.example")
    employee = accounts.user_by_email("ansatt@gran.kommune.example")
    assert trainer is not None and employee is not None
    assert queries.systems_of(trainer.id) == {"elements", "visma", "gerica"}
    drafts = knowledge.list_articles(trainer, status="draft").items
    assert [a.title for a in drafts] == ["Gerica: legge inn ny tiltaksplan"]
    assert knowledge.list_articles(employee, status="draft").items == []
