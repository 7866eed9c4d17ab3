"""Admin pages for the mail quarantine (blueprint "mail"): see, retry or discard what intake
could not take in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.mail import services
from app.mail.parsing import Unparseable, parse

bp = Blueprint("mail", __name__, url_prefix="/admin/e-post", template_folder="templates")


@bp.get("/karantene")
@login_required
def quarantine() -> str:
    held = services.list_quarantine(actor=current_user)
    return render_template("mail/quarantine.html", held=held)


@bp.get("/karantene/<int:quarantine_id>")
@login_required
def quarantine_detail(quarantine_id: int) -> str:
    item = services.get_quarantined(quarantine_id, actor=current_user)
    try:
        parsed = parse(item.raw)
    except (Unparseable, Exception):  # noqa: BLE001 - the page shows the raw bytes instead
        parsed = None
    raw_preview = item.raw[:20_000].decode("utf-8", errors="replace")
    return render_template("mail/quarantine_detail.html", item=item, parsed=parsed, raw_preview=raw_preview)


@bp.post("/karantene/<int:quarantine_id>/prov-igjen")
@login_required
def quarantine_retry(quarantine_id: int) -> Response:
    result = services.retry_quarantined(quarantine_id, actor=current_user)
    if result.quarantined:
        flash(_("The email still cannot be taken in; it stays in quarantine."), "warning")
    elif result.ref:
        flash(_("The email was taken in as case %(ref)s.", ref=result.ref), "success")
    else:
        flash(_("The email was taken in; it did not need a case."), "success")
    return redirect(url_for("mail.quarantine"))


@bp.post("/karantene/<int:quarantine_id>/forkast")
@login_required
def quarantine_discard(quarantine_id: int) -> Response:
    services.discard_quarantined(quarantine_id, actor=current_user)
    flash(_("The email was discarded."), "success")
    return redirect(url_for("mail.quarantine"))
