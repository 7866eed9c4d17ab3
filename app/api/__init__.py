"""Shared API plumbing: bearer tokens, JSON errors, cursors and the OpenAPI document's parts.

Routes live in each domain's ``api.py`` (``app/tickets/api.py``, ``app/accounts/api.py``).
:func:`init_app` wires the shared parts into the application.
"""

from __future__ import annotations

import flask_babel
from apiflask import APIFlask
from flask import g


def _fresh_request_state() -> None:
    """Start every request without the caller or locale of an earlier one. ``g`` belongs to the
    app context, which a request shares with an enclosing one (tests, scripts): without this the
    first request's locale and token user would stick."""
    g.pop("api_user", None)
    flask_babel.refresh()


def init_app(app: APIFlask) -> None:
    """One error shape in the OpenAPI document, and unstorable text refused before any view.
    Call after the blueprints are registered."""
    from app.api.errors import ERROR_SCHEMA
    from app.api.guard import reject_bad_text
    from app.api.spec import complete_spec

    app.config["HTTP_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["VALIDATION_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.spec_processor(complete_spec)
    app.before_request(_fresh_request_state)
    app.before_request(reject_bad_text)
    # APIFlask reads `enable_openapi` from every blueprint that has a before_request hook and
    # fails on plain Flask blueprints (the web pages'): mark those as not part of the API.
    for blueprint in app.blueprints.values():
        if not hasattr(blueprint, "enable_openapi"):
            blueprint.enable_openapi = False  # type: ignore[attr-defined]
