"""One error shape for the API, ``{"error": {"code", "message", "field"}}``, and error pages for
the web. Messages are translated (nb by default, en when asked)."""

from __future__ import annotations

from typing import Any

from apiflask import HTTPError
from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from app.errors import DomainError

HTTP_MESSAGES = {
    400: ("bad_request", _l("The request is not valid.")),
    401: ("unauthorized", _l("Log in or give a valid token.")),
    403: ("forbidden", _l("You may not do this.")),
    404: ("not_found", _l("Not found.")),
    405: ("method_not_allowed", _l("That method is not allowed here.")),
    406: ("not_acceptable", _l("That format is not available.")),
    409: ("conflict", _l("Someone else changed this at the same time.")),
    413: ("too_large", _l("The request is too large.")),
    415: ("unsupported_media_type", _l("Send JSON (Content-Type: application/json).")),
    422: ("invalid", _l("The request is not valid.")),
    429: ("too_many_requests", _l("Too many attempts. Wait a minute and try again.")),
    500: ("server_error", _l("Something went wrong on our side.")),
    503: ("unavailable", _l("The service is unavailable. Try again shortly.")),
}

def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, code: str, message: Any, field: str | None = None, **extra: Any) -> tuple[dict[str, Any], int]:
    body: dict[str, Any] = {"error": {"code": code, "message": str(message), "field": field, **extra}}
    return body, status


def _plain(detail: Any) -> Any:
    """The validation detail with every message as text: the schemas declare their messages
    lazily (app/api/schemas.py), formatted now in the request's language."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_plain(value) for value in detail]
    return detail if isinstance(detail, int | float | bool) or detail is None else str(detail)


def _first_field_error(detail: Any) -> tuple[str | None, str | None]:
    """From APIFlask's ``{"json": {"subject": ["..."]}}`` to ("subject", "...")."""
    if not isinstance(detail, dict):
        return None, None
    for _location, fields in detail.items():
        if isinstance(fields, dict):
            for name, messages in fields.items():
                message = messages
                while isinstance(message, dict):  # nested: {"0": ["..."]}
                    message = next(iter(message.values()), "")
                if isinstance(message, list):
                    message = message[0] if message else ""
                if name == "_schema":
                    return None, str(message)
                return str(name), str(message)
        elif isinstance(fields, list) and fields:
            return None, str(fields[0])
    return None, None


def error_processor(error: HTTPError) -> tuple[dict[str, Any], int, dict[str, str]]:
    """APIFlask's errors (validation, auth, abort) in our shape."""
    status = error.status_code
    code, default = HTTP_MESSAGES.get(status, ("error", _l("Something went wrong.")))
    field = None
    message: Any = default
    detail = _plain(error.detail) if error.detail else None
    if status in (400, 422) and detail:
        code = "invalid"
        field, raw = _first_field_error(detail)
        if raw:
            message = _("%(field)s: %(message)s", field=field, message=raw) if field else raw
    body, status = api_error(status, code, message, field)
    if detail and status in (400, 422):
        body["error"]["detail"] = detail
    return body, status, dict(error.headers or {})  # type: ignore[arg-type]


def handle_domain_error(error: DomainError) -> Any:
    if is_api_request():
        return api_error(error.status, error.code, error.message, error.field)
    if error.status == 404:
        return render_template("errors/error.html", status=404, message=error.message), 404
    flash(str(error.message), "error")
    return render_template("errors/error.html", status=error.status, message=error.message), error.status


def handle_http_exception(error: HTTPException) -> Any:
    status = error.code or 500
    code, message = HTTP_MESSAGES.get(status, ("error", error.name))
    if is_api_request():
        body, status = api_error(status, code, message)
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return body, status, headers
    if status == 400 and "CSRF" in (error.description or ""):
        message = _l("The form had expired. Try again.")
    return render_template("errors/error.html", status=status, message=message), status


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string", "nullable": True},
                "detail": {"type": "object"},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
