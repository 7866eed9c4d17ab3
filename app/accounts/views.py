"""Logging in and out, and the language switch (blueprint "accounts")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from app.accounts import services, signin_views
from app.extensions import limiter, login_manager
from app.web import safe_next

bp = Blueprint("accounts", __name__, template_folder="templates")

LANGUAGES = ("nb", "en")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"), validators=[DataRequired(_l("Give your email address."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Give your password."))])


@login_manager.user_loader
def _load_user(user_id: str) -> object:
    return signin_views.load_user(user_id)  # a server-side session (app/accounts/sessions.py)


def _safe_next(target: str | None) -> str:
    """Only local paths: no open redirects after login."""
    return safe_next(target, url_for("tickets.home"))


def _login_limit() -> str:
    return str(current_app.config["SAMDESK_LOGIN_RATE_LIMIT"])


@bp.route("/logg-inn", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=lambda response: response.status_code != 302)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:  # a second factor may follow (app/accounts/signin_views.py)
            return signin_views.password_ok(user, _safe_next(request.args.get("next")))
        error = _("Wrong email address or password.")
    status = 401 if error else (400 if form.errors else 200)
    return render_template("accounts/login.html", form=form, error=error), status


@bp.post("/logg-ut")
@login_required
def logout() -> Response:
    signin_views.end_current_session()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/sprak/<code>")
def set_language(code: str) -> Response:
    """Choose Norwegian or English; remembered in the `lang` cookie, read by select_locale."""
    response = redirect(safe_next(request.args.get("next"), url_for("tickets.home")))
    if code in LANGUAGES:
        response.set_cookie(
            "lang", code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
            secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        )
    return response
