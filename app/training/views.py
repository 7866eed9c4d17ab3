"""Pages for training (blueprint "training"): courses and sessions for employees, the session
page for trainers (participants, attendance, CSV), the municipality's list for managers, nabohjelp
and its confirmation link, the roster and the figures.

Each view parses, calls one service or query with ``current_user`` and renders or redirects.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.accounts import queries as accounts
from app.accounts.models import Role
from app.db import utcnow
from app.errors import DomainError, Forbidden
from app.training import export, forms, ics, policy, queries, services
from app.training.markdown import render as render_markdown
from app.training.models import EnrolmentStatus, MaterialKind
from app.web import put_error

bp = Blueprint("training", __name__, template_folder="templates")


@bp.record_once
def _register_privacy_hook(_state: Any) -> None:
    """Forgetting a person (erasure, retention) forgets what training keeps about them."""
    from app.privacy import hooks as privacy_hooks

    privacy_hooks.on_forget_person(services.forget_person)
    privacy_hooks.on_export(queries.export_for_person)


@bp.app_context_processor
def _roster_helper() -> dict[str, Any]:
    """For the ticket pages' small roster boxes and system suggestions (tickets never import
    training): `training_roster_for(text, municipality_id)`, `training_roster_for_case(system,
    subject, municipality_id)` and `training_known_systems()`."""
    return {"training_roster_for": queries.roster_for_text,
            "training_roster_for_case": queries.roster_for_case,
            "training_known_systems": queries.known_systems}


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _fail(form: FlaskForm, error: DomainError) -> None:
    if error.status == 404:
        raise error
    if not put_error(form, error):
        flash(str(error.message), "error")


# --------------------------------------------------------------------------------------------
# Employees: courses and my record


@bp.get("/kurs")
@login_required
def index() -> str:
    user = _user()
    now = utcnow()
    mine = queries.my_courses(user, now)
    return render_template(
        "training/index.html", coming=mine.coming,
        sessions=[s for s in queries.upcoming_sessions(user, now) if policy.is_open_to(s, user)],
        waiting=mine.waiting, completed=mine.completed, rank=queries.waiting_rank,
        can_create=policy.can_create_course(user), taught=queries.courses_taught_by(user),
    )


@bp.get("/kurs/okter/<int:session_id>")
@login_required
def session(session_id: int) -> Any:
    return _render_session(session_id)


def _render_session(session_id: int, *, enrol_form: FlaskForm | None = None,
                    move_form: FlaskForm | None = None, status: int = 200) -> Any:
    user = _user()
    item = queries.get_session(session_id, user)
    if move_form is None:
        move_form = forms.RescheduleForm(prefix="move", data={
            "starts_at": ics.to_oslo(item.starts_at).replace(tzinfo=None),
            "ends_at": ics.to_oslo(item.ends_at).replace(tzinfo=None)})
    mine = queries.enrolment_of(item.id, user.id)
    teaches = policy.can_teach(user, item.course)
    return render_template(
        "training/session.html", s=item, mine=mine, counts=queries.counts(item.id),
        rank=queries.waiting_rank(mine) if mine else None, teaches=teaches,
        people=queries.participants(item.id) if teaches else [],
        open_to_me=policy.is_open_to(item, user), now=utcnow(),
        button=forms.ButtonForm(), mark=forms.ParticipantForm(),
        enrol_other=enrol_form or forms.EnrolOtherForm(prefix="other"), move=move_form,
        manages=user.has_role(Role.MANAGER), materials=queries.materials(item.course_id, user),
    ), status


@bp.post("/kurs/okter/<int:session_id>/pamelding")
@login_required
def enrol(session_id: int) -> Any:
    form = forms.ButtonForm()
    if form.validate_on_submit():
        try:
            done = services.enrol(session_id, actor=_user())
        except DomainError as error:
            _fail(form, error)
        else:
            if done.status is EnrolmentStatus.WAITING:
                flash(_("The session is full. You are number %(n)s on the waiting list.",
                        n=queries.waiting_rank(done)), "warning")
            else:
                flash(_("You are enrolled. The invitation is on its way by email."), "success")
    return redirect(url_for("training.session", session_id=session_id))


@bp.post("/kurs/okter/<int:session_id>/pamelding/annen")
@login_required
def enrol_other(session_id: int) -> Any:
    form = forms.EnrolOtherForm(prefix="other")
    if not form.validate_on_submit():
        return _render_session(session_id, enrol_form=form, status=400)
    try:
        done = services.enrol(session_id, participant_email=form.participant.data or "", actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        if not put_error(form, error, {"participant": "participant"}):
            flash(str(error.message), "error")
        return _render_session(session_id, enrol_form=form, status=error.status)
    flash(_("%(name)s is enrolled (%(status)s).", name=done.user.display_name, status=done.status.label), "success")
    return redirect(url_for("training.session", session_id=session_id))


@bp.post("/kurs/okter/<int:session_id>/avmelding")
@login_required
def cancel(session_id: int) -> Any:
    form = forms.ParticipantForm()
    if form.validate_on_submit():
        try:
            services.cancel_enrolment(session_id, participant_email=form.participant.data or None, actor=_user())
        except DomainError as error:
            _fail(form, error)
        else:
            flash(_("The enrolment is cancelled."), "success")
    return redirect(url_for("training.session", session_id=session_id))


# --------------------------------------------------------------------------------------------
# Trainers


@bp.post("/kurs/okter/<int:session_id>/oppmote")
@login_required
def attendance(session_id: int) -> Any:
    form = forms.ParticipantForm()
    if form.validate_on_submit():
        try:
            services.record_attendance(session_id, participant_email=form.participant.data or "",
                                       attended=form.attended.data == "1", actor=_user())
        except DomainError as error:
            _fail(form, error)
        else:
            flash(_("Attendance saved."), "success")
    return redirect(url_for("training.session", session_id=session_id) + "#participants")


@bp.post("/kurs/okter/<int:session_id>/tid")
@login_required
def reschedule(session_id: int) -> Any:
    form = forms.RescheduleForm(prefix="move")
    if not form.validate_on_submit():
        return _render_session(session_id, move_form=form, status=400)
    try:
        services.reschedule(session_id, starts_at=form.starts_at.data.replace(tzinfo=ics.OSLO),  # type: ignore[union-attr]
                            ends_at=form.ends_at.data.replace(tzinfo=ics.OSLO), actor=_user())  # type: ignore[union-attr]
    except DomainError as error:
        if error.status == 404:
            raise
        if not put_error(form, error):
            flash(str(error.message), "error")
        return _render_session(session_id, move_form=form, status=error.status)
    flash(_("The new time is saved, and everyone on the list is told."), "success")
    return redirect(url_for("training.session", session_id=session_id))


@bp.post("/kurs/okter/<int:session_id>/avlys")
@login_required
def cancel_session(session_id: int) -> Any:
    form = forms.ButtonForm()
    if form.validate_on_submit():
        try:
            services.cancel_session(session_id, actor=_user())
        except DomainError as error:
            _fail(form, error)
        else:
            flash(_("The session is cancelled and everyone on the list is told."), "success")
    return redirect(url_for("training.session", session_id=session_id))


@bp.get("/kurs/okter/<int:session_id>/deltakere.csv")
@login_required
def participants_csv(session_id: int) -> Response:
    item, people = services.export_participants(session_id, actor=_user())
    filename, body = export.participants_csv(item, people)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/kurs/nytt", methods=["GET", "POST"])
@login_required
def new_course() -> Any:
    user = _user()
    if not policy.can_create_course(user):
        raise Forbidden(_("Only trainers can create courses."))
    form = forms.CourseForm()
    if form.validate_on_submit():
        try:
            course = services.create_course(
                title=form.title.data or "", description=form.description.data or "",
                audience=form.audience.data or "",
                systems=[s for s in (form.systems.data or "").split(",") if s.strip()], actor=user)
        except DomainError as error:
            _fail(form, error)
        else:
            flash(_("The course is created. Add its sessions."), "success")
            return redirect(url_for("training.course", course_id=course.id))
    return render_template("training/new_course.html", form=form), 400 if form.errors else 200


def _session_form() -> forms.SessionForm:
    form = forms.SessionForm(prefix="session")
    form.municipality.choices = [("", _("All three municipalities"))] + [
        (m.code, m.name) for m in accounts.municipalities()]
    return form


@bp.get("/kurs/<int:course_id>")
@login_required
def course(course_id: int) -> Any:
    return _render_course(course_id)


def _render_course(course_id: int, *, failed: dict[str, FlaskForm] | None = None, status: int = 200) -> Any:
    user = _user()
    item = queries.get_course(course_id)
    f: dict[str, FlaskForm] = {"session": _session_form(), "page": forms.PageForm(prefix="page"),
                               "file": forms.FileForm(prefix="file")}
    f.update(failed or {})
    return render_template(
        "training/course.html", c=item, sessions=queries.sessions_of(item.id, user),
        materials=queries.materials(item.id, user), teaches=policy.can_teach(user, item), f=f, now=utcnow(),
    ), status


@bp.post("/kurs/<int:course_id>/okter")
@login_required
def add_session(course_id: int) -> Any:
    form = _session_form()
    if not form.validate_on_submit():
        return _render_course(course_id, failed={"session": form}, status=400)
    start = form.starts_at.data.replace(tzinfo=ics.OSLO) if form.starts_at.data else None
    end = form.ends_at.data.replace(tzinfo=ics.OSLO) if form.ends_at.data else None
    try:
        created = services.add_session(
            course_id, starts_at=start, ends_at=end, place=form.place.data or "",  # type: ignore[arg-type]
            video_url=form.video_url.data or None, capacity=form.capacity.data or 0,
            municipality=form.municipality.data or None,
            cancel_deadline_hours=form.cancel_deadline_hours.data if form.cancel_deadline_hours.data is not None else 24,
            actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        if not put_error(form, error):
            flash(str(error.message), "error")
        return _render_course(course_id, failed={"session": form}, status=error.status)
    flash(_("The session is added."), "success")
    return redirect(url_for("training.session", session_id=created.id))


@bp.post("/kurs/<int:course_id>/sider")
@login_required
def publish_page(course_id: int) -> Any:
    form = forms.PageForm(prefix="page")
    if not form.validate_on_submit():
        return _render_course(course_id, failed={"page": form}, status=400)
    material_id = int(form.material_id.data) if (form.material_id.data or "").isdigit() else None
    try:
        version = services.publish_page(course_id, title=form.title.data or "", body_md=form.body.data or "",
                                        material_id=material_id, actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        if not put_error(form, error, {"body": "body"}):
            flash(str(error.message), "error")
        return _render_course(course_id, failed={"page": form}, status=error.status)
    flash(_("Published as version %(n)s.", n=version.version), "success")
    return redirect(url_for("training.material", material_id=version.material_id))


@bp.post("/kurs/<int:course_id>/filer")
@login_required
def publish_file(course_id: int) -> Any:
    form = forms.FileForm(prefix="file")
    upload = request.files.get("file-file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        form.file.errors = [*form.file.errors, _("Choose a file.")]
        return _render_course(course_id, failed={"file": form}, status=400)
    try:
        version = services.publish_file(course_id, title=form.title.data or "", filename=upload.filename,
                                        data=upload.read(services.MAX_MATERIAL_BYTES + 1), actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        if not put_error(form, error):
            flash(str(error.message), "error")
        return _render_course(course_id, failed={"file": form}, status=error.status)
    flash(_("Published as version %(n)s.", n=version.version), "success")
    return redirect(url_for("training.course", course_id=course_id))


@bp.get("/kurs/materiell/<int:material_id>")
@login_required
def material(material_id: int) -> Any:
    item = queries.material(material_id, _user())
    wanted = request.args.get("versjon", type=int)
    if item.kind is MaterialKind.ARTICLE:
        abort(404)
    version = queries.material_version(item.id, wanted)
    if item.kind is MaterialKind.FILE:
        return send_file(io.BytesIO(version.data or b""), mimetype=version.content_type or "application/octet-stream",
                         as_attachment=True, download_name=version.filename or "materiell")
    course_ = queries.get_course(item.course_id)
    return render_template("training/material.html", m=item, v=version, c=course_,
                           html=render_markdown(version.body_md or ""),
                           teaches=policy.can_teach(_user(), course_), form=forms.PageForm(
                               prefix="page", data={"title": item.title, "body": version.body_md,
                                                    "material_id": str(item.id)}))


# --------------------------------------------------------------------------------------------
# Managers


@bp.get("/kurs/kommune")
@login_required
def municipality() -> Any:
    user = _user()
    if not policy.can_read_municipality_enrolments(user):
        raise Forbidden(_("Only managers see their municipality's enrolments."))
    return render_template("training/municipality.html",
                           enrolments=queries.enrolments_in_municipality(user.municipality_id))


# --------------------------------------------------------------------------------------------
# Nabohjelp


@bp.route("/nabohjelp", methods=["GET", "POST"])
@login_required
def nabohjelp() -> Any:
    user = _user()
    form = forms.HelpForm()
    if form.validate_on_submit():
        try:
            services.record_help(
                helped_email=form.helped.data or "", topic=form.topic.data or "", system=form.system.data or None,
                unit=form.unit.data or None, minutes=form.minutes.data or 0, helped_on=form.date.data,
                ticket_ref=form.ticket.data or None, actor=user)
        except DomainError as error:
            _fail(form, error)
        else:
            flash(_("Thank you! The help is recorded, and your colleague is asked to confirm it."), "success")
            return redirect(url_for("training.nabohjelp"))
    return render_template("training/nabohjelp.html", form=form, items=queries.help_page(user, limit=100)), (
        400 if form.errors else 200)


@bp.route("/nabohjelp/bekreft/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    """The helped colleague's link: the signed token stands for them, so no login is asked."""
    help_ = services.help_for_token(token)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        help_ = services.confirm_help(token, confirmed=form.answer.data == "yes")
        flash(_("Thank you for answering."), "success")
    return render_template("training/confirm.html", h=help_, form=form)


@bp.route("/nabohjelp/superbrukere", methods=["GET", "POST"])
@login_required
def roster() -> Any:
    user = _user()
    form = forms.RosterForm()
    if form.validate_on_submit():
        try:
            services.add_to_roster(system=form.system.data or "", unit=form.unit.data or "",
                                   email=form.email.data or "", actor=user)
        except DomainError as error:
            _fail(form, error)
        else:
            flash(_("Added to the roster."), "success")
            return redirect(url_for("training.roster"))
    return render_template("training/roster.html", form=form, entries=queries.roster(),
                           can_edit=policy.can_edit_roster(user), button=forms.ButtonForm()), (
        400 if form.errors else 200)


@bp.post("/nabohjelp/superbrukere/<int:entry_id>/fjern")
@login_required
def roster_remove(entry_id: int) -> Any:
    form = forms.ButtonForm()
    if form.validate_on_submit():
        try:
            services.remove_from_roster(entry_id, actor=_user())
        except DomainError as error:
            _fail(form, error)
        else:
            flash(_("Removed from the roster."), "success")
    return redirect(url_for("training.roster"))


@bp.get("/kurs/tall")
@login_required
def figures() -> Any:
    user = _user()
    if not policy.can_read_figures(user):
        raise Forbidden(_("Only trainers, managers and administrators see the figures."))
    found = queries.figures(user, utcnow())
    top = max((r.minutes for r in found.months), default=0)
    return render_template("training/figures.html", rows=found.months, top=top, suggestions=found.suggestions)


@bp.post("/saker/<ref>/nabohjelp")
@login_required
def resolve_with_help(ref: str) -> Any:
    """From the agent's case page: resolve as "solved with nabohjelp from X"."""
    form = forms.ResolveWithHelpForm(meta={"csrf": True})
    if not form.validate_on_submit():
        flash(_("Give the helper's email and the minutes."), "error")
        return redirect(url_for("tickets.show", ref=ref))
    try:
        services.resolve_with_help(ref, helper_email=form.helper.data or "", minutes=form.minutes.data or 0,
                                   system=form.system.data or None, actor=_user())
    except DomainError as error:
        if error.status == 404:
            raise
        flash(str(error.message), "error")
    else:
        flash(_("The case is resolved, and the nabohjelp is recorded."), "success")
    return redirect(url_for("tickets.show", ref=ref))
