"""Logging in and out (blueprint "accounts")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.accounts import queries, services
from app.extensions import limiter, login_manager

bp = Blueprint("accounts", __name__, template_folder="templates")


@login_manager.user_loader
def _load_user(user_id: str) -> object:
    user = queries.user_by_id(int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.can_log_in else None


def _safe_next(target: str | None) -> str:
    """Only local paths: no open redirects after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("tickets.home")


@bp.route("/logg-inn", methods=["GET", "POST"])
@limiter.limit(lambda: __import__("flask").current_app.config["SAMDESK_LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        user = services.authenticate(email, request.form.get("password", ""))
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong email address or password.")
    return render_template("accounts/login.html", error=error, email=email), (401 if error else 200)


@bp.post("/logg-ut")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))
