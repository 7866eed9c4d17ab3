"""/api/v1 routes for courses, sessions, enrolments and nabohjelp (the shapes in issue 11 are a
contract). Each handler parses, calls one service or query, and serialises what it returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, DateTime, Function, Integer, List, Nested, String
from apiflask.validators import Length, Range
from flask import Response, request
from flask_babel import lazy_gettext as _l

from app.api.auth import auth, current_api_user
from app.api.schemas import CursorQuery
from app.errors import Invalid
from app.training import policy, queries, services
from app.training.models import CourseSession, EnrolmentStatus, NeighbourHelp
from app.training.notify import calendar_for

bp = APIBlueprint("training_api", __name__, url_prefix="/api/v1", tag="Training")

STR = {"type": "string"}
ERRORS = {401: "Not logged in", 404: "No such session, or not open to you"}


class CourseIn(Schema):
    title = String(required=True, validate=Length(max=200))
    description = String(load_default="", validate=Length(max=20_000))
    audience = String(load_default="", validate=Length(max=200))
    systems = List(String(validate=Length(max=120)), load_default=list, validate=Length(max=50))
    trainers = List(String(validate=Length(max=320)), load_default=list, validate=Length(max=50))


class CourseOut(Schema):
    id = Integer(required=True)
    title = String(required=True)
    description = String(required=True)
    audience = String(required=True)
    systems = List(String(), required=True)
    trainers = Function(lambda c: [u.email for u in c.trainers], metadata={"type": "array", "items": STR},
                        required=True)


class SessionIn(Schema):
    starts_at = String(required=True, validate=Length(max=40),
                       metadata={"description": "ISO 8601 with offset, e.g. 2027-03-30T09:00:00+02:00"})
    ends_at = String(required=True, validate=Length(max=40))
    place = String(load_default="", allow_none=True, validate=Length(max=200))
    video_url = String(load_default=None, allow_none=True, validate=Length(max=500))
    capacity = Integer(required=True, strict=True, validate=Range(min=1, max=services.MAX_CAPACITY))
    municipality = String(load_default=None, allow_none=True, validate=Length(max=8),
                          metadata={"description": "null (open to all), GRA, LUN or JEV"})
    cancel_deadline_hours = Integer(load_default=24, strict=True, validate=Range(min=0, max=24 * 60))


def _counts(session: CourseSession) -> queries.Counts:
    cached = getattr(session, "_counts", None)
    if cached is None:
        cached = queries.counts(session.id)
        session._counts = cached  # type: ignore[attr-defined]
    return cached


class SessionOut(Schema):
    id = Integer(required=True)
    course_id = Integer(required=True)
    title = Function(lambda s: s.course.title, metadata=STR, required=True)
    starts_at = DateTime(required=True)
    ends_at = DateTime(required=True)
    place = String(required=True)
    video_url = String(allow_none=True, required=True)
    capacity = Integer(required=True)
    municipality = Function(lambda s: s.municipality.code if s.municipality else None, allow_none=True,
                            metadata=STR, required=True)
    cancel_deadline = DateTime(required=True)
    cancel_deadline_hours = Integer(required=True)
    cancelled = Function(lambda s: s.is_cancelled, metadata={"type": "boolean"}, required=True)
    enrolled = Function(lambda s: _counts(s).enrolled, metadata={"type": "integer"}, required=True)
    waiting = Function(lambda s: _counts(s).waiting, metadata={"type": "integer"}, required=True)


class EnrolmentOut(Schema):
    status = Function(lambda e: e.status.value, metadata={**STR, "enum": [s.value for s in EnrolmentStatus]},
                      required=True)
    position = Function(lambda e: queries.waiting_rank(e), allow_none=True, metadata={"type": "integer"},
                        required=True)
    session_id = Integer(required=True)
    participant = Function(lambda e: e.user.email, metadata=STR, required=True)


class HelpIn(Schema):
    helped = String(required=True, validate=Length(max=320))
    topic = String(required=True, validate=Length(max=200))
    system = String(load_default=None, allow_none=True, validate=Length(max=120))
    minutes = Integer(required=True, strict=True, validate=Range(min=1, max=services.MAX_MINUTES))
    date = String(load_default=None, allow_none=True, validate=Length(max=10), metadata={"description": "YYYY-MM-DD"})
    ticket = String(load_default=None, allow_none=True, validate=Length(max=30))
    unit = String(load_default=None, allow_none=True, validate=Length(max=120))


def _ticket_ref(help_: NeighbourHelp) -> str | None:
    if help_.ticket_id is None or not policy.sees_help_ticket(current_api_user(), help_):
        return None
    from app.extensions import db
    from app.tickets.models import Ticket

    ticket = db.session.get(Ticket, help_.ticket_id)
    return ticket.ref if ticket else None


class HelpOut(Schema):
    id = Integer(required=True)
    helper = Function(lambda h: h.helper.email, metadata=STR, required=True)
    helped = Function(lambda h: h.helped.email, metadata=STR, required=True)
    topic = String(required=True)
    system = String(allow_none=True, required=True)
    minutes = Integer(required=True)
    date = Function(lambda h: h.helped_on.isoformat(), metadata=STR, required=True)
    ticket = Function(_ticket_ref, allow_none=True, metadata=STR, required=True)
    unit = String(required=True)
    municipality = Function(lambda h: h.municipality.code if h.municipality else None, allow_none=True,
                            metadata=STR, required=True)
    confirmation = Function(lambda h: h.confirmation.value, metadata=STR, required=True)


class HelpPage(Schema):
    items = List(Nested(HelpOut), required=True)
    next_cursor = String(allow_none=True, required=True)


class HelpQuery(CursorQuery):
    limit = Integer(load_default=50, validate=Range(min=1, max=200))


class AttendanceIn(Schema):
    participant = String(required=True, validate=Length(max=320))
    attended = Boolean(load_default=True)


ICS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The event, METHOD:REQUEST (METHOD:CANCEL once cancelled)",
          "content": {"text/calendar": {"schema": {"type": "string"}}}},
    401: {"description": ERRORS[401]},
    404: {"description": ERRORS[404]},
}


def _parse_time(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(field, _l("Give a date and time in ISO 8601 with its offset.")) from exc
    if parsed.tzinfo is None:
        raise Invalid(field, _l("Give the time with its offset, e.g. +01:00."))
    return parsed


@bp.post("/courses")
@bp.auth_required(auth)
@bp.input(CourseIn, arg_name="data")
@bp.output(CourseOut, status_code=201)
@bp.doc(summary="Create a course (trainers)", responses={401: "Not logged in", 403: "Not a trainer"})
def create_course(data: dict[str, Any]) -> Any:
    return services.create_course(
        title=data["title"], description=data["description"], audience=data["audience"],
        systems=data["systems"], trainers=data["trainers"], actor=current_api_user(),
    )


@bp.post("/courses/<int:course_id>/sessions")
@bp.auth_required(auth)
@bp.input(SessionIn, arg_name="data")
@bp.output(SessionOut, status_code=201)
@bp.doc(summary="Add a session to a course (its trainers)",
        responses={401: "Not logged in", 403: "Not a trainer of this course", 404: "No such course"})
def add_session(course_id: int, data: dict[str, Any]) -> Any:
    return services.add_session(
        course_id, starts_at=_parse_time(data["starts_at"], "starts_at"),
        ends_at=_parse_time(data["ends_at"], "ends_at"), place=data["place"], video_url=data["video_url"],
        capacity=data["capacity"], municipality=data["municipality"],
        cancel_deadline_hours=data["cancel_deadline_hours"], actor=current_api_user(),
    )


@bp.get("/sessions/<int:session_id>")
@bp.auth_required(auth)
@bp.output(SessionOut)
@bp.doc(summary="One session, with its seat and waiting-list counts", responses=ERRORS)
def get_session(session_id: int) -> Any:
    return queries.get_session(session_id, current_api_user())


@bp.post("/sessions/<int:session_id>/enrolments")
@bp.auth_required(auth)
@bp.output(EnrolmentOut, status_code=201)
@bp.doc(summary="Enrol (empty body: oneself; managers may give {\"participant\": email})",
        responses={**ERRORS, 403: "Forbidden", 409: "Already on the list"})
def enrol(session_id: int) -> Any:
    body = request.get_json(silent=True) if request.content_length else None
    participant = body.get("participant") if isinstance(body, dict) else None
    if participant is not None and not isinstance(participant, str):
        raise Invalid("participant", _l("Give the participant's email address."))
    return services.enrol(session_id, participant_email=participant, actor=current_api_user())


@bp.delete("/sessions/<int:session_id>/enrolments/me")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Cancel one's own enrolment; the first on the waiting list gets the seat",
        responses={**ERRORS, 403: "The cancellation deadline has passed"})
def cancel_my_enrolment(session_id: int) -> tuple[str, int]:
    services.cancel_enrolment(session_id, actor=current_api_user())
    return "", 204


@bp.post("/sessions/<int:session_id>/attendance")
@bp.auth_required(auth)
@bp.input(AttendanceIn, arg_name="data")
@bp.output(EnrolmentOut)
@bp.doc(summary="Record that a participant attended (trainers)", responses={**ERRORS, 403: "Forbidden"})
def record_attendance(session_id: int, data: dict[str, Any]) -> Any:
    return services.record_attendance(session_id, participant_email=data["participant"],
                                      attended=data["attended"], actor=current_api_user())


@bp.get("/sessions/<int:session_id>/calendar.ics")
@bp.auth_required(auth)
@bp.doc(summary="The session as an iCalendar event (the one the invitation carries)",
        responses=ICS_RESPONSES)  # type: ignore[arg-type]
def calendar(session_id: int) -> Response:
    session = queries.get_session(session_id, current_api_user())
    body = calendar_for(session, method="CANCEL" if session.is_cancelled else "REQUEST")
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="kurs-{session.id}.ics"'})


@bp.post("/nabohjelp")
@bp.auth_required(auth)
@bp.input(HelpIn, arg_name="data")
@bp.output(HelpOut, status_code=201)
@bp.doc(summary="Record nabohjelp you gave a colleague", responses={401: "Not logged in"})
def record_help(data: dict[str, Any]) -> Any:
    helped_on = None
    if data.get("date"):
        try:
            helped_on = date.fromisoformat(data["date"])
        except ValueError as exc:
            raise Invalid("date", _l("Give the date as YYYY-MM-DD.")) from exc
    return services.record_help(
        helped_email=data["helped"], topic=data["topic"], system=data.get("system"),
        minutes=data["minutes"], helped_on=helped_on, ticket_ref=data.get("ticket"),
        unit=data.get("unit"), actor=current_api_user(),
    )


@bp.get("/nabohjelp")
@bp.auth_required(auth)
@bp.input(HelpQuery, location="query")
@bp.output(HelpPage)
@bp.doc(summary="Nabohjelp the caller may see (given, received, or their municipality's as a manager)",
        responses={401: "Not logged in"})
def list_help(query_data: dict[str, Any]) -> dict[str, Any]:
    cursor, limit = query_data["cursor"], query_data["limit"]
    before = None
    if cursor:
        if not cursor.isascii() or not cursor.isdigit() or not 0 < int(cursor) <= queries.MAX_ID:
            raise Invalid("cursor", _l("The cursor is not valid. Start again from the first page."))
        before = int(cursor)
    rows = queries.help_page(current_api_user(), before_id=before, limit=limit + 1)
    items = list(rows[:limit])
    return {"items": items, "next_cursor": str(items[-1].id) if len(rows) > limit else None}
