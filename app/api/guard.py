"""Refuse text that no database column can hold before it reaches a service.

PostgreSQL refuses NUL in text, and a lone surrogate (JSON allows ``"\\ud800"``) cannot be
encoded as UTF-8 at all. Both are answered with a 400 naming the field, for every /api/ request:
query string, path, form fields and the JSON body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from app.db import is_storable
from app.errors import Invalid

MAX_DEPTH = 32


def is_bad_text(value: str) -> bool:
    """Whether ``value`` holds NUL or a lone surrogate."""
    return not is_storable(value)


def _walk(value: Any, name: str | None, depth: int = 0) -> Iterator[str | None]:
    """The field names under ``value`` whose keys or strings are bad text."""
    if depth > MAX_DEPTH:
        yield name
    elif isinstance(value, str):
        if is_bad_text(value):
            yield name
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and is_bad_text(key):
                yield name
            else:
                yield from _walk(item, name if name is not None else str(key), depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, name, depth + 1)


def reject_bad_text() -> None:
    """``before_request`` for /api/: 400 when any text in the request is unstorable."""
    if not request.path.startswith("/api/"):
        return
    sources: list[Any] = [
        {k: request.args.getlist(k) for k in request.args},
        dict(request.view_args or {}),
    ]
    if request.mimetype == "multipart/form-data" or request.mimetype == "application/x-www-form-urlencoded":
        sources.append({k: request.form.getlist(k) for k in request.form})
    elif request.is_json:
        sources.append(request.get_json(silent=True))
    for source in sources:
        for field in _walk(source, None):
            raise Invalid(
                field,
                _l("The text contains characters that cannot be stored (NUL or invalid Unicode)."),
                code="invalid_text",
            )
