"""The migrations produce exactly the models' schema, on SQLite and on PostgreSQL: the same
comparison ``flask db check`` (alembic check) makes, so a model change without its migration, or a
migration that drifts from the models, fails here."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.db import include_in_schema_compare
from app.extensions import db


def test_migrations_produce_exactly_the_models_schema(app: Any) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_in_schema_compare}
        )
        differences = compare_metadata(context, db.metadata)

    assert differences == []


def test_event_kind_column_holds_every_kind(app: Any) -> None:
    from app.tickets.models import EventKind, TicketEvent

    length = TicketEvent.__table__.c.kind.type.length
    assert length == 40
    assert max(len(kind.value) for kind in EventKind) <= length
