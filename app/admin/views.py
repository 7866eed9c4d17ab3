"""Admin pages (blueprint "admin"): municipalities, queues, users and roles, and the access log
of a ticket. Every change goes through app/accounts/services.py or app/tickets/services.py,
which check that the actor is an administrator; the pages are shown to administrators only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts import queries as account_queries
from app.accounts import services as account_services
from app.accounts.models import Role
from app.errors import DomainError, Forbidden, NotFound
from app.tickets import policy
from app.tickets import queries as ticket_queries
from app.tickets import services as ticket_services
from app.tickets.models import QueueKind
from app.web import put_error

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@login_required
def _admins_only() -> None:
    if not current_user.is_admin:
        raise Forbidden(_("Only administrators can see the admin pages."))


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _lines(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace(",", "\n").splitlines() if part.strip()]


def _municipality_choices() -> list[tuple[str, str]]:
    return [("", str(_l("None (pooled staff)")))] + [
        (m.code, f"{m.name} ({m.code})") for m in account_queries.municipalities()
    ]


class MunicipalityForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Give a code like GRA."))],
                       description=_l("2 to 6 letters, used in case numbers (GRA-1042)."))
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the municipality a name."))])
    domains = TextAreaField(_l("Email domains"), description=_l("One a line, like gran.kommune.no."))
    phones = TextAreaField(_l("Phone numbers of the desk"), description=_l("One a line, like +4761338000."))


class QueueForm(FlaskForm):
    slug = StringField(_l("Short name"), validators=[DataRequired(_l("Give the queue a short name."))],
                       description=_l("Lower-case letters, digits and hyphens, like gran-forstelinje."))
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the queue a name."))])
    kind = SelectField(_l("Line"), choices=lambda: [(k.value, k.label) for k in QueueKind])
    municipality = SelectField(_l("Municipality"), choices=_municipality_choices, validators=[Optional()])
    is_triage = BooleanField(_l("Triage queue for mail from unknown senders"))


class QueueEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the queue a name."))])
    is_active = BooleanField(_l("Active"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Give an email address."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give a name."))])
    municipality = SelectField(_l("Municipality"), choices=_municipality_choices, validators=[Optional()])
    roles = MultiCheckboxField(_l("Roles"), choices=lambda: [(r.value, r.label) for r in Role])
    phone = StringField(_l("Mobile number"), validators=[Optional()])
    locale = SelectField(_l("Language"), choices=[("nb", "Norsk bokmål"), ("en", "English")])
    password = PasswordField(_l("New password"), validators=[Optional()],
                             description=_l("At least 10 characters. Leave empty to keep it."))
    is_active = BooleanField(_l("Active"), default=True)


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), validators=[Optional()])
    role = SelectField(_l("Role"), choices=lambda: [("", _l("Any role"))] + [(r.value, r.label) for r in Role],
                       validators=[Optional()])
    municipality = SelectField(_l("Municipality"), choices=lambda: [("", _l("Any municipality"))]
                               + [(m.code, m.name) for m in account_queries.municipalities()],
                               validators=[Optional()])


def _failed(template: str, form: FlaskForm, error: DomainError, **context: Any) -> Any:
    if error.status == 404:
        raise error
    if not put_error(form, error, {"domains": "domains", "phones": "phones"}):
        context["page_error"] = str(error.message)
    return render_template(template, form=form, **context), error.status


@bp.get("/")
def index() -> str:
    return render_template("admin/index.html")


# --------------------------------------------------------------------------------------------
# Municipalities


@bp.route("/kommuner", methods=["GET", "POST"])
def municipalities() -> Any:
    form = MunicipalityForm()
    context = {"municipalities": account_queries.municipalities()}
    if form.validate_on_submit():
        try:
            municipality = account_services.create_municipality(
                form.code.data or "", form.name.data or "", domains=_lines(form.domains.data),
                phones=_lines(form.phones.data), actor=_user(),
            )
        except DomainError as error:
            return _failed("admin/municipalities.html", form, error, **context)
        flash(_("The municipality %(name)s is created.", name=municipality.name), "success")
        return redirect(url_for("admin.municipalities"))
    return render_template("admin/municipalities.html", form=form, **context), 400 if form.errors else 200


@bp.route("/kommuner/<code>", methods=["GET", "POST"])
def municipality(code: str) -> Any:
    found = account_queries.municipality_by_code(code)
    if found is None:
        raise NotFound(_("There is no municipality with code %(code)s.", code=code[:8]))
    form = MunicipalityForm(data={
        "code": found.code, "name": found.name,
        "domains": "\n".join(d.domain for d in found.domains),
        "phones": "\n".join(p.number for p in found.phones),
    } if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            account_services.update_municipality(
                found.code, name=form.name.data, domains=_lines(form.domains.data),
                phones=_lines(form.phones.data), actor=_user(),
            )
        except DomainError as error:
            return _failed("admin/municipality.html", form, error, municipality=found)
        flash(_("The municipality is saved."), "success")
        return redirect(url_for("admin.municipalities"))
    return render_template("admin/municipality.html", form=form, municipality=found), 400 if form.errors else 200


# --------------------------------------------------------------------------------------------
# Queues


@bp.route("/koer", methods=["GET", "POST"])
def queues() -> Any:
    form = QueueForm()
    context = {"queues": ticket_queries.all_queues()}
    if form.validate_on_submit():
        try:
            queue = ticket_services.create_queue(
                form.slug.data or "", name=form.name.data or "", kind=form.kind.data or "",
                municipality_code=form.municipality.data or None, is_triage=bool(form.is_triage.data),
                actor=_user(),
            )
        except DomainError as error:
            return _failed("admin/queues.html", form, error, **context)
        flash(_("The queue %(name)s is created.", name=queue.name), "success")
        return redirect(url_for("admin.queues"))
    return render_template("admin/queues.html", form=form, **context), 400 if form.errors else 200


@bp.route("/koer/<slug>", methods=["GET", "POST"])
def queue(slug: str) -> Any:
    found = ticket_queries.queue_by_slug(slug)
    if found is None:
        raise NotFound(_("There is no queue %(slug)s.", slug=slug[:60]))
    form = QueueEditForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            ticket_services.update_queue(
                found.slug, name=form.name.data, is_active=bool(form.is_active.data), actor=_user()
            )
        except DomainError as error:
            return _failed("admin/queue.html", form, error, queue=found)
        flash(_("The queue is saved."), "success")
        return redirect(url_for("admin.queues"))
    return render_template("admin/queue.html", form=form, queue=found), 400 if form.errors else 200


# --------------------------------------------------------------------------------------------
# Users and roles


@bp.get("/brukere")
def users() -> Any:
    form = UserFilterForm(request.args)
    form.validate()
    municipality = account_queries.municipality_by_code(form.municipality.data) if form.municipality.data else None
    after = request.args.get("etter", type=int)
    page_size = 50
    rows = account_queries.users(
        municipality_id=municipality.id if municipality else None,
        role=Role(form.role.data) if form.role.data else None,
        q=form.q.data or None, after_id=after, limit=page_size + 1,
    )
    next_url = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        args: dict[str, Any] = request.args.to_dict()
        args["etter"] = str(rows[-1].id)
        next_url = url_for("admin.users", **args)
    return render_template("admin/users.html", form=form, users=rows, next_url=next_url)


@bp.route("/brukere/ny", methods=["GET", "POST"])
def new_user() -> Any:
    form = UserForm()
    if request.method == "GET":
        form.roles.data = [Role.EMPLOYEE.value]
    if form.validate_on_submit():
        try:
            user = account_services.create_user(
                form.email.data or "", name=form.name.data or "", roles=form.roles.data or [],
                municipality_code=form.municipality.data or None,
                password=form.password.data or None, phone=form.phone.data or None,
                locale=form.locale.data or "nb", actor=_user(),
            )
        except DomainError as error:
            return _failed("admin/user.html", form, error, user=None)
        flash(_("The user %(email)s is created.", email=user.email), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/brukere/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Any:
    found = account_queries.user_by_id(user_id)
    if found is None or found.is_system:
        abort(404)
    form = UserForm(data={
        "email": found.email, "name": found.name,
        "municipality": found.municipality.code if found.municipality else "",
        "roles": sorted(r.value for r in found.roles), "phone": found.phone or "",
        "locale": found.locale, "is_active": found.is_active,
    } if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            account_services.update_user(
                found.email, name=form.name.data, roles=form.roles.data or [],
                municipality_code=form.municipality.data or None,
                clear_municipality=not form.municipality.data, phone=form.phone.data or "",
                locale=form.locale.data, is_active=bool(form.is_active.data),
                password=form.password.data or None, actor=_user(),
            )
        except DomainError as error:
            return _failed("admin/user.html", form, error, user=found)
        flash(_("The user %(email)s is saved.", email=found.email), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user.html", form=form, user=found), 400 if form.errors else 200


# --------------------------------------------------------------------------------------------
# The access log of a ticket


def _before(entry_id: int) -> dict[str, Any]:
    return {"for": entry_id}


@bp.get("/tilgangslogg")
def access_log() -> Any:
    """Who opened a case (?sak=GRA-1001), or which cases a person opened (?bruker=email)."""
    ref = (request.args.get("sak") or "").strip()
    email = (request.args.get("bruker") or "").strip()
    before = request.args.get("for", type=int)
    if email:
        person, entries = ticket_queries.user_access_log(email, actor=_user(), before_id=before)
        next_url = (
            url_for("admin.access_log", bruker=person.email, **_before(entries[-1].id))
            if len(entries) == 100 else None
        )
        return render_template("admin/access_log.html", ticket=None, person=person, entries=entries,
                               ref="", email=person.email, next_url=next_url)
    if not ref:
        policy.check_access_log_reader(_user())
        return render_template("admin/access_log.html", ticket=None, person=None, entries=[], ref="", email="")
    ticket, entries = ticket_queries.ticket_access_log(ref, actor=_user(), before_id=before)
    next_url = (
        url_for("admin.access_log", sak=ticket.ref, **_before(entries[-1].id)) if len(entries) == 100 else None
    )
    return render_template("admin/access_log.html", ticket=ticket, person=None, entries=entries,
                           ref=ticket.ref, email="", next_url=next_url)
