"""/api/v1 routes for courses, sessions, enrolments and nabohjelp (the shapes in issue 11 are a
contract). Each handler parses, calls one service or query, and serialises what it returns."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, DateTime, Function, Integer, List, Nested, String
from apiflask.validators import Length, Range
from flask import Response, request, send_file
from flask_babel import lazy_gettext as _l

from app.accounts import queries as accounts
from app.api import schemas as inputs
from app.api.auth import auth, current_api_user
from app.api.schemas import CursorQuery
from app.db import utcnow
from app.errors import Forbidden, Invalid
from app.tickets import storage
from app.training import export, policy, queries, services
from app.training.markdown import render as render_markdown
from app.training.models import (
    CourseMaterial,
    CourseSession,
    EnrolmentStatus,
    MaterialKind,
    MaterialVersion,
    NeighbourHelp,
)
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


# ---------------------------------------------------------------------------------------------
# Everything else the pages do (issue 11's closing note): courses and their material, changing
# and cancelling a session, participant lists, the roster, and one's own and one's municipality's
# courses. Same use cases and queries as the pages; inputs use app.api.schemas' translated fields.


class CursorPageQuery(CursorQuery):
    limit = inputs.Integer(load_default=50, validate=inputs.Range(min=1, max=200))


def _before(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if not cursor.isascii() or not cursor.isdigit() or not 0 < int(cursor) <= queries.MAX_ID:
        raise Invalid("cursor", _l("The cursor is not valid. Start again from the first page."))
    return int(cursor)


def _material_url(m: CourseMaterial) -> str:
    return f"/api/v1/materials/{m.id}"


def _version_file_url(v: MaterialVersion) -> str:
    return f"/api/v1/materials/{v.material_id}/versions/{v.version}/file"


class VersionOut(Schema):
    version = Integer(required=True)
    published_by = Function(lambda v: v.published_by.email, metadata=STR, required=True)
    created_at = DateTime(required=True)
    filename = String(allow_none=True, required=True)
    content_type = String(allow_none=True, required=True)
    url = Function(_version_file_url, metadata={**STR, "description": "The file (a page: its Markdown)"},
                   required=True)


class VersionDetailOut(VersionOut):
    material_id = Integer(required=True)
    body = Function(lambda v: v.body_md, allow_none=True, metadata={**STR, "description": "Markdown (pages)"},
                    required=True)
    html = Function(lambda v: str(render_markdown(v.body_md)) if v.body_md is not None else None,
                    allow_none=True, metadata={**STR, "description": "The page rendered and sanitised"},
                    required=True)


MATERIAL_KINDS = [k.value for k in MaterialKind]


class MaterialOut(Schema):
    id = Integer(required=True)
    course_id = Integer(required=True)
    kind = Function(lambda m: m.kind.value, metadata={**STR, "enum": MATERIAL_KINDS}, required=True)
    title = String(required=True)
    article_id = Integer(allow_none=True, required=True)
    current_version = Integer(required=True)
    created_at = DateTime(required=True)
    url = Function(_material_url, metadata=STR, required=True)


class MaterialDetailOut(MaterialOut):
    versions = List(Nested(VersionOut), attribute="listed_versions", required=True)


class MaterialList(Schema):
    items = List(Nested(MaterialOut), required=True)


class PublishedOut(Schema):
    """What publishing answers: the material and the version just made."""

    material = Nested(MaterialOut, required=True)
    version = Nested(VersionOut, required=True)


def _published(version: MaterialVersion) -> dict[str, Any]:
    return {"material": version.material, "version": version}


class SessionList(Schema):
    items = List(Nested(SessionOut), required=True)


class CourseDetailOut(CourseOut):
    sessions = List(Nested(SessionOut), attribute="listed_sessions", required=True,
                    metadata={"description": "The sessions the caller may see, by start"})
    materials = List(Nested(MaterialOut), attribute="listed_materials", required=True)


class CoursePage(Schema):
    items = List(Nested(CourseOut), required=True)
    next_cursor = String(allow_none=True, required=True)


class PageIn(inputs.Schema):
    title = inputs.String(required=True, validate=inputs.Length(max=200))
    body = inputs.String(required=True, validate=inputs.Length(max=200_000), metadata={"description": "Markdown"})


class PageVersionIn(inputs.Schema):
    title = inputs.String(load_default=None, allow_none=True, validate=inputs.Length(max=200),
                          metadata={"description": "Omit to keep the title"})
    body = inputs.String(required=True, validate=inputs.Length(max=200_000), metadata={"description": "Markdown"})


class FileIn(inputs.Schema):
    file = inputs.File(required=True)  # type: ignore[no-untyped-call]
    title = inputs.String(load_default="", validate=inputs.Length(max=200),
                          metadata={"description": "Default: the file's name (a new version: the title it has)"})


class ArticleLinkIn(inputs.Schema):
    article_id = inputs.Integer(required=True, strict=True, validate=inputs.Range(min=1, max=queries.MAX_ID))
    title = inputs.String(load_default="", validate=inputs.Length(max=200),
                          metadata={"description": "Default: the article's title"})


class RescheduleIn(inputs.Schema):
    starts_at = inputs.String(required=True, validate=inputs.Length(max=40),
                              metadata={"description": "ISO 8601 with offset, e.g. 2027-04-01T09:00:00+02:00"})
    ends_at = inputs.String(required=True, validate=inputs.Length(max=40))


class CancelIn(inputs.Schema):
    note = inputs.String(load_default=None, allow_none=True, validate=inputs.Length(max=2000),
                         metadata={"description": "Kept in the audit log"})


class ParticipantOut(Schema):
    """One line of the participant list (what the CSV export holds)."""

    participant = Function(lambda e: e.user.email, metadata=STR, required=True)
    name = Function(lambda e: e.user.display_name, metadata=STR, required=True)
    municipality = Function(lambda e: e.user.municipality.code if e.user.municipality else None,
                            allow_none=True, metadata=STR, required=True)
    status = Function(lambda e: e.status.value, metadata={**STR, "enum": [s.value for s in EnrolmentStatus]},
                      required=True)
    position = Function(lambda e: queries.waiting_rank(e), allow_none=True, metadata={"type": "integer"},
                        required=True)
    enrolled_at = DateTime(attribute="created_at", required=True)


class ParticipantList(Schema):
    items = List(Nested(ParticipantOut), required=True)


class MyEnrolmentOut(Schema):
    status = Function(lambda e: e.status.value, metadata={**STR, "enum": [s.value for s in EnrolmentStatus]},
                      required=True)
    position = Function(lambda e: queries.waiting_rank(e), allow_none=True, metadata={"type": "integer"},
                        required=True)
    session = Nested(SessionOut, required=True)


class MyCoursesOut(Schema):
    coming = List(Nested(MyEnrolmentOut), required=True)
    waiting = List(Nested(MyEnrolmentOut), required=True)
    completed = List(Nested(MyEnrolmentOut), required=True)


class MunicipalityEnrolmentOut(MyEnrolmentOut):
    id = Integer(required=True)
    participant = Function(lambda e: e.user.email, metadata=STR, required=True)
    name = Function(lambda e: e.user.display_name, metadata=STR, required=True)


class MunicipalityEnrolments(Schema):
    items = List(Nested(MunicipalityEnrolmentOut), required=True)
    next_cursor = String(allow_none=True, required=True)


class RosterOut(Schema):
    id = Integer(required=True)
    system = String(required=True)
    unit = String(required=True)
    municipality = Function(lambda r: r.municipality.code if r.municipality else None, allow_none=True,
                            metadata=STR, required=True)
    email = Function(lambda r: r.user.email, metadata=STR, required=True)
    name = Function(lambda r: r.user.display_name, metadata=STR, required=True)


class RosterList(Schema):
    items = List(Nested(RosterOut), required=True)


class RosterQuery(inputs.Schema):
    system = inputs.String(load_default=None, validate=inputs.Length(max=120),
                           metadata={"description": "One business system (any case)"})
    municipality = inputs.String(load_default=None, validate=inputs.Length(max=8),
                                 metadata={"description": "GRA, LUN or JEV: that municipality's and the shared"})


class RosterIn(inputs.Schema):
    system = inputs.String(required=True, validate=inputs.Length(max=120))
    email = inputs.String(required=True, validate=inputs.Length(max=320))
    unit = inputs.String(load_default="", validate=inputs.Length(max=120))
    municipality = inputs.String(load_default=None, allow_none=True, validate=inputs.Length(max=8),
                                 metadata={"description": "Default: the person's municipality"})


COURSE_ERRORS = {401: "Not logged in", 404: "No such course"}
MATERIAL_ERRORS = {401: "Not logged in", 404: "No such material"}
TEACH_ERRORS = {403: "Not a trainer of this course"}


# Courses


@bp.get("/courses")
@bp.auth_required(auth)
@bp.input(CursorPageQuery, location="query")
@bp.output(CoursePage)
@bp.doc(summary="Courses, newest first, paged by key (every employee may read every course)",
        responses={401: "Not logged in"})
def list_courses(query_data: dict[str, Any]) -> dict[str, Any]:
    limit = query_data["limit"]
    rows = queries.course_page(before_id=_before(query_data["cursor"]), limit=limit + 1)
    items = list(rows[:limit])
    return {"items": items, "next_cursor": str(items[-1].id) if len(rows) > limit else None}


@bp.get("/courses/<int:course_id>")
@bp.auth_required(auth)
@bp.output(CourseDetailOut)
@bp.doc(summary="One course, with the sessions the caller may see and its material", responses=COURSE_ERRORS)
def get_course(course_id: int) -> Any:
    course = queries.get_course(course_id)
    course.listed_sessions = queries.sessions_of(course.id, current_api_user())  # type: ignore[attr-defined]
    course.listed_materials = queries.materials(course.id, current_api_user())  # type: ignore[attr-defined]
    return course


@bp.get("/courses/<int:course_id>/sessions")
@bp.auth_required(auth)
@bp.output(SessionList)
@bp.doc(summary="The course's sessions the caller may see, by start (past ones too)", responses=COURSE_ERRORS)
def list_sessions(course_id: int) -> dict[str, Any]:
    course = queries.get_course(course_id)
    return {"items": queries.sessions_of(course.id, current_api_user())}


# Material


@bp.get("/courses/<int:course_id>/materials")
@bp.auth_required(auth)
@bp.output(MaterialList)
@bp.doc(summary="The course's material: pages, files and linked articles", responses=COURSE_ERRORS)
def list_materials(course_id: int) -> dict[str, Any]:
    course = queries.get_course(course_id)
    return {"items": queries.materials(course.id, current_api_user())}


@bp.post("/courses/<int:course_id>/materials/pages")
@bp.auth_required(auth)
@bp.input(PageIn, arg_name="data")
@bp.output(PublishedOut, status_code=201)
@bp.doc(summary="Publish a Markdown page (version 1)", responses={**COURSE_ERRORS, **TEACH_ERRORS})
def publish_page(course_id: int, data: dict[str, Any]) -> Any:
    return _published(services.publish_page(course_id, title=data["title"], body_md=data["body"],
                                            actor=current_api_user()))


@bp.post("/courses/<int:course_id>/materials/files")
@bp.auth_required(auth)
@bp.input(FileIn, location="form_and_files", arg_name="data")
@bp.output(PublishedOut, status_code=201)
@bp.doc(summary="Publish a file (version 1; the type is checked on its content)",
        responses={**COURSE_ERRORS, **TEACH_ERRORS, 413: "Over 10 MB"})
def publish_file(course_id: int, data: dict[str, Any]) -> Any:
    upload = data["file"]
    return _published(services.publish_file(
        course_id, title=data["title"], filename=upload.filename or "",
        data=upload.stream.read(services.MAX_MATERIAL_BYTES + 1), actor=current_api_user()))


@bp.post("/courses/<int:course_id>/materials/articles")
@bp.auth_required(auth)
@bp.input(ArticleLinkIn, arg_name="data")
@bp.output(MaterialOut, status_code=201)
@bp.doc(summary="Link a knowledge-base article the trainer may read (another is refused: 400 article_id)",
        responses={**COURSE_ERRORS, **TEACH_ERRORS})
def link_article(course_id: int, data: dict[str, Any]) -> Any:
    return services.link_article(course_id, article_id=data["article_id"], title=data["title"],
                                 actor=current_api_user())


@bp.get("/materials/<int:material_id>")
@bp.auth_required(auth)
@bp.output(MaterialDetailOut)
@bp.doc(summary="One material with its versions, oldest first", responses=MATERIAL_ERRORS)
def get_material(material_id: int) -> Any:
    item = queries.material(material_id, current_api_user())
    item.listed_versions = queries.material_versions(item.id)  # type: ignore[attr-defined]
    return item


@bp.post("/materials/<int:material_id>/pages")
@bp.auth_required(auth)
@bp.input(PageVersionIn, arg_name="data")
@bp.output(PublishedOut, status_code=201)
@bp.doc(summary="Publish a new version of a page (earlier versions stay readable)",
        responses={**MATERIAL_ERRORS, **TEACH_ERRORS, 409: "The material is not a page"})
def publish_page_version(material_id: int, data: dict[str, Any]) -> Any:
    item = queries.material(material_id, current_api_user())
    return _published(services.publish_page(item.course_id, title=data["title"] or item.title,
                                            body_md=data["body"], material_id=item.id, actor=current_api_user()))


@bp.post("/materials/<int:material_id>/files")
@bp.auth_required(auth)
@bp.input(FileIn, location="form_and_files", arg_name="data")
@bp.output(PublishedOut, status_code=201)
@bp.doc(summary="Publish a new version of a file (earlier versions stay downloadable)",
        responses={**MATERIAL_ERRORS, **TEACH_ERRORS, 409: "The material is not a file", 413: "Over 10 MB"})
def publish_file_version(material_id: int, data: dict[str, Any]) -> Any:
    item = queries.material(material_id, current_api_user())
    upload = data["file"]
    return _published(services.publish_file(
        item.course_id, title=data["title"] or item.title, filename=upload.filename or "",
        data=upload.stream.read(services.MAX_MATERIAL_BYTES + 1), material_id=item.id, actor=current_api_user()))


@bp.get("/materials/<int:material_id>/versions/<int:version>")
@bp.auth_required(auth)
@bp.output(VersionDetailOut)
@bp.doc(summary="One version (a page: its Markdown and the sanitised HTML)", responses=MATERIAL_ERRORS)
def get_version(material_id: int, version: int) -> Any:
    return queries.material_version(material_id, version)


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file as a download, with the content type found from its bytes (a page: "
                         "text/markdown)",
          "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    401: {"description": MATERIAL_ERRORS[401]},
    404: {"description": "No such material or version, or a linked article (it has no file)"},
}


@bp.get("/materials/<int:material_id>/versions/<int:version>/file")
@bp.auth_required(auth)
@bp.doc(summary="Download a version: the file, or a page's Markdown", responses=FILE_RESPONSES)  # type: ignore[arg-type]
def download_version(material_id: int, version: int) -> Response:
    found = queries.material_version(material_id, version)
    item = found.material
    if item.kind is MaterialKind.FILE:
        body, mimetype = found.data or b"", found.content_type or "application/octet-stream"
        name = found.filename or "materiell"
    else:
        body, mimetype = (found.body_md or "").encode(), "text/markdown; charset=utf-8"
        name = f"{storage.clean_filename(item.title)}.md"
    response = send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True,
                         download_name=storage.clean_filename(name), max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Sessions: change, cancel, participants


@bp.patch("/sessions/<int:session_id>")
@bp.auth_required(auth)
@bp.input(RescheduleIn, arg_name="data")
@bp.output(SessionOut)
@bp.doc(summary="Move a session; everyone on the list gets the changed event (same UID)",
        responses={**ERRORS, **TEACH_ERRORS, 409: "The session is cancelled"})
def reschedule(session_id: int, data: dict[str, Any]) -> Any:
    return services.reschedule(session_id, starts_at=_parse_time(data["starts_at"], "starts_at"),
                               ends_at=_parse_time(data["ends_at"], "ends_at"), actor=current_api_user())


@bp.post("/sessions/<int:session_id>/cancel")
@bp.auth_required(auth)
@bp.input(CancelIn, arg_name="data")
@bp.output(SessionOut)
@bp.doc(summary="Cancel a session; everyone on the list gets METHOD:CANCEL with the same UID",
        responses={**ERRORS, **TEACH_ERRORS, 409: "Already cancelled"})
def cancel_session(session_id: int, data: dict[str, Any]) -> Any:
    return services.cancel_session(session_id, note=data["note"], actor=current_api_user())


@bp.get("/sessions/<int:session_id>/enrolments")
@bp.auth_required(auth)
@bp.output(ParticipantList)
@bp.doc(summary="The participant list (trainers): seated by name, then the waiting list in order. "
                "Audited like the CSV export.", responses={**ERRORS, **TEACH_ERRORS})
def list_participants(session_id: int) -> dict[str, Any]:
    _session, people = services.export_participants(session_id, actor=current_api_user())
    return {"items": people}


CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Semicolon-separated, UTF-8 with a BOM (the session page's export)",
          "content": {"text/csv": {"schema": {"type": "string"}}}},
    401: {"description": ERRORS[401]},
    403: {"description": TEACH_ERRORS[403]},
    404: {"description": ERRORS[404]},
}


@bp.get("/sessions/<int:session_id>/enrolments.csv")
@bp.auth_required(auth)
@bp.doc(summary="The participant list as CSV (trainers; audited)", responses=CSV_RESPONSES)  # type: ignore[arg-type]
def participants_csv(session_id: int) -> Response:
    item, people = services.export_participants(session_id, actor=current_api_user())
    filename, body = export.participants_csv(item, people)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.delete("/sessions/<int:session_id>/enrolments/<participant>")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Cancel someone's enrolment by email (the course's trainers, also after the deadline; "
                "a manager for their municipality before it); the first waiting gets the seat",
        responses={**ERRORS, 403: "The cancellation deadline has passed"})
def cancel_enrolment_of(session_id: int, participant: str) -> tuple[str, int]:
    services.cancel_enrolment(session_id, participant_email=participant, actor=current_api_user())
    return "", 204


# One's own and one's municipality's courses


@bp.get("/me/courses")
@bp.auth_required(auth)
@bp.output(MyCoursesOut)
@bp.doc(summary="My courses: coming seats, waiting lists, completed (attended)", responses={401: "Not logged in"})
def my_courses() -> Any:
    return queries.my_courses(current_api_user(), utcnow())


@bp.get("/me/municipality/enrolments")
@bp.auth_required(auth)
@bp.input(CursorPageQuery, location="query")
@bp.output(MunicipalityEnrolments)
@bp.doc(summary="Managers: the active enrolments of the people of their municipality, newest first, paged "
                "by key", responses={401: "Not logged in", 403: "Not a manager"})
def municipality_enrolments(query_data: dict[str, Any]) -> dict[str, Any]:
    user = current_api_user()
    if not policy.can_read_municipality_enrolments(user):
        raise Forbidden(_l("Only managers see their municipality's enrolments."))
    limit = query_data["limit"]
    rows = queries.enrolments_in_municipality(user.municipality_id, limit + 1, by_id=True,  # type: ignore[arg-type]
                                              before_id=_before(query_data["cursor"]))
    items = list(rows[:limit])
    return {"items": items, "next_cursor": str(items[-1].id) if len(rows) > limit else None}


# The super-user roster


@bp.get("/roster")
@bp.auth_required(auth)
@bp.input(RosterQuery, location="query")
@bp.output(RosterList)
@bp.doc(summary="The go-to colleagues, by system and unit (everyone may read it)",
        responses={401: "Not logged in"})
def list_roster(query_data: dict[str, Any]) -> dict[str, Any]:
    where = None
    if query_data["municipality"]:
        where = accounts.municipality_by_code(query_data["municipality"].strip().upper())
        if where is None:
            raise Invalid("municipality", _l("Unknown municipality %(code)s.", code=query_data["municipality"]))
    return {"items": queries.roster(query_data["system"], where.id if where else None)}


@bp.post("/roster")
@bp.auth_required(auth)
@bp.input(RosterIn, arg_name="data")
@bp.output(RosterOut, status_code=201)
@bp.doc(summary="Add a go-to colleague (managers, trainers, admins)",
        responses={401: "Not logged in", 403: "Forbidden", 409: "Already on the roster for that system and unit"})
def add_to_roster(data: dict[str, Any]) -> Any:
    return services.add_to_roster(system=data["system"], email=data["email"], unit=data["unit"],
                                  municipality=data["municipality"], actor=current_api_user())


@bp.delete("/roster/<int:entry_id>")
@bp.auth_required(auth)
@bp.output({}, status_code=204)
@bp.doc(summary="Take someone off the roster (managers, trainers, admins)",
        responses={401: "Not logged in", 403: "Forbidden", 404: "No such roster entry"})
def remove_from_roster(entry_id: int) -> tuple[str, int]:
    services.remove_from_roster(entry_id, actor=current_api_user())
    return "", 204


# Figures, and resolving a case with nabohjelp (the agent's case page)


class MonthOut(Schema):
    month = String(required=True, metadata={"description": "YYYY-MM"})
    municipality = String(required=True)
    unit = String(required=True)
    minutes = Integer(required=True)
    count = Integer(required=True)


class SuggestionOut(Schema):
    topic = String(required=True)
    minutes = Integer(required=True)
    helps = Integer(required=True)
    cases = Integer(required=True)


class FiguresOut(Schema):
    since = Function(lambda f: f.since.isoformat(), metadata={**STR, "format": "date"}, required=True)
    months = List(Nested(MonthOut), required=True)
    suggestions = List(Nested(SuggestionOut), required=True)


class ResolveIn(inputs.Schema):
    helper = inputs.String(required=True, validate=inputs.Length(max=320), metadata={"description": "Who helped (email)"})
    minutes = inputs.Integer(required=True, strict=True, validate=inputs.Range(min=1, max=services.MAX_MINUTES))
    system = inputs.String(load_default=None, allow_none=True, validate=inputs.Length(max=120))
    topic = inputs.String(load_default=None, allow_none=True, validate=inputs.Length(max=200),
                          metadata={"description": "Default: the case's subject"})


@bp.get("/nabohjelp/figures")
@bp.auth_required(auth)
@bp.output(FiguresOut)
@bp.doc(summary="Nabohjelp minutes per month, municipality and unit for the last year, and suggested courses "
                "(trainers, managers: their municipality, admins)",
        responses={401: "Not logged in", 403: "Not a trainer, manager or admin"})
def figures() -> Any:
    user = current_api_user()
    if not policy.can_read_figures(user):
        raise Forbidden(_l("Only trainers, managers and administrators see the figures."))
    return queries.figures(user, utcnow())


@bp.post("/tickets/<ref>/nabohjelp")
@bp.auth_required(auth)
@bp.input(ResolveIn, arg_name="data")
@bp.output(HelpOut, status_code=201)
@bp.doc(summary="Resolve the case as solved with nabohjelp from a colleague, and record the help (agents)",
        responses={401: "Not logged in", 403: "Not an agent", 404: "No such case, or not yours to see"})
def resolve_with_help(ref: str, data: dict[str, Any]) -> Any:
    return services.resolve_with_help(ref, helper_email=data["helper"], minutes=data["minutes"],
                                      system=data["system"], topic=data["topic"], actor=current_api_user())
