"""Samdesk: a helpdesk for municipalities that cooperate on IT.

``create_app`` builds the application: settings, extensions, blueprints (one per domain), error
handlers, command-line groups and the locale.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from apiflask import APIFlask
from flask import Flask, g, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from app import config as config_module
from app import extensions
from app.extensions import babel, csrf, db, limiter, login_manager, migrate

log = logging.getLogger(__name__)


def select_locale() -> str:
    from flask_login import current_user

    supported = ["nb", "en"]
    asked = request.args.get("lang") if request else None
    if asked in supported:
        return asked
    if request and request.cookies.get("lang") in supported:
        return str(request.cookies["lang"])
    user = getattr(g, "api_user", None) or (current_user if current_user else None)
    if request and request.headers.get("Accept-Language") and request.path.startswith("/api/"):
        best = request.accept_languages.best_match(supported + ["no", "nn"])
        if best:
            return "nb" if best in ("no", "nn") else best
    if user is not None and getattr(user, "is_authenticated", False):
        return str(getattr(user, "locale", "nb") or "nb")
    if request:
        best = request.accept_languages.best_match(supported + ["no", "nn"])
        if best:
            return "nb" if best in ("no", "nn") else best
    return "nb"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = APIFlask(
        __name__,
        title="Samdesk API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path=None,
        json_errors=False,
    )
    app.config.from_mapping(config_module.load())
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    _configure_sqlite(app)
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=";".join(_translation_dirs()),
    )
    csrf.init_app(app)
    # Not the bare name `mail`: importing the package app.mail rebinds it on this module, so a
    # second create_app (tests) would call app.mail.init_app.
    extensions.mail.init_app(app)
    limiter.init_app(app)

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Log in to see this page.")  # type: ignore[assignment]

    from app.privacy.logging import install as keep_personal_data_out_of_logs

    keep_personal_data_out_of_logs()
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_cli(app)
    _register_template_helpers(app)
    _register_security_headers(app)

    @app.get("/healthz")
    @app.doc(hide=True)
    def healthz() -> tuple[dict[str, str], int]:
        try:
            db.session.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            log.exception("health check failed")
            return {"status": "unavailable"}, 503
        return {"status": "ok"}, 200

    csrf.exempt(healthz)
    return app


def _translation_dirs() -> list[str]:
    """One catalogue per domain package plus the shared one (see docs/adr)."""
    base = config_module.BASE_DIR / "app"
    dirs = [str(base / "translations")]
    for child in sorted(base.iterdir()):
        if (child / "translations").is_dir():
            dirs.append(str(child / "translations"))
    return dirs


def _configure_sqlite(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():

        @sa.event.listens_for(db.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # SQLite's lower() knows only ASCII; searches fold case with Python's rules (æøå).
            dbapi_connection.create_function(
                "sd_casefold", 1, lambda v: v.casefold() if isinstance(v, str) else v,
                deterministic=True,
            )


def _register_blueprints(app: APIFlask) -> None:
    from app.accounts.api import bp as accounts_api
    from app.accounts.signin_views import bp as signin_views
    from app.accounts.views import bp as accounts_views
    from app.admin.views import bp as admin_views
    from app.audit.api import bp as audit_api
    from app.audit.views import bp as audit_views
    from app.knowledge.api import bp as knowledge_api
    from app.knowledge.views import bp as knowledge_views
    from app.mail.views import bp as mail_views
    from app.outbox.views import bp as outbox_views
    from app.privacy.views import bp as privacy_views
    from app.sla import init_app as init_sla
    from app.sla.api import bp as sla_api
    from app.sla.views import bp as sla_views
    from app.telephony import init_app as init_telephony
    from app.telephony import views as telephony_views
    from app.telephony.api import bp as telephony_api
    from app.tickets.api import bp as tickets_api
    from app.tickets.views import bp as tickets_views
    from app.training.api import bp as training_api
    from app.training.views import bp as training_views

    for bp in (accounts_views, signin_views, tickets_views, admin_views, audit_views, mail_views,
               outbox_views, privacy_views, sla_views, knowledge_views, training_views):
        app.register_blueprint(bp)
    init_sla(app)
    app.register_blueprint(telephony_views.bp)
    for name in telephony_views.WEBHOOKS:  # Twilio signs its requests; CSRF does not apply
        csrf.exempt(name.replace("telephony.", "app.telephony.views."))
    init_telephony(app)
    for api_bp in (
        accounts_api, tickets_api, audit_api, sla_api, telephony_api, knowledge_api, training_api,
    ):
        app.register_blueprint(api_bp)
        csrf.exempt(api_bp)  # bearer tokens, no cookies: CSRF does not apply


def _register_error_handlers(app: APIFlask) -> None:
    from app.api.errors import error_processor, handle_domain_error, handle_http_exception
    from app.errors import DomainError

    app.error_processor(error_processor)
    from app.api import init_app as init_api

    init_api(app)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)


def _register_cli(app: Flask) -> None:
    from app.accounts.cli import municipality_cli, token_cli, users_cli
    from app.demo.cli import demo_cli
    from app.knowledge.cli import knowledge_cli, search_cli
    from app.mail.cli import mail_cli
    from app.outbox.cli import outbox_cli
    from app.privacy.cli import privacy_cli
    from app.sla.cli import calendar_cli, sla_cli
    from app.telephony.cli import telephony_cli
    from app.tickets.cli import queues_cli, tickets_cli
    from app.training.cli import training_cli

    for group in (
        municipality_cli, token_cli, users_cli, demo_cli, mail_cli, outbox_cli,
        queues_cli, tickets_cli, privacy_cli, calendar_cli, sla_cli, telephony_cli, search_cli,
        knowledge_cli, training_cli,
    ):
        app.cli.add_command(group)


def _register_template_helpers(app: Flask) -> None:
    from app.web import register_template_helpers

    register_template_helpers(app)

    @app.context_processor
    def _locale() -> dict[str, Any]:
        return {"current_locale": str(get_locale() or "nb")}


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith("/static/"):
            # Cases hold personal data: no copies in shared or proxy caches.
            headers.setdefault("Cache-Control", "no-store")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
