"""Shared API plumbing: bearer tokens, JSON errors, cursors and the OpenAPI document's parts.

Routes live in each domain's ``api.py`` (``app/tickets/api.py``, ``app/accounts/api.py``).
:func:`init_app` wires the shared parts into the application.
"""

from __future__ import annotations

from apiflask import APIFlask


def init_app(app: APIFlask) -> None:
    """One error shape in the OpenAPI document, and unstorable text refused before any view."""
    from app.api.errors import ERROR_SCHEMA
    from app.api.guard import reject_bad_text
    from app.api.spec import complete_spec

    app.config["HTTP_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.config["VALIDATION_ERROR_SCHEMA"] = ERROR_SCHEMA
    app.spec_processor(complete_spec)
    app.before_request(reject_bad_text)
