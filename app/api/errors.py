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

# marshmallow's messages, so that validation errors speak the user's language too.
VALIDATION_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field cannot be empty."),
    "Not a valid string.": _l("Give text here."),
    "Not a valid integer.": _l("Give a whole number here."),
    "Not a valid boolean.": _l("Give true or false here."),
    "Not a valid email address.": _l("Enter a valid email address."),
    "Unknown field.": _l("This field is not known."),
    "Invalid input type.": _l("The request body must be a JSON object."),
    "Invalid value.": _l("The value is not valid."),
    "String does not match expected pattern.": _l("The value is not valid."),
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, code: str, message: Any, field: str | None = None, **extra: Any) -> tuple[dict[str, Any], int]:
    body: dict[str, Any] = {"error": {"code": code, "message": str(message), "field": field, **extra}}
    return body, status


def _translate_validation(message: Any) -> str:
    text = str(message)
    if text in VALIDATION_MESSAGES:
        return str(VALIDATION_MESSAGES[text])
    if text.startswith("Must be one of"):
        return _("Choose one of: %(choices)s.", choices=text.removeprefix("Must be one of:").strip().rstrip("."))
    if text.startswith(("Longer than maximum length", "Shorter than minimum length", "Length must be")):
        return _("The length is not allowed: %(detail)s", detail=text)
    if text.startswith(("Must be greater", "Must be less")):
        return _("The number is out of range: %(detail)s", detail=text)
    return _("The value is not valid: %(detail)s", detail=text)


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
    if status in (400, 422) and error.detail:
        code = "invalid"
        field, raw = _first_field_error(error.detail)
        if raw:
            message = _translate_validation(raw)
            if field:
                message = _("%(field)s: %(message)s", field=field, message=message)
    body, status = api_error(status, code, message, field)
    if error.detail and status in (400, 422):
        body["error"]["detail"] = error.detail
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
