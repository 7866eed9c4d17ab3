"""The audit log page for administrators (blueprint "audit"): /admin/revisjonslogg, filtered by
person (?bruker=) and by object (?type= and ?id=), newest first, paged by ?for=."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from app.audit import queries
from app.audit.models import FIELD_LABELS, OBJECT_TYPE_LABELS

bp = Blueprint("audit", __name__, url_prefix="/admin/revisjonslogg", template_folder="templates")


@bp.get("/")
@login_required
def log() -> Any:
    person = (request.args.get("bruker") or "").strip()
    object_type = (request.args.get("type") or "").strip()
    object_id = (request.args.get("id") or "").strip()
    before = request.args.get("for", type=int)
    page = queries.read(
        current_user._get_current_object(),  # type: ignore[attr-defined]
        person=person[:320], object_type=object_type[:40], object_id=object_id[:80],
        before_id=before if before and 0 < before <= queries.MAX_ID else None,
    )
    args: dict[str, Any] = {k: v for k, v in {"bruker": person, "type": object_type, "id": object_id}.items() if v}
    if page.next_before:
        args["for"] = page.next_before
    next_url = url_for("audit.log", **args) if page.next_before else None
    return render_template(
        "audit/log.html", page=page, person=person, object_type=object_type, object_id=object_id,
        object_types=queries.object_types(), object_type_labels=OBJECT_TYPE_LABELS,
        field_labels=FIELD_LABELS, next_url=next_url,
    )
