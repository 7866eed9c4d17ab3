"""The declarative base, shared column types and the transaction boundary (``@atomic``)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime on every database (SQLite keeps no zone, so we store naive UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
updated_at = Annotated[
    datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)
]
bool_false = Annotated[bool, mapped_column(default=False, server_default=sa.false(), nullable=False)]
bool_true = Annotated[bool, mapped_column(default=True, server_default=sa.true(), nullable=False)]
str80 = Annotated[str, mapped_column(sa.String(80))]
str200 = Annotated[str, mapped_column(sa.String(200))]
str320 = Annotated[str, mapped_column(sa.String(320))]


# Objects the migrations create that the models do not describe: the PostgreSQL trigram index on
# ticket subjects (migration 0003, an operator class SQLAlchemy's Index cannot express portably).
MIGRATION_ONLY_OBJECTS = frozenset({("index", "ix_tickets_subject_trgm")}) | frozenset(
    # Full-text search (migration 0010, ADR 0071 and 0073): SQLite's FTS5 tables and their
    # shadow tables; PostgreSQL's generated tsvector and GIN indexes.
    [("table", f"{base}{suffix}") for base in ("tickets_fts", "messages_fts")
     for suffix in ("", "_config", "_data", "_docsize", "_idx", "_content")]
    + [("column", "search_vector"), ("index", "ix_articles_search_vector"),
       ("column", "head_vector"), ("index", "ix_articles_head_vector"),  # migration 0020
       ("index", "ix_messages_body_trgm"), ("index", "ix_search_words_trgm")]
)


def include_in_schema_compare(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object`` for autogenerate and the schema test: skip only the objects
    listed in MIGRATION_ONLY_OBJECTS."""
    return (type_, name) not in MIGRATION_ONLY_OBJECTS


def enum_column(enum: type[Any], length: int = 20) -> sa.Enum:
    """StrEnums stored as plain strings, so SQLite and PostgreSQL agree."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


# ---------------------------------------------------------------------------------------------
# @atomic: the outermost call commits, nested calls join it, any exception rolls back.
# Callbacks registered with on_commit() run after the outermost commit (search index, etc).

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("atomic_depth", default=0)
_after_commit: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "atomic_after_commit", default=None
)

P = ParamSpec("P")
R = TypeVar("R")


def atomic(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from app.extensions import db

        depth = _depth.get()
        if depth > 0:
            return fn(*args, **kwargs)
        token = _depth.set(1)
        hooks_token = _after_commit.set([])
        try:
            try:
                result = fn(*args, **kwargs)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            hooks = _after_commit.get() or []
        finally:
            _depth.reset(token)
            _after_commit.reset(hooks_token)
        for hook in hooks:
            hook()
        return result

    return wrapper


def on_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` after the current @atomic transaction commits (now, outside one)."""
    hooks = _after_commit.get()
    if hooks is None:
        callback()
    else:
        hooks.append(callback)


def in_transaction() -> bool:
    return _depth.get() > 0


def is_storable(value: str) -> bool:
    """Whether every database we run on can store ``value``: PostgreSQL refuses NUL in text, and a
    lone surrogate cannot be encoded as UTF-8 at all (ADR 0011)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_postgres() -> bool:
    from app.extensions import db

    return db.engine.dialect.name == "postgresql"
