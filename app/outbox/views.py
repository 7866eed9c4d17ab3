"""Admin pages for the outbox: dead letters to see and retry (blueprint "outbox")."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.outbox import services

bp = Blueprint("outbox", __name__, url_prefix="/admin/utboks", template_folder="templates")


@bp.get("/")
@login_required
def dead_letters() -> str:
    rows = services.dead_letters(actor=current_user)
    return render_template("outbox/dead_letters.html", rows=rows)


@bp.post("/<int:message_id>/send-igjen")
@login_required
def retry(message_id: int) -> Response:
    services.retry_dead(message_id, actor=current_user)
    flash(_("The message will be sent again."), "success")
    return redirect(url_for("outbox.dead_letters"))
