"""Schemas and fields shared by every domain's API.

Input schemas use the fields and validators below instead of apiflask's: each declares its
validation messages with ``_l`` (English msgids, Norwegian in app/api's catalogue), so a 400 speaks
the caller's language where the field is declared, not by translating marshmallow's English
afterwards. Messages are formatted at validation time, inside the request, in its locale."""

from __future__ import annotations

from typing import Any, ClassVar

from apiflask import Schema as BaseSchema
from apiflask import fields, validators
from flask_babel import lazy_gettext as _l

LIST_PARAMS_DOC = "Keyset pagination: pass `next_cursor` from the previous page as `cursor`."

FIELD_MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field cannot be empty."),
    "validator_failed": _l("The value is not valid."),
}


class Schema(BaseSchema):
    """An input schema whose own errors (an unknown field, a body that is not an object) are
    translated."""

    error_messages: ClassVar[dict[str, Any]] = {  # type: ignore[misc]
        "unknown": _l("This field is not known."),
        "type": _l("The request body must be a JSON object."),
    }


class String(fields.String):
    default_error_messages = {  # noqa: RUF012
        **FIELD_MESSAGES,
        "invalid": _l("Give text here."),
        "invalid_utf8": _l("The text is not valid UTF-8."),
    }


class Integer(fields.Integer):
    default_error_messages = {  # noqa: RUF012
        **FIELD_MESSAGES,
        "invalid": _l("Give a whole number here."),
        "too_large": _l("The number is too large."),
    }


class Boolean(fields.Boolean):
    default_error_messages = {**FIELD_MESSAGES, "invalid": _l("Give true or false here.")}  # noqa: RUF012


class Email(fields.Email):
    default_error_messages = {**FIELD_MESSAGES, "invalid": "Enter a valid email address."}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # marshmallow insists on a plain string here; its validator formats ours lazily.
        self.validators[0].error = _l("Enter a valid email address.")  # type: ignore[attr-defined]


class File(fields.File):
    default_error_messages = {**FIELD_MESSAGES, "invalid": _l("Send a file here.")}  # noqa: RUF012


class Length(validators.Length):
    message_min = _l("Write at least {min} characters.")  # type: ignore[assignment]
    message_max = _l("Write at most {max} characters.")  # type: ignore[assignment]
    message_all = _l("Write from {min} to {max} characters.")  # type: ignore[assignment]
    message_equal = _l("Write exactly {equal} characters.")  # type: ignore[assignment]


class OneOf(validators.OneOf):
    default_message = _l("Choose one of: {choices}.")  # type: ignore[assignment]


class Regexp(validators.Regexp):
    default_message = _l("The value is not valid.")  # type: ignore[assignment]


class Range(validators.Range):
    def __init__(self, min: int | None = None, max: int | None = None, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("error", _l("Give a number from {min} to {max}."))
        super().__init__(min, max, **kwargs)


class CursorQuery(Schema):
    cursor = String(load_default=None, validate=Length(max=200), metadata={"description": LIST_PARAMS_DOC})
