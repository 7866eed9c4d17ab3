"""/api/v1 routes of the SLA domain: report a deviation on a case, and SLA compliance for
management reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import DateTime, Float, Function, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Regexp
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role
from app.api.auth import auth, current_api_user
from app.errors import Forbidden, Invalid
from app.sla import queries, services
from app.sla.calendar import OSLO
from app.sla.models import DeviationKind, DeviationStatus
from app.tickets.models import Priority

bp = APIBlueprint("sla_api", __name__, url_prefix="/api/v1", tag="Service levels")
STR = {"type": "string"}


class DeviationIn(Schema):
    kind = String(required=True, validate=OneOf([k.value for k in DeviationKind]),
                  metadata={"description": "`not_met` (the agreement was not met) or `complaint`"})
    text = String(required=True, validate=Length(min=1, max=services.MAX_TEXT))


class DeviationOut(Schema):
    id = Integer(required=True)
    ticket = Function(lambda d: d.ticket.ref, metadata=STR, required=True)
    kind = Function(lambda d: d.kind.value, metadata={**STR, "enum": [k.value for k in DeviationKind]}, required=True)
    status = Function(lambda d: d.status.value, metadata={**STR, "enum": [s.value for s in DeviationStatus]},
                      required=True)
    text = String(required=True)
    answer = String(allow_none=True, required=True)
    created_at = DateTime(required=True)
    handled_at = DateTime(allow_none=True, required=True)


class ComplianceQuery(Schema):
    municipality = String(load_default=None, validate=Length(max=8))
    queue = String(load_default=None, validate=Length(max=60))
    priority = String(load_default=None, validate=OneOf([p.value for p in Priority]))
    since = String(load_default=None, validate=Regexp(r"^2\d{3}-(0[1-9]|1[0-2])$"),
                   metadata={"description": "First month, YYYY-MM (default: 11 months before `until`)"})
    until = String(load_default=None, validate=Regexp(r"^2\d{3}-(0[1-9]|1[0-2])$"),
                   metadata={"description": "Last month, YYYY-MM (default: this month)"})


class ComplianceRowOut(Schema):
    municipality = String(allow_none=True, required=True)
    queue = String(required=True)
    priority = String(required=True)
    month = String(required=True)
    resolved = Integer(required=True)
    met = Integer(required=True)
    breached = Integer(required=True)
    first_response_met = Integer(required=True)
    compliance_percent = Float(allow_none=True, required=True)


class DeviationCountOut(Schema):
    municipality = String(allow_none=True, required=True)
    queue = String(required=True)
    policy = String(allow_none=True, required=True)
    month = String(required=True)
    new = Integer(required=True)
    handled = Integer(required=True)
    total = Integer(required=True)


class ComplianceOut(Schema):
    items = List(Nested(ComplianceRowOut), required=True)
    deviations = List(Nested(DeviationCountOut), required=True)


@bp.post("/tickets/<ref>/deviations")
@bp.auth_required(auth)
@bp.input(DeviationIn, arg_name="data")
@bp.output(DeviationOut, status_code=201)
@bp.doc(summary="Report a deviation (avvik) on your own case; it reaches the desk's manager",
        responses={401: "Not logged in", 403: "Forbidden", 404: "No such case, or not yours to see"})
def report_deviation(ref: str, data: dict[str, Any]) -> Any:
    return services.report_deviation(ref, kind=data["kind"], text=data["text"], actor=current_api_user())


def _month_start(text: str) -> datetime:
    year, month = (int(part) for part in text.split("-"))
    return datetime(year, month, 1, tzinfo=OSLO)


def _next_month(moment: datetime) -> datetime:
    return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)


@bp.get("/sla/compliance")
@bp.auth_required(auth)
@bp.input(ComplianceQuery, location="query")
@bp.output(ComplianceOut)
@bp.doc(summary="SLA compliance per municipality, queue, priority and month, and deviation counts "
                "(managers: their municipality; administrators: all)",
        responses={401: "Not logged in", 403: "Forbidden"})
def compliance(query_data: dict[str, Any]) -> dict[str, Any]:
    user = current_api_user()
    if not user.has_role(Role.MANAGER, Role.ADMIN):
        raise Forbidden(_l("Only managers and administrators can read SLA reports."))
    now = datetime.now(OSLO)
    until = _next_month(_month_start(query_data["until"]) if query_data["until"] else now.replace(
        day=1, hour=0, minute=0, second=0, microsecond=0))
    if query_data["since"]:
        since = _month_start(query_data["since"])
    else:
        since = until
        for _ in range(12):
            since = since.replace(year=since.year - (since.month == 1), month=(since.month - 2) % 12 + 1)
    if since >= until:
        raise Invalid("since", _l("The first month must come before the last."))
    if (until - since).days > 3 * 366:
        raise Invalid("since", _l("Ask for at most three years at a time."))
    items, deviations = queries.compliance(
        user, since=since, until=until, municipality=query_data["municipality"], queue=query_data["queue"],
        priority=Priority(query_data["priority"]) if query_data["priority"] else None,
    )
    return {"items": items, "deviations": deviations}


def sla_json(ticket: Any) -> dict[str, Any] | None:
    """The ``sla`` object of the ticket JSON (app/tickets/api.py)."""
    from flask import has_request_context, request

    from app.db import utcnow
    from app.sla.display import view_for

    rows: dict[int, Any] | None = None
    if has_request_context():
        # A list serialises many tickets: read the SLA rows of all of them in one query, not
        # one each, and remember the cases that have none too. Kept with this request only
        # (the session's identity map holds rows weakly; tests share one app context and `g`).
        rows = request.environ.setdefault("samdesk.sla_rows", {})
        if ticket.id not in rows:
            rows.update(queries.slas_for_loaded_tickets())
    view = view_for(ticket, utcnow(), rows=rows)
    if view is None:
        return None

    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(OSLO).isoformat() if moment else None

    return {
        "policy": view.policy,
        "first_response_due": iso(view.first_response_due),
        "resolution_due": iso(view.resolution_due),
        "state": view.state.value if view.state else None,
        "first_response_at": iso(view.first_response_at),
        "paused": view.paused,
    }
