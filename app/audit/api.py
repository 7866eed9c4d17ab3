"""/api/v1/audit: the audit log for administrators, newest first, keyset paged."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import DateTime, Dict, Function, Integer, List, Nested, String
from apiflask.validators import Length, Range
from flask_babel import lazy_gettext as _l

from app.api.auth import auth, current_api_user
from app.api.schemas import CursorQuery
from app.audit import queries
from app.errors import Invalid

bp = APIBlueprint("audit_api", __name__, url_prefix="/api/v1", tag="Audit log")

STR = {"type": "string"}


class AuditEntryOut(Schema):
    id = Integer(required=True)
    created_at = DateTime(required=True)
    actor = Function(lambda e: e.actor.email, metadata=STR, required=True)
    action = String(required=True, metadata={"description": "domain.verb, e.g. user.roles_changed"})
    object_type = String(required=True)
    object_id = String(required=True)
    label = String(attribute="object_label", required=True)
    subject = Function(lambda e: e.subject.email if e.subject else None, allow_none=True, metadata=STR,
                       required=True)
    before = Dict(allow_none=True, required=True)
    after = Dict(allow_none=True, required=True)
    note = String(allow_none=True, required=True)


class AuditPage(Schema):
    items = List(Nested(AuditEntryOut), required=True)
    next_cursor = String(allow_none=True, required=True)


class AuditQuery(CursorQuery):
    person = String(load_default=None, validate=Length(max=320), metadata={
        "description": "A user's id or email address: entries where they acted or that are about them."})
    object_type = String(load_default=None, validate=Length(max=40), metadata={
        "description": "user, municipality, queue, token, quarantined_mail, outbox_message, ..."})
    object_id = String(load_default=None, validate=Length(max=80), metadata={
        "description": "With object_type: one object (a user's id, a municipality's code, a queue's slug)."})
    limit = Integer(load_default=100, validate=Range(min=1, max=queries.MAX_LIMIT))


@bp.get("/audit")
@bp.auth_required(auth)
@bp.input(AuditQuery, location="query")
@bp.output(AuditPage)
@bp.doc(summary="Who changed what outside the cases, newest first (administrators)",
        responses={401: "Not logged in", 403: "Forbidden", 404: "No such person"})
def audit_log(query_data: dict[str, Any]) -> dict[str, Any]:
    cursor = query_data["cursor"]
    before = None
    if cursor:
        if not cursor.isascii() or not cursor.isdigit() or not 0 < int(cursor) <= queries.MAX_ID:
            raise Invalid("cursor", _l("The cursor is not valid. Start again from the first page."))
        before = int(cursor)
    page = queries.read(
        current_api_user(), person=query_data["person"], object_type=query_data["object_type"],
        object_id=query_data["object_id"], before_id=before, limit=query_data["limit"],
    )
    return {"items": page.items, "next_cursor": str(page.next_before) if page.next_before else None}
