"""Pages for tickets (blueprint "tickets"): the employee portal and the agent workspace.

Each view parses a form, calls one service or query with ``current_user`` and renders or
redirects. A service's error goes next to the form field it names, with the service's status.
Opening a case page goes through ``services.open_ticket``, which writes the access log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.accounts import queries as accounts
from app.errors import DomainError, Forbidden, Invalid
from app.tickets import forms, policy, queries, services, storage
from app.tickets.models import (
    CATEGORY_LABELS,
    PRIORITY_LABELS,
    STATUS_LABELS,
    Channel,
    EventKind,
    Priority,
    QueueKind,
    Status,
    Ticket,
)
from app.web import put_error

bp = Blueprint("tickets", __name__, template_folder="templates")

FILE_ALIASES = {"file": "files"}


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# Employee portal


@bp.get("/")
@login_required
def home() -> str:
    user = _user()
    page = queries.list_tickets(
        user, queries.TicketFilter(requester_id=user.id), cursor=request.args.get("cursor") or None,
        limit=current_app.config["SAMDESK_PAGE_SIZE"],
    )
    queues = queries.queues_for(user)
    counts = queries.open_counts(user, [q.id for q in queues])
    return render_template("tickets/home.html", page=page, queues=queues, counts=counts)


@bp.route("/saker/ny", methods=["GET", "POST"])
@login_required
def new() -> Any:
    form = forms.NewTicketForm()
    if request.method == "GET" and request.args.get("emne"):  # from the help pages' "search first"
        form.subject.data = request.args["emne"][:200]
    if request.method == "GET" and request.args.get("system"):  # a link for one business system
        form.system.data = request.args["system"][:80]
    if form.validate_on_submit():
        try:
            ticket = services.create_ticket(
                subject=form.subject.data or "", body=form.body.data or "", actor=_user(),
                channel=Channel.WEB, category=form.category.data or None, system=form.system.data,
                priority=form.priority.data, files=forms.new_files(form.files.data),
            )
        except DomainError as error:
            return _form_error("tickets/new.html", form, error, known_systems=_known_systems())
        flash(_("Your case %(ref)s is registered. We will answer you here and by email.", ref=ticket.ref), "success")
        return redirect(url_for("tickets.show", ref=ticket.ref))
    return render_template("tickets/new.html", form=form, known_systems=_known_systems()), (
        400 if form.errors else 200
    )


def _known_systems() -> list[str]:
    """The business systems the cases of the user's municipality already name; the templates
    add those other domains know (the training roster's and courses') when they are installed."""
    return queries.systems_in_use(_user().municipality_id)


def _form_error(template: str, form: FlaskForm, error: DomainError, **context: Any) -> Any:
    if error.status == 404:
        raise error
    if not put_error(form, error, FILE_ALIASES):
        context["page_error"] = str(error.message)
    return render_template(template, form=form, **context), error.status


# --------------------------------------------------------------------------------------------
# The case page and its actions


def _case_forms(detail: queries.TicketDetail) -> dict[str, FlaskForm]:
    ticket = detail.ticket
    assign = forms.AssignForm(prefix="assign")
    assign.assignee.choices = [("", _("Nobody"))] + [
        (u.email, u.display_name)
        for u in accounts.agents_for_queue(ticket.queue.kind.value, ticket.municipality_id)
    ]
    assign.assignee.data = ticket.assignee.email if ticket.assignee else ""
    escalate = forms.EscalateForm(prefix="escalate")
    escalate.queue.choices = [
        (q.slug, q.name)
        for q in queries.all_queues()
        if q.kind is QueueKind.SECOND_LINE and q.is_active and not q.is_triage
    ]
    status = forms.StatusForm(prefix="status")
    status.status.data = ticket.status.value
    priority = forms.PriorityForm(prefix="priority")
    priority.priority.data = ticket.priority.value
    category = forms.CategoryForm(prefix="category")
    category.category.data = ticket.category or ""
    system = forms.SystemForm(prefix="system")
    system.system.data = ticket.system or ""
    move = forms.MoveForm(prefix="move")
    move.queue.choices = [(q.slug, q.name) for q in queries.move_targets(ticket)]
    return {
        "reply": forms.ReplyForm(prefix="reply"),
        "note": forms.NoteForm(prefix="note"),
        "escalate": escalate,
        "send_back": forms.NoteRequiredForm(prefix="send_back"),
        "assign": assign,
        "status": status,
        "priority": priority,
        "category": category,
        "system": system,
        "move": move,
        "claim": forms.ButtonForm(prefix="claim"),
        "solved": forms.ButtonForm(prefix="solved"),
        "attach": forms.AttachmentForm(prefix="attach"),
    }


def _allowed(user: Any, ticket: Ticket) -> dict[str, bool]:
    """Which actions the page offers; the services check the same rules again."""
    requester = policy.is_requester(user, ticket)
    open_ = ticket.status is not Status.CLOSED
    work = policy.can_work(user, ticket) and open_
    return {
        "staff": policy.staff_access(user, ticket),
        "work": work,
        "claim": work and ticket.assignee_id != user.id,
        "note": policy.can_note(user, ticket) and open_,
        "escalate": policy.can_escalate(user, ticket) and open_,
        "send_back": policy.can_send_back(user, ticket) and open_ and ticket.municipality_id is not None,
        "reply": open_ and (work or requester) and (
            ticket.status is not Status.RESOLVED or work or not policy.reopen_expired(ticket)
        ),
        "reopen": requester and not work and ticket.status is Status.RESOLVED,
        "solved": requester and not work and ticket.is_open,
        "access_log": policy.can_read_access_log(user),
    }


def _history_labels() -> dict[str, dict[str, str]]:
    """How the history shows an event's before and after: labels instead of stored values."""
    statuses = {k.value: str(v) for k, v in STATUS_LABELS.items()}
    queues = {q.slug: q.name for q in queries.all_queues()}
    by_kind = {
        EventKind.STATUS_CHANGED: statuses, EventKind.REOPENED: statuses,
        EventKind.PRIORITY_CHANGED: {k.value: str(v) for k, v in PRIORITY_LABELS.items()},
        EventKind.CATEGORY_CHANGED: {k: str(v) for k, v in CATEGORY_LABELS.items()},
        EventKind.CREATED: queues, EventKind.ESCALATED: queues, EventKind.SENT_BACK: queues,
        EventKind.MOVED: queues,
    }
    return {kind.value: labels for kind, labels in by_kind.items()}


def _render_case(
    ref: str, *, failed: tuple[str, FlaskForm] | None = None, page_error: str | None = None,
    status: int = 200,
) -> Any:
    user = _user()
    detail = services.open_ticket(ref, actor=user, via="web")
    case_forms = _case_forms(detail)
    if failed is not None:
        name, form = failed
        for field_name, shown in form._fields.items():  # choices the page computes (queues, agents)
            if getattr(shown, "choices", None) == []:
                shown.choices = case_forms[name][field_name].choices  # type: ignore[attr-defined]
        case_forms[name] = form
    ticket = detail.ticket
    return render_template(
        "tickets/ticket.html", d=detail, t=ticket, f=case_forms, can=_allowed(user, ticket),
        reopen_until=ticket.reopenable_until(current_app.config["SAMDESK_REOPEN_DAYS"]),
        page_error=page_error, failed=failed[0] if failed else None, labels=_history_labels(),
        known_systems=queries.systems_in_use(ticket.municipality_id) if policy.can_work(user, ticket) else [],
    ), status


@bp.get("/saker/<ref>")
@login_required
def show(ref: str) -> Any:
    return _render_case(ref)


def _act(ref: str, name: str, form: FlaskForm, do: Callable[[], object], done: str) -> Any:
    """Run one action from the case page: validate, call the service, redirect back to the case
    with a message, or show the page again with the error next to the field."""
    if not form.validate_on_submit():
        expired = "csrf_token" in form.errors
        return _render_case(
            ref, failed=(name, form), status=400,
            page_error=_("The form had expired. Try again.") if expired else None,
        )
    try:
        do()
    except DomainError as error:
        if error.status == 404:
            raise
        shown = put_error(form, error, FILE_ALIASES)
        return _render_case(
            ref, failed=(name, form), page_error=None if shown else str(error.message),
            status=error.status,
        )
    flash(done, "success")
    return redirect(url_for("tickets.show", ref=ref.upper(), _anchor="top"))


@bp.post("/saker/<ref>/svar")
@login_required
def reply(ref: str) -> Any:
    form = forms.ReplyForm(prefix="reply")
    return _act(ref, "reply", form, lambda: services.reply(
        ref, body=form.body.data or "", actor=_user(), channel=Channel.WEB,
        files=forms.new_files(form.files.data),
    ), _("Your answer is sent."))


@bp.post("/saker/<ref>/notat")
@login_required
def note(ref: str) -> Any:
    form = forms.NoteForm(prefix="note")
    return _act(ref, "note", form, lambda: services.reply(
        ref, body=form.body.data or "", actor=_user(), internal=True, channel=Channel.WEB,
        files=forms.new_files(form.files.data),
    ), _("The internal note is saved."))


@bp.post("/saker/<ref>/ta")
@login_required
def claim(ref: str) -> Any:
    form = forms.ButtonForm(prefix="claim")
    return _act(ref, "claim", form, lambda: services.claim(ref, actor=_user()), _("You have taken the case."))


@bp.post("/saker/<ref>/tildel")
@login_required
def assign(ref: str) -> Any:
    form = forms.AssignForm(prefix="assign")
    form.assignee.validate_choice = False  # the service decides who may be assigned
    return _act(ref, "assign", form, lambda: services.assign(
        ref, assignee_email=form.assignee.data or None, actor=_user()
    ), _("The assignee is changed."))


@bp.post("/saker/<ref>/eskaler")
@login_required
def escalate(ref: str) -> Any:
    form = forms.EscalateForm(prefix="escalate")
    form.queue.validate_choice = False
    return _act(ref, "escalate", form, lambda: services.escalate(
        ref, note=form.note.data or "", actor=_user(), queue_slug=form.queue.data or None
    ), _("The case is sent to the second line."))


@bp.post("/saker/<ref>/send-tilbake")
@login_required
def send_back(ref: str) -> Any:
    form = forms.NoteRequiredForm(prefix="send_back")
    return _act(ref, "send_back", form, lambda: services.send_back(
        ref, note=form.note.data or "", actor=_user()
    ), _("The case is sent back to the first line."))


@bp.post("/saker/<ref>/status")
@login_required
def status(ref: str) -> Any:
    form = forms.StatusForm(prefix="status")
    return _act(ref, "status", form, lambda: services.set_status(
        ref, form.status.data or "", actor=_user(), note=form.note.data or None
    ), _("The status is changed."))


@bp.post("/saker/<ref>/lost")
@login_required
def solved(ref: str) -> Any:
    form = forms.ButtonForm(prefix="solved")
    return _act(ref, "solved", form, lambda: services.set_status(
        ref, Status.RESOLVED, actor=_user()
    ), _("The case is marked as solved. Thank you!"))


@bp.post("/saker/<ref>/prioritet")
@login_required
def priority(ref: str) -> Any:
    form = forms.PriorityForm(prefix="priority")
    return _act(ref, "priority", form, lambda: services.set_priority(
        ref, form.priority.data or "", actor=_user()
    ), _("The priority is changed."))


@bp.post("/saker/<ref>/kategori")
@login_required
def category(ref: str) -> Any:
    form = forms.CategoryForm(prefix="category")
    return _act(ref, "category", form, lambda: services.set_category(
        ref, form.category.data or None, actor=_user()
    ), _("The category is changed."))


@bp.post("/saker/<ref>/fagsystem")
@login_required
def system(ref: str) -> Any:
    form = forms.SystemForm(prefix="system")
    return _act(ref, "system", form, lambda: services.set_system(
        ref, form.system.data or None, actor=_user()
    ), _("The business system is changed."))


@bp.post("/saker/<ref>/flytt")
@login_required
def move(ref: str) -> Any:
    form = forms.MoveForm(prefix="move")
    form.queue.validate_choice = False  # the service decides where a case may go
    return _act(ref, "move", form, lambda: services.move(
        ref, queue_slug=form.queue.data or "", note=form.note.data or None, actor=_user()
    ), _("The case is moved."))


@bp.post("/saker/<ref>/vedlegg")
@login_required
def attach(ref: str) -> Any:
    form = forms.AttachmentForm(prefix="attach")

    def add() -> None:
        for file in forms.new_files(form.files.data):
            services.add_attachment(ref, filename=file.filename, data=file.data, actor=_user())

    return _act(ref, "attach", form, add, _("The file is added."))


@bp.get("/saker/<ref>/vedlegg/<int:attachment_id>")
@login_required
def download(ref: str, attachment_id: int) -> Response:
    """A file, only to those who may see the ticket (and the message it belongs to)."""
    attachment = services.open_attachment(ref, attachment_id, actor=_user(), via="web")
    return storage.send(attachment.sha256, filename=attachment.filename, content_type=attachment.content_type)


# --------------------------------------------------------------------------------------------
# Agent workspace


def _require_staff() -> None:
    if not _user().is_staff:
        raise Forbidden(_("The workspace is for agents."))


def _filters(form: forms.FilterForm) -> queries.TicketFilter:
    return queries.TicketFilter(
        queue=form.queue.data or None,
        status=[Status(s) for s in form.status.data or []],
        assignee=form.assignee.data or None,
        priority=[Priority(form.priority.data)] if form.priority.data else [],
        channel=[Channel(form.channel.data)] if form.channel.data else [],
        q=form.q.data or None,
        sort=form.sort.data or "-created",
        system=form.system.data or None,
    )


@bp.get("/arbeid")
@login_required
def workspace() -> Any:
    _require_staff()
    user = _user()
    queues = queries.queues_for(user)
    counts = queries.open_counts(user, [q.id for q in queues])
    form = forms.FilterForm(request.args)
    if "queue" not in request.args and queues:
        form.queue.data = queues[0].slug
    current = next((q for q in queues if q.slug == form.queue.data), None)
    if current is not None:
        form.assignee.choices = [
            *form.assignee.choices,  # type: ignore[list-item]
            *((u.email, u.display_name) for u in accounts.agents_for_queue(current.kind.value, current.municipality_id)),
        ]
    if not form.status.data and "status" not in request.args:
        form.status.data = [s.value for s in (Status.NEW, Status.OPEN, Status.WAITING)]
    page, status = None, 200
    if form.validate():
        try:
            page = queries.list_tickets(
                user, _filters(form), cursor=request.args.get("cursor") or None,
                limit=current_app.config["SAMDESK_PAGE_SIZE"],
            )
        except Invalid as error:
            if error.field == "cursor" or not put_error(form, error):
                flash(str(error.message), "error")
            status = 400
    else:
        status = 400
    args: dict[str, Any] = {k: request.args.getlist(k) for k in request.args if k != "cursor"}
    next_url = prev_url = None
    if page is not None and page.next_cursor:
        next_url = url_for("tickets.workspace", **{**args, "cursor": page.next_cursor})
    if page is not None and page.prev_cursor:
        prev_url = url_for("tickets.workspace", **{**args, "cursor": page.prev_cursor})
    return render_template(
        "tickets/workspace.html", form=form, page=page, queues=queues, counts=counts,
        current=current, next_url=next_url, prev_url=prev_url,
        first_url=url_for("tickets.workspace", **args) if request.args.get("cursor") else None,
    ), status


@bp.route("/arbeid/registrer", methods=["GET", "POST"])
@login_required
def register() -> Any:
    """Register a case on behalf of an employee who called, wrote a letter or came by."""
    _require_staff()
    form = forms.RegisterTicketForm()
    if form.validate_on_submit():
        try:
            ticket = services.create_ticket(
                subject=form.subject.data or "", body=form.body.data or "", actor=_user(),
                requester_email=form.requester.data or "", channel=Channel.WEB,
                chosen_channel=form.channel.data, category=form.category.data or None,
                system=form.system.data, priority=form.priority.data,
                files=forms.new_files(form.files.data),
            )
        except DomainError as error:
            return _form_error("tickets/register.html", form, error, known_systems=_known_systems())
        flash(_("The case %(ref)s is registered for %(name)s.", ref=ticket.ref, name=ticket.requester.display_name), "success")
        return redirect(url_for("tickets.show", ref=ticket.ref))
    return render_template("tickets/register.html", form=form, known_systems=_known_systems()), (
        400 if form.errors else 200
    )
