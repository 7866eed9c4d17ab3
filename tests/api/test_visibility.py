"""Who sees what, through the API: a ticket a user may not see answers exactly like one that does
not exist, on every route that takes a reference, and nothing changes."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tickets import services
from app.tickets.models import AccessLogEntry, Attachment, Message, Ticket, TicketEvent
from tests.factories import make_ticket

MISSING = "GRA-987654"

# Every API route that takes a reference: (method, path after /tickets/<ref>, JSON or form).
ROUTES = [
    ("GET", "", None),
    ("POST", "/messages", {"body": "Hei"}),
    ("POST", "/attachments", "file"),
    ("GET", "/attachments/{attachment_id}", None),
    ("POST", "/claim", None),
    ("POST", "/assign", {"assignee": "forstelinje2@gran.kommune.example"}),
    ("POST", "/escalate", {"note": "Opp"}),
    ("POST", "/send-back", {"note": "Ned"}),
    ("POST", "/status", {"status": "open"}),
    ("POST", "/priority", {"priority": "high"}),
    ("POST", "/category", {"category": "printing"}),
    ("POST", "/system", {"system": "Visma"}),
    ("POST", "/move", {"queue": "andrelinje", "note": "Flytt"}),
    ("GET", "/access-log", None),
    ("POST", "/deviations", {"kind": "complaint", "text": "Ingen svar"}),
    ("POST", "/sms", {"text": "Hei"}),
    ("POST", "/nabohjelp", {"helper": "ansatt2@gran.kommune.example", "minutes": 10}),  # training's API
]
OUTSIDERS = ["lun_agent", "lun_manager", "lun_employee", "employee2", "second"]


def test_the_route_list_covers_every_api_route_with_a_reference(app) -> None:
    with_ref = {
        (method, rule.rule.removeprefix("/api/v1/tickets/<ref>").replace("<int:attachment_id>", "{attachment_id}"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and "<ref>" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert with_ref == {(method, path) for method, path, _ in ROUTES}


def _call(api, user, method: str, ref: str, path: str, payload, attachment_id: int):  # type: ignore[no-untyped-def]
    url = f"/api/v1/tickets/{ref}{path.format(attachment_id=attachment_id)}"
    client = api.as_(user)
    if method == "GET":
        return client.get(url)
    if payload == "file":
        return client.post(url, data={"file": (io.BytesIO(b"hei\n"), "notat.txt")},
                           content_type="multipart/form-data")
    return client.post(url, json=payload)


def _snapshot() -> tuple:
    counts = tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Ticket, Message, Attachment, TicketEvent, AccessLogEntry)
    )
    rows = db.session.execute(
        sa.select(Ticket.status, Ticket.queue_id, Ticket.assignee_id, Ticket.priority).order_by(Ticket.id)
    ).all()
    return counts, rows


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(("method", "path", "payload"), ROUTES)
def test_hidden_ticket_answers_exactly_like_a_missing_one(api, world, outsider, method, path, payload) -> None:
    ticket = make_ticket(world.employee)
    attachment = services.add_attachment(ticket.ref, filename="a.txt", data=b"vedlegg\n", actor=world.employee)
    user = getattr(world, outsider)
    before = _snapshot()

    hidden = _call(api, user, method, ticket.ref, path, payload, attachment.id)
    missing = _call(api, user, method, MISSING, path, payload, attachment.id)

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["error"]["code"] == missing.json["error"]["code"] == "not_found"
    assert hidden.json["error"]["message"] == missing.json["error"]["message"].replace(MISSING, ticket.ref)
    assert hidden.json["error"]["message"] == f"Det finnes ingen sak {ticket.ref}."
    assert _snapshot() == before


def test_employee_sees_own_tickets_without_internal_notes(api, world) -> None:
    mine = make_ticket(world.employee, subject="Min sak")
    make_ticket(world.employee2, subject="Kollegas sak")
    services.reply(mine.ref, body="Intern: sjekk lisens", internal=True, actor=world.agent)
    services.reply(mine.ref, body="Vi ser på det", actor=world.agent)

    listing = api.as_(world.employee).get("/api/v1/tickets").json["items"]
    detail = api.as_(world.employee).get(f"/api/v1/tickets/{mine.ref}").json

    assert [t["ref"] for t in listing] == [mine.ref]
    assert [m["body"] for m in detail["messages"]] == ["Den skriver blanke ark.", "Vi ser på det"]
    assert "noted" not in [e["kind"] for e in detail["events"]]
    staff = api.as_(world.agent).get(f"/api/v1/tickets/{mine.ref}").json
    assert [m["internal"] for m in staff["messages"]] == [False, True, False]


def test_internal_notes_attachment_is_hidden_from_the_requester(api, world) -> None:
    ticket = make_ticket(world.employee)
    note = services.reply(ticket.ref, body="Skjermbilde av loggen", internal=True, actor=world.agent)
    secret = services.add_attachment(ticket.ref, filename="logg.txt", data=b"hemmelig\n", actor=world.agent,
                                     message_id=note.id)
    url = f"/api/v1/tickets/{ticket.ref}/attachments/{secret.id}"

    as_requester = api.as_(world.employee).get(url)
    as_agent = api.as_(world.agent).get(url)
    requester_view = api.as_(world.employee).get(f"/api/v1/tickets/{ticket.ref}").json
    staff_view = api.as_(world.agent).get(f"/api/v1/tickets/{ticket.ref}").json

    assert as_requester.status_code == 404
    assert as_agent.status_code == 200
    assert as_agent.data == b"hemmelig\n"
    assert requester_view["attachments"] == []
    # Not even the file's name shows in the requester's history.
    assert [e["kind"] for e in requester_view["events"]] == ["created"]
    assert [(e["kind"], e["after"]) for e in staff_view["events"][1:]] == [
        ("noted", None), ("attachment_added", "logg.txt")
    ]


def test_first_line_agent_and_manager_see_their_municipalitys_tickets_only(api, world) -> None:
    gran = make_ticket(world.employee)
    lunner = make_ticket(world.lun_employee)

    for user, expected in [(world.agent, gran), (world.manager, gran), (world.lun_agent, lunner),
                           (world.lun_manager, lunner)]:
        listing = api.as_(user).get("/api/v1/tickets").json["items"]
        assert [t["ref"] for t in listing] == [expected.ref], user.email


def test_second_line_sees_tickets_that_are_or_were_pooled(api, world) -> None:
    never = make_ticket(world.employee, subject="Aldri eskalert")
    now_pooled = make_ticket(world.employee, subject="Eskalert")
    was_pooled = make_ticket(world.lun_employee, subject="Sendt tilbake")
    services.escalate(now_pooled.ref, note="Opp", actor=world.agent)
    services.escalate(was_pooled.ref, note="Opp", actor=world.lun_agent)
    services.send_back(was_pooled.ref, note="Ned", actor=world.second)

    listing = api.as_(world.second).get("/api/v1/tickets").json["items"]

    assert sorted(t["ref"] for t in listing) == sorted([now_pooled.ref, was_pooled.ref])
    assert api.as_(world.second).get(f"/api/v1/tickets/{never.ref}").status_code == 404
    assert api.as_(world.second).get(f"/api/v1/tickets/{was_pooled.ref}").status_code == 200


def test_admin_sees_all(api, world) -> None:
    refs = {make_ticket(u).ref for u in (world.employee, world.lun_employee, world.employee2)}

    listing = api.as_(world.admin).get("/api/v1/tickets").json["items"]

    assert {t["ref"] for t in listing} == refs


def test_hidden_tickets_are_not_counted_in_queues_or_found_by_text(api, world) -> None:
    make_ticket(world.lun_employee, subject="Hemmelig lunnersak")

    assert api.as_(world.agent).get("/api/v1/tickets?q=lunnersak").json["items"] == []
    assert api.as_(world.agent).get("/api/v1/tickets?municipality=LUN").json["items"] == []


# API routes without a reference that only administrators read: everyone else gets 403, the
# error shape and nothing of the data.
ADMIN_ONLY = [
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/users/{email}/access-log"),
]


def test_the_admin_only_routes_exist(app) -> None:
    rules = {
        (method, rule.rule.replace("<email>", "{email}"))
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert set(ADMIN_ONLY) <= rules


@pytest.mark.parametrize("who", ["employee", "agent", "manager", "second", "trainer"])
@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY)
def test_admin_only_routes_refuse_everyone_else(api, world, who, method, path) -> None:
    url = path.format(email=world.employee.email)
    refused = api.as_(getattr(world, who)).get(url)
    allowed = api.as_(world.admin).get(url)

    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert set(refused.json) == {"error"}
    assert allowed.status_code == 200 and "items" in allowed.json


# Every API route that takes an article id: an article the caller may not read answers exactly
# like one that does not exist, and nothing changes.
ARTICLE_ROUTES = [
    ("GET", "", None),
    ("PATCH", "", {"title": "Endret"}),
    ("GET", "/revisions", None),
    ("POST", "/votes", {"helpful": True}),
]


def test_the_article_route_list_covers_every_api_route_with_an_article_id(app) -> None:  # type: ignore[no-untyped-def]
    found = {
        (method, rule.rule.removeprefix("/api/v1/articles/<int:article_id>"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and "<int:article_id>" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert found == {(method, path) for method, path, _ in ARTICLE_ROUTES}


@pytest.mark.parametrize(("method", "path", "payload"), ARTICLE_ROUTES)
@pytest.mark.parametrize("kind", ["draft", "staff_only", "other_municipality"])
def test_hidden_article_answers_exactly_like_a_missing_one(api, world, method, path, payload, kind) -> None:  # type: ignore[no-untyped-def]
    from app.knowledge import services as knowledge
    from app.knowledge.models import Article, ArticleRevision, ArticleVote

    options = {"draft": {"status": "draft"}, "staff_only": {"audience": "agents", "status": "published"},
               "other_municipality": {"scope": "LUN", "status": "published"}}[kind]
    article = knowledge.create_article(title="Skjult", body="Tekst", category="other", actor=world.second, **options)
    reader = world.employee

    def state() -> tuple:
        db.session.expire_all()
        return (db.session.scalar(sa.select(sa.func.count()).select_from(ArticleRevision)),
                db.session.scalar(sa.select(sa.func.count()).select_from(ArticleVote)),
                db.session.get(Article, article.id).title)

    before = state()
    client = api.as_(reader)
    call = {"GET": client.get, "POST": client.post, "PATCH": client.patch}[method]
    kwargs = {"json": payload} if payload is not None else {}
    hidden = call(f"/api/v1/articles/{article.id}{path}", **kwargs)
    missing = call(f"/api/v1/articles/987654{path}", **kwargs)

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
    assert state() == before


# Every training API route, by what its path names: a session (closed to other municipalities:
# hidden answers exactly like missing), a course or a material (every employee reads every course
# and its material, so only a missing one is 404), a roster entry, or nothing. The list is checked
# against the URL map, so that a new route cannot escape the rule.
TRAINING_ROUTES = [
    ("POST", "/api/v1/courses", "none"),
    ("GET", "/api/v1/courses", "none"),
    ("GET", "/api/v1/courses/<int:course_id>", "course"),
    ("POST", "/api/v1/courses/<int:course_id>/sessions", "course"),
    ("GET", "/api/v1/courses/<int:course_id>/sessions", "course"),
    ("GET", "/api/v1/courses/<int:course_id>/materials", "course"),
    ("POST", "/api/v1/courses/<int:course_id>/materials/pages", "course"),
    ("POST", "/api/v1/courses/<int:course_id>/materials/files", "course"),
    ("POST", "/api/v1/courses/<int:course_id>/materials/articles", "course"),
    ("GET", "/api/v1/materials/<int:material_id>", "material"),
    ("POST", "/api/v1/materials/<int:material_id>/pages", "material"),
    ("POST", "/api/v1/materials/<int:material_id>/files", "material"),
    ("GET", "/api/v1/materials/<int:material_id>/versions/<int:version>", "material"),
    ("GET", "/api/v1/materials/<int:material_id>/versions/<int:version>/file", "material"),
    ("GET", "/api/v1/sessions/<int:session_id>", "session"),
    ("PATCH", "/api/v1/sessions/<int:session_id>", "session"),
    ("POST", "/api/v1/sessions/<int:session_id>/cancel", "session"),
    ("POST", "/api/v1/sessions/<int:session_id>/enrolments", "session"),
    ("GET", "/api/v1/sessions/<int:session_id>/enrolments", "session"),
    ("GET", "/api/v1/sessions/<int:session_id>/enrolments.csv", "session"),
    ("DELETE", "/api/v1/sessions/<int:session_id>/enrolments/me", "session"),
    ("DELETE", "/api/v1/sessions/<int:session_id>/enrolments/<participant>", "session"),
    ("POST", "/api/v1/sessions/<int:session_id>/attendance", "session"),
    ("GET", "/api/v1/sessions/<int:session_id>/calendar.ics", "session"),
    ("POST", "/api/v1/nabohjelp", "none"),
    ("GET", "/api/v1/nabohjelp", "none"),
    ("GET", "/api/v1/me/courses", "none"),
    ("GET", "/api/v1/me/municipality/enrolments", "none"),
    ("GET", "/api/v1/roster", "none"),
    ("POST", "/api/v1/roster", "none"),
    ("DELETE", "/api/v1/roster/<int:entry_id>", "roster"),
    ("GET", "/api/v1/nabohjelp/figures", "none"),
    ("POST", "/api/v1/tickets/<ref>/nabohjelp", "ticket"),  # in ROUTES above
]
TRAINING_BODIES = {
    "PATCH": {"starts_at": "2027-04-01T09:00:00+02:00", "ends_at": "2027-04-01T12:00:00+02:00"},
    "/sessions": {"starts_at": "2027-04-01T09:00:00+02:00", "ends_at": "2027-04-01T12:00:00+02:00",
                  "place": "Rådhuset", "capacity": 5},
    "/pages": {"title": "Side", "body": "Tekst"},
    "/articles": {"article_id": 1},
    "/attendance": {"participant": "ansatt@gran.kommune.example"},
}


def test_the_training_route_list_covers_every_training_api_route(app) -> None:  # type: ignore[no-untyped-def]
    found = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("training_api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert found == {(method, path) for method, path, _ in TRAINING_ROUTES}


def _training_call(api, user, method: str, rule: str, number: int):  # type: ignore[no-untyped-def]
    import re

    url = re.sub(r"<int:version>", "1", rule)
    url = re.sub(r"<int:\w+>", str(number), url).replace("<participant>", "ansatt@gran.kommune.example")
    client = api.as_(user)
    if rule.endswith("/files"):
        return client.post(url, data={"file": (io.BytesIO(b"hei\n"), "notat.txt")}, content_type="multipart/form-data")
    body = TRAINING_BODIES.get(method) or next((b for end, b in TRAINING_BODIES.items() if rule.endswith(end)), None)
    if method in ("GET", "DELETE"):
        body = None
    return client._call(method, url, json=body if body is not None else ({} if method == "POST" else None))


def _training_snapshot() -> tuple:
    from app.training.models import CourseMaterial, CourseSession, Enrolment, MaterialVersion, RosterEntry

    counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                   for model in (CourseMaterial, MaterialVersion, Enrolment, RosterEntry, CourseSession))
    return counts, tuple(db.session.execute(
        sa.select(CourseSession.starts_at, CourseSession.cancelled_at, CourseSession.seats_taken)).all())


@pytest.mark.parametrize(("method", "rule", "kind"), [r for r in TRAINING_ROUTES if r[2] not in ("none", "ticket")])
@pytest.mark.parametrize("who", ["lun_employee", "lun_manager", "trainer", "admin"])
def test_training_routes_answer_a_missing_or_hidden_object_with_404_and_change_nothing(
    api, world, method, rule, kind, who,  # type: ignore[no-untyped-def]
) -> None:
    from tests.training.helpers import make_course, make_session

    course = make_course(world.trainer)
    session = make_session(course, world.trainer, municipality="GRA")
    user = getattr(world, who)
    api.as_(user).get("/api/v1/me")  # the token exists before the snapshot
    before = _training_snapshot()

    missing = _training_call(api, user, method, rule, 987654)

    if kind == "roster" and who == "lun_employee":
        # Everyone reads the roster, so refusing an employee before looking reveals nothing.
        assert missing.status_code == 403 and missing.json["error"]["code"] == "forbidden"
        assert _training_snapshot() == before
        return
    assert missing.status_code == 404, missing.json
    assert missing.json["error"]["code"] in ("not_found", "not_enrolled")
    assert set(missing.json) == {"error"}
    if kind == "session" and who in ("lun_employee", "lun_manager"):
        hidden = _training_call(api, user, method, rule, session.id)
        assert hidden.status_code == 404
        assert hidden.json["error"]["message"] == missing.json["error"]["message"].replace("987654", str(session.id))
    assert _training_snapshot() == before
