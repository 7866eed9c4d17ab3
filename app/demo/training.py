"""Demo data for training: two courses with sessions and material, enrolments with a waiting
list, nabohjelp and go-to colleagues. Built through training's services, acting as the demo
trainer, employees and managers; idempotent (a course that exists is left as it is)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.accounts import queries as accounts
from app.accounts.models import User
from app.db import utcnow
from app.knowledge import queries as knowledge
from app.training import ics, queries, services

PAGE_V1 = """# Før kurset

- Ta med bærbar PC og lader.
- Sjekk at du kan logge inn i Elements.
"""
PAGE_V2 = PAGE_V1 + """- Ha med en sak du står fast i, så løser vi den sammen.

| Del | Tema |
| --- | --- |
| 1 | Journalføring |
| 2 | Avskriving og arkiv |
"""


def _user(email: str) -> User:
    user = accounts.user_by_email(email)
    assert user is not None, email
    return user


def _at(days: int, hour: int) -> datetime:
    """A time ``days`` from now at ``hour`` o'clock in Oslo."""
    local = ics.to_oslo(utcnow()) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def load_super_users() -> None:
    """The super-users' systems, on the roster (the one place the knowledge base asks, ADR
    0097): the demo trainer answers for Visma and Gerica, and edits their help articles."""
    trainer = _user("kursholder@gran.kommune.example")
    mine = queries.systems_of(trainer.id)
    for system, unit in (("Visma", "Lønn og personal"), ("Gerica", "Helse og omsorg")):
        if queries.system_key(system) not in mine:
            services.add_to_roster(system=system, unit=unit, email=trainer.email,
                                   actor=_user("leder@gran.kommune.example"))


def load() -> dict[str, int]:
    load_super_users()
    titles = {c.title for c in queries.courses()}
    if "Elements for saksbehandlere" in titles:
        return {"courses": 0}
    trainer = _user("kursholder@gran.kommune.example")
    elements = services.create_course(
        title="Elements for saksbehandlere", audience="Saksbehandlere i alle tre kommunene",
        description="Journalføring, avskriving og arkiv i Elements, med egne saker som eksempler.",
        systems=["Elements"], trainers=[trainer.email], actor=trainer,
    )
    open_day = services.add_session(
        elements.id, starts_at=_at(10, 9), ends_at=_at(10, 12), capacity=8,
        place="Gran rådhus, møterom Lygna", municipality=None, cancel_deadline_hours=48, actor=trainer,
    )
    lunner_day = services.add_session(
        elements.id, starts_at=_at(20, 13), ends_at=_at(20, 15), capacity=2, place="",
        video_url="https://meet.example/elements-lunner", municipality="LUN", cancel_deadline_hours=24,
        actor=trainer,
    )
    page = services.publish_page(elements.id, title="Huskeliste før kurset", body_md=PAGE_V1, actor=trainer)
    services.publish_page(elements.id, title="Huskeliste før kurset", body_md=PAGE_V2,
                          material_id=page.material_id, actor=trainer)
    article = knowledge.article_by_title("Personopplysninger i e-post og Teams")
    if article is not None:  # a starter article (app/demo/knowledge.py), loaded before this
        services.link_article(elements.id, article_id=article.id, title="Personopplysninger i e-post og Teams",
                              actor=trainer)

    teams = services.create_course(
        title="Teams og OneDrive i hverdagen", audience="Alle ansatte",
        description="Møter, deling av filer og samarbeid i Teams og OneDrive.",
        systems=["Teams", "OneDrive"], trainers=[trainer.email], actor=trainer,
    )
    services.add_session(teams.id, starts_at=_at(14, 10), ends_at=_at(14, 11), capacity=12,
                         place="Jevnaker rådhus, kantina", actor=trainer)

    services.enrol(open_day.id, actor=_user("ansatt@gran.kommune.example"))
    services.enrol(open_day.id, actor=_user("ansatt@jevnaker.kommune.example"))
    for email in ("ansatt@lunner.kommune.example", "ansatt2@lunner.kommune.example",
                  "forstelinje@lunner.kommune.example"):
        services.enrol(lunner_day.id, actor=_user(email))  # the third goes on the waiting list

    for helper, helped, topic, system, minutes, unit in [
        ("ansatt@gran.kommune.example", "ansatt2@gran.kommune.example", "Journalføre e-post", "Elements", 30, "Plan og bygg"),
        ("kursholder@gran.kommune.example", "ansatt@gran.kommune.example", "Avskrive restanser", "Elements", 45, "Oppvekst"),
        ("ansatt2@lunner.kommune.example", "ansatt@lunner.kommune.example", "Fraværsføring", "Visma Flyt Skole", 40, "Skole"),
        ("ansatt@jevnaker.kommune.example", "ansatt2@jevnaker.kommune.example", "Dele filer med eksterne", "OneDrive", 15, "Helse"),
        ("ansatt@lunner.kommune.example", "ansatt2@lunner.kommune.example", "Karakterer og vurdering", "Visma Flyt Skole", 35, "Skole"),
    ]:
        services.record_help(helped_email=helped, topic=topic, system=system, minutes=minutes, unit=unit,
                             actor=_user(helper))

    services.add_to_roster(system="Elements", unit="Arkiv", email=trainer.email,
                           actor=_user("leder@gran.kommune.example"))
    services.add_to_roster(system="Visma Flyt Skole", unit="Skole", email="ansatt2@lunner.kommune.example",
                           actor=_user("leder@lunner.kommune.example"))
    return {"courses": 2}
