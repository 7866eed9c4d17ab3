"""Seeding a benchmark database with many valid tickets, fast.

Creating 200,000 tickets through the services would take most of an hour, so the benchmark
builds its *world* (municipalities, queues, agents, the demo cases) through the services, as
`flask demo load` does, and then adds tickets with bulk inserts: COPY on PostgreSQL,
``executemany`` on SQLite. Every bulk ticket is what the services would have left behind: a
reference from the municipality's counter, a first message from the requester, a ``created``
event, and for those that were worked the claim, the agent's reply, the escalation to the pooled
second line (and the way back), and the status changes with their timestamps. See
docs/adr/0040-benchmark-seeding.md.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.accounts.models import Municipality, Role, User, UserRole
from app.db import utcnow
from app.extensions import db
from app.tickets.models import (
    CATEGORIES,
    Channel,
    EventKind,
    Message,
    Priority,
    Queue,
    QueueKind,
    Status,
    Ticket,
    TicketCounter,
    TicketEvent,
)

# ---------------------------------------------------------------------------------------------
# Vocabulary: realistic Norwegian cases from the three Hadeland municipalities.

SYSTEMS = [
    "Visma Enterprise", "Visma Flyt Skole", "Gerica", "Elements", "Outlook", "Teams", "Excel",
    "Word", "Citrix", "Feide", "OneDrive", "Power BI", "Profil", "Acos WebSak", "Framsikt",
    "WinMed", "Agresso", "Visma Flyt Barnehage", "Kommuneforlaget", "CosDoc", "SvarUt",
]
PLACES = {
    "GRA": ["på Gran rådhus", "på Brandbu ungdomsskole", "på Jaren skole", "på Bjoneroa skole",
            "i hjemmetjenesten i Gran", "på legevakten", "på Gran helsetun", "i Moen barnehage",
            "på Fagerlund skole", "på Trintom skole", "i Sagatun barnehage", "på servicetorget i Gran"],
    "LUN": ["på Lunner rådhus", "på Roa skole", "på Harestua skole", "på Lunner omsorgssenter",
            "i Grua barnehage", "på Lunner ungdomsskole", "på Kalvsjø skole", "i hjemmetjenesten i Lunner",
            "på Lunner barneskole", "på servicetorget på Roa"],
    "JEV": ["på Jevnaker rådhus", "på Jevnaker sykehjem", "på Jevnaker skole", "i Bergerbakken",
            "på Jevnaker ungdomsskole", "i Lunden barnehage", "på servicetorget på Jevnaker",
            "i hjemmetjenesten på Jevnaker", "på Bergerbakken skole"],
}
EQUIPMENT = ["ny PC", "dokkingstasjon", "headset", "ekstra skjerm", "nettbrett", "tastatur med æ, ø og å",
             "mus", "webkamera", "mobiltelefon", "lader til PC"]
PRINTER_TROUBLE = ["skriver ut blanke ark", "har papirstopp", "er frakoblet", "skriver ikke i farger",
                   "står og blinker rødt", "vil ikke skanne til e-post"]
PHONE_TROUBLE = ["har knust skjerm", "får ikke e-post", "lader ikke", "viser feil nummer",
                 "får ikke koblet til Teams", "må oppdateres"]
RARE = ["Hjertestarter-appen på nettbrettet virker ikke", "Alarmsentralen får ikke kontakt med trygghetsalarmen",
        "Kartløsningen for brøyteroder viser feil vei", "Vannverkets overvåkning sender ikke SMS-varsel"]


def _subject(rng: random.Random, code: str) -> str:
    place = rng.choice(PLACES[code])
    system = rng.choice(SYSTEMS)
    roll = rng.random()
    if roll < 0.002:
        return rng.choice(RARE)
    templates = (
        lambda: f"Får ikke logget inn i {system}",
        lambda: f"{system} henger ved oppstart",
        lambda: f"Feilmelding i {system} etter oppdatering",
        lambda: f"Trenger tilgang til {system}",
        lambda: f"{system} er veldig treg i dag",
        lambda: f"Kan ikke skrive ut fra {system}",
        lambda: f"Skriveren {place} {rng.choice(PRINTER_TROUBLE)}",
        lambda: f"Trådløst nett faller ut {place}",
        lambda: f"PC-en {place} starter ikke",
        lambda: f"Ny ansatt {place} trenger PC og tilgang til {system}",
        lambda: "Passordet mitt er utløpt",
        lambda: f"Glemt passord til {system}",
        lambda: f"Mobiltelefonen min {rng.choice(PHONE_TROUBLE)}",
        lambda: f"Skjerm nummer to virker ikke {place}",
        lambda: f"Teams-møter hakker {place}",
        lambda: "Outlook ber om passord hele tiden",
        lambda: "VPN kobler ikke til på hjemmekontor",
        lambda: f"Bestille {rng.choice(EQUIPMENT)} {place}",
        lambda: "Mistenkelig e-post med lenke til «Microsoft-pålogging»",
        lambda: f"Får ikke åpnet vedlegg i {system}",
        lambda: f"Felles postkasse mangler i Outlook {place}",
    )
    return rng.choice(templates)()


BODIES = [
    "Det har vært slik siden i morges, og jeg har prøvd å starte PC-en på nytt.",
    "Flere av oss på avdelingen har det samme problemet.",
    "Jeg fikk en feilmelding, men rakk ikke å lese den før den forsvant.",
    "Det haster litt, for vi har frist i morgen.",
    "Det fungerte fint i forrige uke.",
    "Jeg sitter på hjemmekontor i dag, men er på kontoret i morgen.",
    "Kan dere ringe meg når dere har tid?",
]
REPLIES = [
    "Hei! Vi har sett på saken. Kan du prøve igjen nå og si fra om det virker?",
    "Takk for meldingen. Vi kommer innom i løpet av dagen.",
    "Hei! Dette er rettet nå. Logg ut og inn igjen.",
    "Vi har bestilt det du trenger, og gir beskjed når det kan hentes.",
]
FIRST = ["Kari", "Ola", "Ingrid", "Knut", "Marit", "Jonas", "Siri", "Per", "Hege", "Nils", "Anne", "Lars",
         "Eva", "Tone", "Berit", "Kristin", "Arne", "Bente", "Solveig", "Håkon", "Åse", "Øystein", "Live",
         "Sindre", "Mona", "Tor", "Guro", "Eirik", "Ragnhild", "Torbjørn"]
LAST = ["Nordby", "Hval", "Lien", "Bråten", "Moen", "Haugen", "Røste", "Sandum", "Grua", "Harestua",
        "Brandbu", "Jaren", "Bjoneroa", "Gran", "Lunde", "Skrukkerud", "Hansen", "Olsen", "Kvale", "Ødegård",
        "Tingelstad", "Sørlie", "Lynne", "Berger", "Ruud"]

# Share of tickets per municipality (roughly by population) and employees bulk-added to each.
WEIGHTS = {"GRA": 0.45, "LUN": 0.30, "JEV": 0.25}
EMPLOYEES = {"GRA": 400, "LUN": 300, "JEV": 250}
CHANNELS = [(Channel.WEB, 45), (Channel.EMAIL, 25), (Channel.PHONE, 12), (Channel.SMS, 5),
            (Channel.LETTER, 3), (Channel.WALK_IN, 5), (Channel.API, 5)]
PRIORITIES = [(Priority.LOW, 20), (Priority.NORMAL, 60), (Priority.HIGH, 15), (Priority.CRITICAL, 5)]
ON_BEHALF = {Channel.PHONE, Channel.LETTER, Channel.WALK_IN}
REOPEN_DAYS = 14
SPAN = timedelta(days=730)


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


# ---------------------------------------------------------------------------------------------
# The world the tickets belong to


@dataclass
class World:
    municipalities: dict[str, int]  # code -> id
    first_line: dict[str, tuple[int, str]]  # code -> (queue id, slug)
    pooled: list[tuple[int, str]]  # (queue id, slug) of the pooled, non-triage queues
    employees: dict[str, list[int]]
    agents: dict[str, list[tuple[int, str]]]  # code -> first-line agents (id, email)
    second_line: list[tuple[int, str]]
    system_user_id: int | None
    next_ids: dict[str, int] = field(default_factory=dict)


def reset_database(url: str) -> None:
    """An empty database for ``url``: a new SQLite file, or an empty public schema."""
    engine = sa.create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            path = Path(engine.url.database or "")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def build_world(app: Flask) -> World:
    """Migrations, then the demo world through the services, then extra employees in bulk."""
    from flask_migrate import upgrade

    from app.accounts.services import system_user
    from app.demo import data

    with app.app_context():
        upgrade()
        data.load()
        system_user()
        db.session.commit()
        _add_employees()
        return load_world()


def _add_employees() -> None:
    rng = random.Random(7)
    municipalities = {m.code: m for m in db.session.scalars(sa.select(Municipality))}
    now = utcnow()
    rows = []
    for code, count in EMPLOYEES.items():
        m = municipalities[code]
        domain = m.domains[0].domain
        for n in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{first}.{last}{n}".lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a"}))
            rows.append({"email": f"{local}@{domain}", "name": f"{first} {last}", "password_hash": None,
                         "municipality_id": m.id, "locale": "nb", "is_active": True, "is_system": False,
                         "created_at": now})
    users = User.__table__
    db.session.execute(users.insert(), rows)
    ids = db.session.scalars(
        sa.select(User.id).where(User.email.in_([r["email"] for r in rows]))
    ).all()
    db.session.execute(UserRole.__table__.insert(), [{"user_id": i, "role": Role.EMPLOYEE} for i in ids])
    db.session.commit()


def load_world() -> World:
    municipalities = {m.code: m.id for m in db.session.scalars(sa.select(Municipality))}
    code_of = {v: k for k, v in municipalities.items()}
    first_line: dict[str, tuple[int, str]] = {}
    pooled = []
    for q in db.session.scalars(sa.select(Queue).order_by(Queue.id)):
        if q.kind is QueueKind.FIRST_LINE and q.municipality_id is not None:
            first_line.setdefault(code_of[q.municipality_id], (q.id, q.slug))
        elif q.kind is QueueKind.SECOND_LINE and not q.is_triage:
            pooled.append((q.id, q.slug))
    employees: dict[str, list[int]] = {c: [] for c in municipalities}
    agents: dict[str, list[tuple[int, str]]] = {c: [] for c in municipalities}
    second: list[tuple[int, str]] = []
    system_id = None
    rows = db.session.execute(
        sa.select(User.id, User.email, User.municipality_id, User.is_system, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id, isouter=True)
        .order_by(User.id)
    ).all()
    for user_id, email, municipality_id, is_system, role in rows:
        if is_system:
            system_id = user_id
            continue
        code = code_of.get(municipality_id) if municipality_id else None
        if role is Role.EMPLOYEE and code:
            employees[code].append(user_id)
        elif role is Role.FIRST_LINE and code:
            agents[code].append((user_id, email))
        elif role is Role.SECOND_LINE:
            second.append((user_id, email))
    return World(municipalities, first_line, pooled, employees, agents, second, system_id)


# ---------------------------------------------------------------------------------------------
# Bulk tickets


def count_tickets() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)


def add_tickets(app: Flask, world: World, count: int, *, seed: int = 1, chunk: int = 25_000) -> None:
    """Add ``count`` tickets (with messages and events) in bulk, created over the last two years."""
    rng = random.Random(seed)
    with app.app_context():
        now = utcnow()
        ids = {
            name: int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))) or 0) + 1
            for name, model in (("ticket", Ticket), ("message", Message), ("event", TicketEvent))
        }
        counters = {c.prefix: c.last_number for c in db.session.scalars(sa.select(TicketCounter))}
        done = 0
        while done < count:
            n = min(chunk, count - done)
            tickets, messages, events = _generate(rng, world, n, now, ids, counters)
            _write(Ticket.__table__, tickets)
            _write(Message.__table__, messages)
            _write(TicketEvent.__table__, events)
            done += n
        for prefix, last in counters.items():
            updated = db.session.execute(
                sa.update(TicketCounter).where(TicketCounter.prefix == prefix).values(last_number=last)
            )
            if updated.rowcount == 0:  # type: ignore[attr-defined]
                db.session.execute(sa.insert(TicketCounter).values(prefix=prefix, last_number=last))
        if db.engine.dialect.name == "postgresql":
            for table in ("tickets", "messages", "ticket_events"):
                db.session.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                ))
        db.session.commit()


def analyze(app: Flask) -> None:
    """Fresh planner statistics, as autovacuum / `PRAGMA optimize` would leave them."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def _status_for(rng: random.Random, age: timedelta) -> Status:
    days = age.days
    if days > 30:
        return _pick(rng, [(Status.CLOSED, 960), (Status.WAITING, 20), (Status.OPEN, 15), (Status.NEW, 5)])
    if days > REOPEN_DAYS:
        return _pick(rng, [(Status.CLOSED, 80), (Status.WAITING, 8), (Status.OPEN, 8), (Status.NEW, 4)])
    return _pick(rng, [(Status.NEW, 25), (Status.OPEN, 30), (Status.WAITING, 15), (Status.RESOLVED, 25),
                       (Status.CLOSED, 5)])


def _generate(
    rng: random.Random, world: World, n: int, now: datetime, ids: dict[str, int], counters: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    codes = list(WEIGHTS)
    weights = [WEIGHTS[c] for c in codes]
    start = now - SPAN
    moments = sorted(_between(rng, start, now - timedelta(hours=1)) for _ in range(n))
    tickets, messages, events = [], [], []
    for created in moments:
        code = rng.choices(codes, weights)[0]
        fl_queue_id, fl_slug = world.first_line[code]
        requester = rng.choice(world.employees[code])
        channel = _pick(rng, CHANNELS)
        agent_id, agent_email = rng.choice(world.agents[code])
        created_by = agent_id if channel in ON_BEHALF else requester
        status = _status_for(rng, now - created)
        ticket_id = ids["ticket"]
        ids["ticket"] += 1
        counters[code] = counters.get(code, 1000) + 1
        queue_id, assignee = fl_queue_id, None
        was_pooled = False
        first_response = resolved_at = closed_at = None

        def event(kind: EventKind, at: datetime, actor: int | None, before: str | None = None,
                  after: str | None = None, note: str | None = None, ticket_id: int = ticket_id) -> None:
            events.append({"id": ids["event"], "ticket_id": ticket_id, "actor_id": actor, "kind": kind,
                           "before": before, "after": after, "note": note, "created_at": at})
            ids["event"] += 1

        def message(author: int, body: str, at: datetime, via: Channel, ticket_id: int = ticket_id) -> None:
            messages.append({"id": ids["message"], "ticket_id": ticket_id, "author_id": author, "body": body,
                             "internal": False, "channel": via, "email_message_id": None, "created_at": at})
            ids["message"] += 1

        subject = _subject(rng, code)
        message(requester, f"Hei! {subject}. {rng.choice(BODIES)}\n\nHilsen", created, channel)
        event(EventKind.CREATED, created, created_by, after=fl_slug)
        last = created
        # Time left for what happened next; closed tickets closed by autoclose need 14 days after.
        horizon = now - timedelta(days=REOPEN_DAYS) if status is Status.CLOSED and \
            now - created > timedelta(days=REOPEN_DAYS + 1) else now
        steps = sorted(_between(rng, created, min(horizon, created + timedelta(days=10))) for _ in range(6))
        if status is not Status.NEW:
            assignee = agent_id
            event(EventKind.CLAIMED, steps[0], agent_id, after=agent_email)
            first_response = steps[1]
            message(agent_id, rng.choice(REPLIES), steps[1], Channel.WEB)
            event(EventKind.REPLIED, steps[1], agent_id)
            last = steps[1]
            if rng.random() < 0.15:
                was_pooled = True
                pool_id, pool_slug = rng.choice(world.pooled) if rng.random() < 0.3 else world.pooled[0]
                second_id, second_email = rng.choice(world.second_line)
                event(EventKind.ESCALATED, steps[2], agent_id, before=fl_slug, after=pool_slug,
                      note="Trenger hjelp fra felles IKT.")
                event(EventKind.CLAIMED, steps[3], second_id, after=second_email)
                queue_id, assignee = pool_id, second_id
                last = steps[3]
                if rng.random() < 0.25:
                    event(EventKind.SENT_BACK, steps[4], second_id, before=pool_slug, after=fl_slug,
                          note="Løst hos leverandøren; førstelinje følger opp.")
                    queue_id, assignee = fl_queue_id, None
                    last = steps[4]
            actor = assignee or agent_id
            if status is Status.WAITING:
                event(EventKind.STATUS_CHANGED, steps[5], actor, before="open", after="waiting")
                last = steps[5]
            elif status is Status.RESOLVED:
                resolved_at = steps[5]
                event(EventKind.STATUS_CHANGED, resolved_at, actor, before="open", after="resolved")
                last = resolved_at
            elif status is Status.CLOSED:
                resolved_at = steps[5]
                if horizon < now:
                    closed_at = resolved_at + timedelta(days=REOPEN_DAYS, hours=rng.random() * 24)
                    event(EventKind.STATUS_CHANGED, resolved_at, actor, before="open", after="resolved")
                    event(EventKind.STATUS_CHANGED, closed_at, world.system_user_id, before="resolved",
                          after="closed", note="autoclose")
                else:
                    closed_at = resolved_at
                    event(EventKind.STATUS_CHANGED, closed_at, actor, before="open", after="closed")
                last = closed_at
        tickets.append({
            "id": ticket_id, "ref": f"{code}-{counters[code]}", "subject": subject, "status": status,
            "priority": _pick(rng, PRIORITIES), "category": rng.choice((*CATEGORIES, None)),
            "channel": channel, "requester_id": requester, "municipality_id": world.municipalities[code],
            "queue_id": queue_id, "assignee_id": assignee, "was_pooled": was_pooled,
            "created_by_id": created_by, "created_at": created, "updated_at": last,
            "first_response_at": first_response, "resolved_at": resolved_at, "closed_at": closed_at,
            "anonymised_at": None,
        })
    return tickets, messages, events


def _write(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if db.engine.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = db.session.connection().connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 - our own names
        ) as copy:
            for row in rows:
                copy.write_row(tuple(_plain(row[c]) for c in columns))
    else:
        db.session.execute(table.insert(), rows)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def iter_sizes(raw: str | None, default: Iterable[int]) -> Iterator[int]:
    if not raw:
        yield from default
        return
    for part in raw.split(","):
        if part.strip():
            yield int(part.replace("_", "").strip())
