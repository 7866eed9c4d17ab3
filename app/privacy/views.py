"""Pages (blueprint "privacy"): a person's own page with who among the staff opened their cases,
and the administrators' page for a person's export and erasure and for legal holds."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired

from app.accounts.models import User
from app.errors import DomainError, Forbidden
from app.privacy import services
from app.tickets import retention as ticket_retention
from app.web import put_error

bp = Blueprint("privacy", __name__, template_folder="templates")


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined, no-any-return]


class PersonForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Give the person's email address."))])


class EraseForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Give the person's email address."))])
    confirm = EmailField(_l("The same address again"),
                         validators=[DataRequired(_l("Repeat the address to confirm."))])


class HoldForm(FlaskForm):
    ref = StringField(_l("Case"), validators=[DataRequired(_l("Give the case reference."))])
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why the case must be kept."))])


@bp.get("/min-side")
@login_required
def my_page() -> Any:
    before = request.args.get("before", type=int)
    rows = ticket_retention.requester_access_log(_me().id, before_id=before, limit=50)
    return render_template("privacy/my_page.html", rows=rows,
                           next_before=rows[-1].id if len(rows) == 50 else None)


def _admin() -> User:
    me = _me()
    if not me.is_admin:
        raise Forbidden(_("Only administrators can see the admin pages."))
    return me


@bp.route("/admin/personvern", methods=["GET", "POST"])
@login_required
def admin_page() -> Any:
    actor = _admin()
    export_form, erase_form, hold_form = PersonForm(prefix="export"), EraseForm(prefix="erase"), HoldForm(prefix="hold")
    status = 200
    try:
        if request.form.get("export-email") is not None and export_form.validate_on_submit():
            data = services.export_person(export_form.email.data or "", actor=actor)
            import io

            return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                             download_name="personopplysninger.zip")
        if request.form.get("erase-email") is not None and erase_form.validate_on_submit():
            if (erase_form.email.data or "").strip().lower() != (erase_form.confirm.data or "").strip().lower():
                erase_form.confirm.errors = [_("The two addresses are not the same.")]
            else:
                result = services.erase_person(erase_form.email.data or "", actor=actor)
                flash(_("The person is erased; %(n)s cases anonymised.", n=len(result.anonymised)), "success")
                for outcome in result.held:
                    flash(_("%(ref)s is kept: legal hold: %(reason)s", ref=outcome.ref, reason=outcome.reason), "warning")
                return redirect(url_for("privacy.admin_page"))
        if request.form.get("hold-ref") is not None and hold_form.validate_on_submit():
            services.place_hold(hold_form.ref.data or "", hold_form.reason.data or "", actor=actor)
            flash(_("The case is under legal hold."), "success")
            return redirect(url_for("privacy.admin_page"))
    except DomainError as error:
        form = export_form if request.form.get("export-email") is not None else (
            erase_form if request.form.get("erase-email") is not None else hold_form)
        if not put_error(form, error, {"email": "email", "reason": "reason"}):
            flash(str(error.message), "error")
        status = error.status
    if request.method == "POST" and status == 200:
        status = 400
    return render_template("privacy/admin.html", export_form=export_form, erase_form=erase_form,
                           hold_form=hold_form), status


@bp.post("/admin/personvern/hold/<ref>/opphev")
@login_required
def lift_hold(ref: str) -> Response:
    services.lift_hold(ref, actor=_admin())
    flash(_("The legal hold is lifted."), "success")
    return redirect(url_for("privacy.admin_page"))
