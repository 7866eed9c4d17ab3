"""Schemas shared by every domain's API."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import String
from apiflask.validators import Length

LIST_PARAMS_DOC = "Keyset pagination: pass `next_cursor` from the previous page as `cursor`."


class CursorQuery(Schema):
    cursor = String(load_default=None, validate=Length(max=200), metadata={"description": LIST_PARAMS_DOC})
