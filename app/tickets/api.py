"""/api/v1 routes for tickets and queues. Each handler parses, calls one service or query, and
lets the schema serialise what it returns."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import DateTime, Function, List, Nested
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.api import schemas as inputs
from app.api.auth import auth, current_api_user
from app.api.schemas import Boolean, CursorQuery, Email, File, Integer, Length, OneOf, Range, Regexp, String
from app.errors import Invalid
from app.tickets import queries, services, storage
from app.tickets.models import CATEGORIES, Channel, EventKind, Priority, QueueKind, Status

bp = APIBlueprint("tickets_api", __name__, url_prefix="/api/v1", tag="Tickets")

STATUSES = [s.value for s in Status]
PRIORITIES = [p.value for p in Priority]
CHANNELS = [c.value for c in Channel]


# ---------------------------------------------------------------------------------------------
# Schemas


# Output fields are `required`: always present in what we send, and the document says so.
STR = {"type": "string"}


class QueueOut(Schema):
    slug = String(required=True)
    name = String(required=True)
    kind = Function(lambda q: q.kind.value, metadata={**STR, "enum": [k.value for k in QueueKind]}, required=True)
    municipality = Function(
        lambda q: q.municipality.code if q.municipality else None, allow_none=True, metadata=STR, required=True
    )
    open_count = Integer(allow_none=True)


class QueueList(Schema):
    items = List(Nested(QueueOut), required=True)


class QueueRefOut(QueueOut):
    class Meta:
        exclude = ("open_count",)


class AttachmentOut(Schema):
    id = Integer(required=True)
    filename = String(required=True)
    size = Integer(required=True)
    content_type = String(required=True)
    message_id = Integer(allow_none=True, required=True)
    url = Function(lambda a: f"/api/v1/tickets/{a.ticket.ref}/attachments/{a.id}", metadata=STR, required=True)
    created_at = DateTime(required=True)


class MessageAttachmentOut(Schema):
    id = Integer(required=True)
    filename = String(required=True)
    size = Integer(required=True)
    content_type = String(required=True)


class TicketOut(Schema):
    ref = String(required=True)
    subject = String(required=True)
    status = Function(lambda t: t.status.value, metadata={**STR, "enum": STATUSES}, required=True)
    priority = Function(lambda t: t.priority.value, metadata={**STR, "enum": PRIORITIES}, required=True)
    category = String(allow_none=True, required=True)
    system = String(allow_none=True, required=True, metadata={"description": "The business system (fagsystem), as typed."})
    channel = Function(lambda t: t.channel.value, metadata={**STR, "enum": CHANNELS}, required=True)
    municipality = Function(
        lambda t: t.municipality.code if t.municipality else None, allow_none=True, metadata=STR, required=True
    )
    queue = Nested(QueueRefOut, required=True)
    assignee = Function(lambda t: t.assignee.email if t.assignee else None, allow_none=True, metadata=STR, required=True)
    requester = Function(lambda t: t.requester.email, metadata=STR, required=True)
    requester_name = Function(lambda t: t.requester.display_name, metadata=STR, required=True)
    created_at = DateTime(required=True)
    updated_at = DateTime(required=True)
    first_response_at = DateTime(allow_none=True, required=True)
    resolved_at = DateTime(allow_none=True, required=True)
    closed_at = DateTime(allow_none=True, required=True)
    # The SLA clock (app/sla): policy, due times, state, first response, paused; null without one.
    sla = Function(lambda t: _sla_json(t), allow_none=True, required=True, metadata={
        "type": "object", "nullable": True, "description": "policy, first_response_due, resolution_due, "
        "state (on_time, warning, breached, paused, met), first_response_at, paused"})


def _sla_json(ticket: Any) -> dict[str, Any] | None:
    from app.sla.api import sla_json

    return sla_json(getattr(ticket, "ticket", ticket))


class TicketPage(Schema):
    items = List(Nested(TicketOut), required=True)
    next_cursor = String(allow_none=True, required=True)
    prev_cursor = String(
        allow_none=True, required=True,
        metadata={"description": "Pass as `cursor` for the page before this one (null on the first page)."},
    )


class MessageOut(Schema):
    id = Integer(required=True)
    author = Function(lambda m: m.author.email if m.author else None, allow_none=True, metadata=STR, required=True)
    author_name = Function(
        lambda m: m.author.display_name if m.author else None, allow_none=True, metadata=STR, required=True
    )
    body = String(required=True)
    internal = Boolean(required=True)
    channel = Function(lambda m: m.channel.value, metadata={**STR, "enum": CHANNELS}, required=True)
    created_at = DateTime(required=True)
    attachments = List(Nested(MessageAttachmentOut), required=True)


class EventOut(Schema):
    kind = Function(lambda e: e.kind.value, metadata={**STR, "enum": [k.value for k in EventKind]}, required=True)
    actor = Function(lambda e: e.actor.email if e.actor else None, allow_none=True, metadata=STR, required=True)
    before = String(allow_none=True, required=True)
    after = String(allow_none=True, required=True)
    note = String(allow_none=True, required=True)
    created_at = DateTime(required=True)


class TicketDetailOut(TicketOut):
    messages = List(Nested(MessageOut), required=True)
    events = List(Nested(EventOut), required=True)
    attachments = List(Nested(AttachmentOut), required=True)


def _comma_list(values: list[str]) -> str:
    """A pattern for one value or several separated by commas."""
    one = "|".join(values)
    return f"^({one})(,({one}))*$"


class TicketQuery(CursorQuery):
    queue = String(load_default=None, validate=Length(max=60))
    status = String(
        load_default=None, validate=[Length(max=60), Regexp(_comma_list(STATUSES))],
        metadata={"description": "One status or several separated by commas: " + ", ".join(STATUSES)},
    )
    priority = String(load_default=None, validate=[Length(max=60), Regexp(_comma_list(PRIORITIES))])
    channel = String(load_default=None, validate=[Length(max=80), Regexp(_comma_list(CHANNELS))])
    municipality = String(load_default=None, validate=Length(max=8))
    assignee = String(
        load_default=None, validate=Length(max=320),
        metadata={"description": "An agent's email, `me` or `none`."},
    )
    q = String(load_default=None, validate=Length(max=200))
    system = String(load_default=None, validate=Length(max=200),
                    metadata={"description": "A business system (fagsystem): case, commas and spaces do not matter."})
    sort = String(load_default="-created", validate=OneOf(queries.SORT_NAMES))
    limit = Integer(load_default=25, validate=Range(min=1, max=queries.MAX_LIMIT))


class TicketIn(inputs.Schema):
    subject = String(required=True, validate=Length(min=1, max=200))
    # No length here: the service answers 413 over SAMDESK_MAX_BODY_CHARS.
    body = String(required=True)
    category = String(load_default=None, allow_none=True, validate=OneOf(list(CATEGORIES)))
    priority = String(load_default=None, allow_none=True, validate=OneOf(PRIORITIES))
    requester = Email(load_default=None, allow_none=True, metadata={"description": "Agents only."})
    channel = String(load_default=None, allow_none=True, validate=OneOf(CHANNELS),
                     metadata={"description": "Agents only; default `api`."})
    # No length here: the service trims it first and answers 400 naming `system` over 80.
    system = String(load_default=None, allow_none=True,
                    metadata={"description": "The business system (fagsystem) the case is about, at most 80 characters."})


class MessageIn(inputs.Schema):
    body = String(required=True, validate=Length(min=1))
    internal = Boolean(load_default=False)


class NoteIn(inputs.Schema):
    note = String(required=True, validate=Length(min=1))


class EscalateIn(NoteIn):
    queue = String(load_default=None, allow_none=True, validate=Length(max=60))


class AssignIn(inputs.Schema):
    assignee = Email(required=True, allow_none=True)


class StatusIn(inputs.Schema):
    status = String(required=True, validate=OneOf(STATUSES))
    note = String(load_default=None, allow_none=True, validate=Length(max=10_000))


class PriorityIn(inputs.Schema):
    priority = String(required=True, validate=OneOf(PRIORITIES))


class CategoryIn(inputs.Schema):
    category = String(required=True, allow_none=True, validate=OneOf(list(CATEGORIES)),
                      metadata={"description": "null removes the category."})


class SystemIn(inputs.Schema):
    system = String(required=True, allow_none=True,
                    metadata={"description": "The business system, at most 80 characters; null or \"\" removes it."})


class MoveIn(inputs.Schema):
    queue = String(required=True, validate=Length(min=1, max=60))
    note = String(load_default=None, allow_none=True, validate=Length(max=10_000),
                  metadata={"description": "Required when a first-line agent moves the case to the second line."})


class UploadIn(inputs.Schema):
    file = File(required=True)  # type: ignore[no-untyped-call]
    message_id = Integer(load_default=None, allow_none=True, validate=Range(min=1, max=queries.MAX_ID))


class AccessLogOut(Schema):
    id = Integer(required=True)
    ticket = Function(lambda e: e.ticket.ref, metadata=STR, required=True)
    user = Function(lambda e: e.user.email, metadata=STR, required=True)
    via = String(required=True)
    created_at = DateTime(required=True)


class AccessLogPage(Schema):
    items = List(Nested(AccessLogOut), required=True)
    next_cursor = String(allow_none=True, required=True)


class AccessLogQuery(CursorQuery):
    limit = Integer(load_default=100, validate=Range(min=1, max=queries.MAX_LIMIT))


ERRORS = {401: "Not logged in", 404: "No such case, or not yours to see"}


def _split(raw: str | None, enum: type, field: str) -> list[Any]:
    if not raw:
        return []
    try:
        return [enum(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise Invalid(field, _l("Unknown value in %(field)s.", field=field)) from exc


# ---------------------------------------------------------------------------------------------
# Routes


@bp.get("/queues")
@bp.auth_required(auth)
@bp.output(QueueList)
@bp.doc(summary="Queues the caller works or reads, with open counts", responses=ERRORS)
def list_queues() -> dict[str, Any]:
    user = current_api_user()
    items = queries.queues_for(user)
    counts = queries.open_counts(user, [q.id for q in items])
    for queue in items:
        queue.open_count = counts.get(queue.id, 0)  # type: ignore[attr-defined]
    return {"items": items}


@bp.get("/tickets")
@bp.auth_required(auth)
@bp.input(TicketQuery, location="query")
@bp.output(TicketPage)
@bp.doc(summary="Cases the caller may see, newest first, paged by key", responses={401: "Not logged in"})
def list_tickets(query_data: dict[str, Any]) -> dict[str, Any]:
    user = current_api_user()
    filters = queries.TicketFilter(
        queue=query_data["queue"],
        status=_split(query_data["status"], Status, "status"),
        priority=_split(query_data["priority"], Priority, "priority"),
        channel=_split(query_data["channel"], Channel, "channel"),
        municipality=query_data["municipality"],
        assignee=query_data["assignee"],
        q=query_data["q"],
        sort=query_data["sort"],
        system=query_data["system"],
    )
    page = queries.list_tickets(user, filters, cursor=query_data["cursor"], limit=query_data["limit"])
    return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}


@bp.post("/tickets")
@bp.auth_required(auth)
@bp.input(TicketIn, arg_name="data")
@bp.output(TicketOut, status_code=201)
@bp.doc(summary="File a case (agents may file for a requester)", responses={401: "Not logged in", 403: "Forbidden", 413: "Too large"})
def create_ticket(data: dict[str, Any]) -> Any:
    return services.create_ticket(
        subject=data["subject"], body=data["body"], actor=current_api_user(),
        requester_email=data.get("requester"), channel=Channel.API, chosen_channel=data.get("channel"),
        category=data.get("category"), priority=data.get("priority"), system=data.get("system"),
    )


@bp.get("/tickets/<ref>")
@bp.auth_required(auth)
@bp.output(TicketDetailOut)
@bp.doc(summary="One case with its conversation and history", responses=ERRORS)
def get_ticket(ref: str) -> Any:
    return services.open_ticket(ref, actor=current_api_user(), via="api")


@bp.post("/tickets/<ref>/messages")
@bp.auth_required(auth)
@bp.input(MessageIn, arg_name="data")
@bp.output(MessageOut, status_code=201)
@bp.doc(summary="Reply, or add an internal note", responses={**ERRORS, 403: "Forbidden", 413: "Too large"})
def add_message(ref: str, data: dict[str, Any]) -> Any:
    return services.reply(ref, body=data["body"], internal=data["internal"], actor=current_api_user(), channel=Channel.API)


@bp.post("/tickets/<ref>/attachments")
@bp.auth_required(auth)
@bp.input(UploadIn, location="form_and_files", arg_name="data")
@bp.output(AttachmentOut, status_code=201)
@bp.doc(summary="Attach a file (type checked on its content)", responses={**ERRORS, 403: "Forbidden", 413: "Too large"})
def add_attachment(ref: str, data: dict[str, Any]) -> Any:
    upload = data["file"]
    limit = current_app.config["SAMDESK_MAX_ATTACHMENT_BYTES"]
    content = upload.stream.read(limit + 1)
    return services.add_attachment(
        ref, filename=upload.filename or "", data=content, actor=current_api_user(),
        message_id=data.get("message_id"),
    )


DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, with the content type found from its bytes",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    401: {"description": ERRORS[401]},
    404: {"description": ERRORS[404]},
}


@bp.get("/tickets/<ref>/attachments/<int:attachment_id>")
@bp.auth_required(auth)
@bp.doc(summary="Download an attachment", responses=DOWNLOAD_RESPONSES)  # type: ignore[arg-type]
def download_attachment(ref: str, attachment_id: int) -> Any:
    attachment = services.open_attachment(ref, attachment_id, actor=current_api_user(), via="api")
    return storage.send(attachment.sha256, filename=attachment.filename, content_type=attachment.content_type)


@bp.post("/tickets/<ref>/claim")
@bp.auth_required(auth)
@bp.output(TicketOut)
@bp.doc(summary="Take the case (409 when someone else has it)", responses={**ERRORS, 403: "Forbidden", 409: "Already claimed"})
def claim(ref: str) -> Any:
    return services.claim(ref, actor=current_api_user())


@bp.post("/tickets/<ref>/assign")
@bp.auth_required(auth)
@bp.input(AssignIn, arg_name="data")
@bp.output(TicketOut)
@bp.doc(summary="Assign the case to an agent (null to unassign)", responses={**ERRORS, 403: "Forbidden"})
def assign(ref: str, data: dict[str, Any]) -> Any:
    return services.assign(ref, assignee_email=data["assignee"], actor=current_api_user())


@bp.post("/tickets/<ref>/escalate")
@bp.auth_required(auth)
@bp.input(EscalateIn, arg_name="data")
@bp.output(TicketOut)
@bp.doc(summary="Send the case to the pooled second line, with a note", responses={**ERRORS, 403: "Forbidden"})
def escalate(ref: str, data: dict[str, Any]) -> Any:
    return services.escalate(ref, note=data["note"], queue_slug=data.get("queue"), actor=current_api_user())


@bp.post("/tickets/<ref>/send-back")
@bp.auth_required(auth)
@bp.input(NoteIn, arg_name="data")
@bp.output(TicketOut)
@bp.doc(summary="Send the case back to its municipality's first line, with a note", responses={**ERRORS, 403: "Forbidden"})
def send_back(ref: str, data: dict[str, Any]) -> Any:
    return services.send_back(ref, note=data["note"], actor=current_api_user())


@bp.post("/tickets/<ref>/status")
@bp.auth_required(auth)
@bp.input(StatusIn, arg_name="data")
@bp.output(TicketOut)
@bp.doc(summary="Change the status", responses={**ERRORS, 403: "Forbidden"})
def set_status(ref: str, data: dict[str, Any]) -> Any:
    return services.set_status(ref, data["status"], note=data.get("note"), actor=current_api_user())


@bp.post("/tickets/<ref>/priority")
@bp.auth_required(auth)
@bp.input(PriorityIn, arg_name="data")
@bp.output(TicketOut)
@bp.doc(summary="Change the priority", responses={**ERRORS, 403: "Forbidden"})
def set_priority(ref: str, data: dict[str, Any]) -> Any:
    return services.set_priority(ref, data["priority"], actor=current_api_user())


@bp.post("/tickets/<ref>/category")
@bp.auth_required(auth)
@bp.input(CategoryIn, arg_name="data")
@bp.output(TicketOut)
@bp.doc(summary="Change the category (null removes it)", responses={**ERRORS, 403: "Forbidden"})
def set_category(ref: str, data: dict[str, Any]) -> Any:
    return services.set_category(ref, data["category"], actor=current_api_user())


@bp.post("/tickets/<ref>/system")
@bp.auth_required(auth)
@bp.input(SystemIn, arg_name="data")
@bp.output(TicketOut)
@bp.doc(summary="Change the business system (null removes it)", responses={**ERRORS, 403: "Forbidden"})
def set_system(ref: str, data: dict[str, Any]) -> Any:
    return services.set_system(ref, data["system"], actor=current_api_user())


@bp.post("/tickets/<ref>/move")
@bp.auth_required(auth)
@bp.input(MoveIn, arg_name="data")
@bp.output(TicketOut)
@bp.doc(summary="Move the case to another queue", responses={**ERRORS, 403: "Forbidden"})
def move(ref: str, data: dict[str, Any]) -> Any:
    return services.move(ref, queue_slug=data["queue"], note=data.get("note"), actor=current_api_user())


def _log_page(fetch: Any, query_data: dict[str, Any]) -> dict[str, Any]:
    """One page of access-log entries, newest first; the cursor is the last entry's id."""
    cursor, limit = query_data["cursor"], query_data["limit"]
    before = None
    if cursor:
        if not cursor.isascii() or not cursor.isdigit() or not 0 < int(cursor) <= queries.MAX_ID:
            raise Invalid("cursor", _l("The cursor is not valid. Start again from the first page."))
        before = int(cursor)
    entries = fetch(before_id=before, limit=limit + 1)
    items = entries[:limit]
    return {"items": items, "next_cursor": str(items[-1].id) if len(entries) > limit else None}


@bp.get("/tickets/<ref>/access-log")
@bp.auth_required(auth)
@bp.input(AccessLogQuery, location="query")
@bp.output(AccessLogPage)
@bp.doc(summary="Who opened this case, newest first (administrators)", responses={**ERRORS, 403: "Forbidden"})
def ticket_access_log(ref: str, query_data: dict[str, Any]) -> dict[str, Any]:
    actor = current_api_user()
    return _log_page(lambda **page: queries.ticket_access_log(ref, actor=actor, **page)[1], query_data)


@bp.get("/users/<email>/access-log")
@bp.auth_required(auth)
@bp.input(AccessLogQuery, location="query")
@bp.output(AccessLogPage)
@bp.doc(summary="Which cases a user opened, newest first (administrators)",
        responses={401: "Not logged in", 403: "Forbidden", 404: "No such user"})
def user_access_log(email: str, query_data: dict[str, Any]) -> dict[str, Any]:
    actor = current_api_user()
    return _log_page(lambda **page: queries.user_access_log(email, actor=actor, **page)[1], query_data)
