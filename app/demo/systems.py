"""Demo: business systems (fagsystem) on the demo cases, so the case pages show their go-to
colleagues and the trainers' suggested courses count cases by system (issue 11, ADR 0095).

Built through the use cases: the cases that name a system get it from ``set_system`` as the
system user (their history says so), and a handful of home-care cases about Gerica are filed
with it, enough for Gerica to be suggested as a course. Idempotent: a case that already has a
system, or a Gerica case that exists, is left alone."""

from __future__ import annotations

from app.accounts import queries as accounts_queries
from app.accounts.services import system_user
from app.tickets import queries as ticket_queries
from app.tickets import services as tickets
from app.tickets.models import Channel, Status
from app.training import queries as training_queries
from app.training import services as training

# The demo cases of app/demo/data.py that are about a business system, by subject.
SYSTEMS = {
    "Får ikke logget inn i Visma etter passordbytte": "Visma",
    "Utskrift av lønnsslipp": "Visma",
    "Ny ansatt i hjemmetjenesten trenger tilgang til Gerica": "Gerica",
    "Teams-møter hakker på hjemmekontor": "Teams",
    "Ønsker opplæring i Teams for hele avdelingen": "Teams",
    "Kameraet på PC-en virker ikke i Teams": "Teams",
    "Excel krasjer når jeg åpner budsjettmalen": "Excel",
    "Kan ikke åpne vedlegg i Elements (sak/arkiv)": "Elements",
    "Kan ikke signere i Elements": "Elements",
    "Kan ikke logge inn på Visma Flyt Skole": "Visma Flyt Skole",
    "Outlook ber om passord hele tiden": "Outlook",
    "Hvordan setter jeg opp fraværsmelding?": "Outlook",
    "Tilgang til felles postkasse for servicetorget": "Outlook",
    "Ønsker tilgang til Power BI": "Power BI",
    "Stor forsinkelse i Citrix": "Citrix",
}

# Questions about using Gerica from Gran's home care: with the access case above, five cases.
GERICA_CASES = [
    ("Hvordan registrerer jeg et nytt vedtak i Gerica?", "Jeg finner ikke hvor vedtaket skal inn."),
    ("Finner ikke tiltaksplanen i Gerica", "Den var der i går, nå er fanen borte."),
    ("Gerica viser feil brukerliste på nattevakt", "Listen viser dagvaktens brukere."),
    ("Hvordan skriver jeg ut arbeidslisten fra Gerica?", "Utskriftsknappen gir bare en tom side."),
]


def _case(subject: str) -> object | None:
    actor = system_user()
    page = ticket_queries.list_tickets(actor, ticket_queries.TicketFilter(q=subject), limit=10)
    return next((t for t in page.items if t.subject == subject), None)


def load() -> dict[str, int]:
    actor = system_user()
    named = 0
    for subject, system in SYSTEMS.items():
        ticket = _case(subject)
        if ticket is None or ticket.system or ticket.status is Status.CLOSED:  # type: ignore[attr-defined]
            continue
        tickets.set_system(ticket.ref, system, actor=actor)  # type: ignore[attr-defined]
        named += 1
    requester = accounts_queries.user_by_email("ansatt2@gran.kommune.example")
    if requester is not None:
        for subject, body in GERICA_CASES:
            if _case(subject) is None:
                tickets.create_ticket(subject=subject, body=body, actor=requester, channel=Channel.WEB,
                                      category="business_system", system="Gerica")
                named += 1
        if not training_queries.roster(system="Gerica"):
            training.add_to_roster(system="Gerica", unit="Hjemmetjenesten", email="ansatt@gran.kommune.example",
                                   actor=actor)
    return {"cases_with_system": named}
