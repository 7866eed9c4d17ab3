"""Domain errors: a code, an HTTP status, an optional field and a translatable message.

Services raise them; one handler in :func:`app.create_app` turns them into a JSON error for the
API (``{"error": {"code", "message", "field"}}``) or a flash message and status on a page.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    code = "error"
    default_message: Any = _l("Something went wrong.")

    def __init__(
        self, message: Any = None, *, code: str | None = None, field: str | None = None
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.field = field
        super().__init__(str(self.message))

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": str(self.message), "field": self.field}}


class Invalid(DomainError):
    status = 400
    code = "invalid"
    default_message = _l("The request is not valid.")

    def __init__(self, field: str | None, message: Any = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code, field=field)


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("Log in or give a valid token.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("You may not do this.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("Someone else changed this at the same time.")


class TooLarge(DomainError):
    status = 413
    code = "too_large"
    default_message = _l("That is too large.")


class Unavailable(DomainError):
    status = 503
    code = "unavailable"
    default_message = _l("The service is unavailable. Try again shortly.")
