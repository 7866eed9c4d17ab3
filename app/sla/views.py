"""Pages (blueprint "sla"): opening hours and local days for administrators
(``/admin/apningstider``), deviations on a case (``/saker/<ref>/avvik``), and the template
helpers that put "open now / opens at" on the start page and due times on case lists and pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.db import utcnow
from app.errors import DomainError, Forbidden, Invalid
from app.sla import display, forms, queries, services
from app.sla.calendar import CalendarError, format_hours, parse_hours, target_minutes, target_text
from app.sla.models import ALL_DESKS
from app.tickets import policy as ticket_policy
from app.tickets import queries as ticket_queries
from app.tickets.models import CATEGORIES, CATEGORY_LABELS, Priority, Ticket
from app.web import put_error

bp = Blueprint("sla", __name__, template_folder="templates")


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    """``sla_desks_now()`` for the start page and ``sla_for(ticket)`` for a case page."""
    return {
        "sla_desks_now": lambda: queries.desks_now(utcnow()),
        "sla_for": lambda ticket: display.view_for(ticket, utcnow()),
    }


@bp.app_template_global()
def sla_for_tickets(tickets: Sequence[Ticket]) -> dict[int, display.SlaView]:
    """The SLA of every ticket of a list, in one query (a global, so macros see it)."""
    return display.views_for(tickets, utcnow())


# --------------------------------------------------------------------------------------------
# Opening hours (administrators)


def _require_admin() -> None:
    if not _user().is_admin:
        raise Forbidden(_("Only administrators can see the admin pages."))


def _desk_choices(with_all: bool = False) -> list[tuple[str, str]]:
    choices = [(desk, f"{queries.desk_name(desk)} ({desk})") for desk in queries.desks()]
    if with_all:
        choices.insert(0, (ALL_DESKS, queries.desk_name(ALL_DESKS)))
    return choices


def _week_form(desk: str) -> forms.WeekForm:
    form = forms.WeekForm(prefix="week")
    form.desk.choices = _desk_choices()  # type: ignore[assignment]
    form.desk.data = desk
    for name, hours in zip(forms.WeekForm.DAY_FIELDS, queries.weekly_hours(desk), strict=True):
        getattr(form, name).data = format_hours(hours)
    return form


def _render_hours(week: forms.WeekForm | None = None, day: forms.DayForm | None = None,
                  page_error: str | None = None, status: int = 200) -> Any:
    desk = (request.args.get("desk") or (week.desk.data if week else None) or "POOL").upper()
    if desk not in queries.desks():
        desk = "POOL"
    if day is None:
        day = forms.DayForm(prefix="day")
        day.desk.data = ALL_DESKS
    day.desk.choices = _desk_choices(with_all=True)  # type: ignore[assignment]
    return render_template(
        "sla/hours.html", desk=desk, week=week or _week_form(desk), day=day,
        days=queries.calendar_days(since=date.today().replace(month=1, day=1)),  # noqa: DTZ011
        stored=queries.has_stored_hours(desk), desks=queries.desks_now(utcnow()),
        remove=forms.ButtonForm(prefix="remove"), page_error=page_error, desk_name=queries.desk_name,
        format_hours=format_hours,
    ), status


@bp.get("/admin/apningstider")
@login_required
def hours() -> Any:
    _require_admin()
    return _render_hours()


@bp.post("/admin/apningstider/uke")
@login_required
def set_week() -> Any:
    _require_admin()
    form = forms.WeekForm(prefix="week")
    form.desk.choices = _desk_choices()  # type: ignore[assignment]
    if not form.validate_on_submit():
        return _render_hours(week=form, status=400)
    try:
        week = []
        for name in forms.WeekForm.DAY_FIELDS:
            try:
                week.append(parse_hours(getattr(form, name).data or ""))
            except CalendarError as exc:
                raise Invalid(name, _("Write opening hours like 08:00-15:30, or leave empty for closed.")) from exc
        services.set_opening_hours(form.desk.data or "", week, actor=_user())
    except DomainError as error:
        shown = put_error(form, error, {"hours": "mon"})
        return _render_hours(week=form, page_error=None if shown else str(error.message), status=error.status)
    flash(_("The opening hours are saved."), "success")
    return redirect(url_for("sla.hours", desk=form.desk.data))


@bp.post("/admin/apningstider/dag")
@login_required
def add_day() -> Any:
    _require_admin()
    form = forms.DayForm(prefix="day")
    form.desk.choices = _desk_choices(with_all=True)  # type: ignore[assignment]
    if not form.validate_on_submit():
        return _render_hours(day=form, status=400)
    try:
        try:
            hours = parse_hours(form.hours.data or "")
        except CalendarError as exc:
            raise Invalid("hours", _("Write opening hours like 08:00-12:00, or leave empty for closed.")) from exc
        assert form.day.data is not None
        services.add_calendar_day(form.desk.data or "", form.day.data, label=form.label.data or "",
                                  hours=hours, actor=_user())
    except DomainError as error:
        shown = put_error(form, error, {})
        return _render_hours(day=form, page_error=None if shown else str(error.message), status=error.status)
    flash(_("The day is saved."), "success")
    return redirect(url_for("sla.hours"))


@bp.post("/admin/apningstider/dag/<int:day_id>/slett")
@login_required
def remove_day(day_id: int) -> Response:
    _require_admin()
    form = forms.ButtonForm(prefix="remove")
    if not form.validate_on_submit():
        raise Invalid(None, _("The form had expired. Try again."))
    services.remove_calendar_day(day_id, actor=_user())
    flash(_("The day is removed."), "success")
    return redirect(url_for("sla.hours"))


# --------------------------------------------------------------------------------------------
# Policies (administrators): the targets a new case gets


def _policy_form(form: forms.PolicyForm | None = None) -> forms.PolicyForm:
    from app.accounts import queries as accounts

    form = form or forms.PolicyForm(prefix="policy")
    form.priority.choices = [(p.value, p.label) for p in Priority]  # type: ignore[assignment]
    form.municipality.choices = [("", _("Every municipality"))] + [  # type: ignore[assignment]
        (m.code, m.name) for m in accounts.municipalities() if m.is_active]
    form.category.choices = [("", _("Every category"))] + [  # type: ignore[assignment]
        (c, str(CATEGORY_LABELS[c])) for c in CATEGORIES]
    return form


def _render_policies(form: forms.PolicyForm | None = None, page_error: str | None = None, status: int = 200) -> Any:
    return render_template(
        "sla/policies.html", policies=queries.policies(), form=_policy_form(form), page_error=page_error,
        duration=target_text, category_labels=CATEGORY_LABELS,
    ), status


@bp.get("/admin/sla-mal")
@login_required
def policies() -> Any:
    _require_admin()
    return _render_policies()


@bp.post("/admin/sla-mal")
@login_required
def save_policy() -> Any:
    _require_admin()
    form = _policy_form(forms.PolicyForm(prefix="policy"))
    if not form.validate_on_submit():
        return _render_policies(form, status=400)
    try:
        minutes = {}
        for name in ("first_response", "resolution"):
            try:
                minutes[name] = target_minutes(getattr(form, name).data or "")
            except CalendarError as exc:
                raise Invalid(name, _("Write business time like 4h, 90m or 3d.")) from exc
        saved = services.save_policy(
            name=form.name.data or "", priority=form.priority.data or "",
            first_response_minutes=minutes["first_response"], resolution_minutes=minutes["resolution"],
            municipality_code=form.municipality.data or None, category=form.category.data or None,
            warning_percent=form.warning_percent.data or 0, actor=_user(),
        )
    except DomainError as error:
        shown = put_error(form, error, {"first_response_minutes": "first_response", "municipality_code": "municipality"})
        return _render_policies(form, page_error=None if shown else str(error.message), status=error.status)
    flash(_("The policy %(name)s is saved.", name=saved.name), "success")
    return redirect(url_for("sla.policies"))


# --------------------------------------------------------------------------------------------
# Deviations on a case


def _render_deviations(ref: str, form: forms.DeviationForm | None = None, answer: forms.AnswerForm | None = None,
                       page_error: str | None = None, status: int = 200) -> Any:
    user = _user()
    ticket = ticket_queries.get_visible(ref, user)
    return render_template(
        "sla/deviations.html", t=ticket, deviations=queries.deviations_for_ticket(ticket.id),
        form=form or forms.DeviationForm(prefix="dev"), answer=answer or forms.AnswerForm(prefix="ans"),
        can_report=ticket_policy.is_requester(user, ticket),
        can_handle=lambda d: services.can_handle(user, d), sla=display.view_for(ticket, utcnow()),
        page_error=page_error,
    ), status


@bp.get("/saker/<ref>/avvik")
@login_required
def deviations(ref: str) -> Any:
    return _render_deviations(ref)


@bp.post("/saker/<ref>/avvik")
@login_required
def report(ref: str) -> Any:
    form = forms.DeviationForm(prefix="dev")
    if not form.validate_on_submit():
        return _render_deviations(ref, form=form, status=400)
    try:
        services.report_deviation(ref, kind=form.kind.data or "", text=form.text.data or "", actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        shown = put_error(form, error, {})
        return _render_deviations(ref, form=form, page_error=None if shown else str(error.message),
                                  status=error.status)
    flash(_("The deviation is reported. The manager of the desk will answer you."), "success")
    return redirect(url_for("sla.deviations", ref=ref.upper()))


@bp.post("/saker/<ref>/avvik/<int:deviation_id>/svar")
@login_required
def answer(ref: str, deviation_id: int) -> Any:
    form = forms.AnswerForm(prefix="ans")
    if not form.validate_on_submit():
        return _render_deviations(ref, answer=form, status=400)
    try:
        services.handle_deviation(ref, deviation_id, answer=form.answer.data or "", actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        shown = put_error(form, error, {})
        return _render_deviations(ref, answer=form, page_error=None if shown else str(error.message),
                                  status=error.status)
    flash(_("The answer is sent."), "success")
    return redirect(url_for("sla.deviations", ref=ref.upper()))
