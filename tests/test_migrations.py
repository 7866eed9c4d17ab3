"""The migrations produce exactly the models' schema, on SQLite and on PostgreSQL: the same
comparison ``flask db check`` (alembic check) makes, so a model change without its migration, or a
migration that drifts from the models, fails here."""

from __future__ import annotations

from datetime import UTC, datetime
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


def test_migration_0016_moves_super_user_systems_onto_the_roster(app: Any) -> None:
    """The knowledge base's super_user_systems rows become roster entries (no unit, the user's
    municipality); a system the user is already on the roster for is not added twice."""
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from app.accounts.models import Role
    from app.training import queries as training
    from app.training import services as roster
    from tests.factories import make_user

    admin = make_user(Role.ADMIN, None)
    expert = make_user(Role.SUPER_USER, "GRA", roles=[Role.SUPER_USER, Role.EMPLOYEE])
    other = make_user(Role.SUPER_USER, "LUN", roles=[Role.SUPER_USER, Role.EMPLOYEE])
    roster.add_to_roster(system="Visma", unit="Lønn", email=expert.email, actor=admin)
    expert_id, other_id = expert.id, other.id
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    before = script.get_revision("0016").down_revision
    db.session.remove()

    downgrade(revision=before)
    try:
        with db.engine.begin() as conn:
            # The downgrade gave back what the knowledge base read; add what an admin had set.
            assert conn.execute(sa.text("SELECT user_id, system FROM super_user_systems")).all() == [
                (expert_id, "visma")]
            conn.execute(sa.text("INSERT INTO super_user_systems (user_id, system) VALUES (:u, :s)"),
                         [{"u": expert_id, "s": "gerica"}, {"u": other_id, "s": "elements"}])
    finally:
        upgrade()

    entries = {(e.user_id, e.system, e.unit, e.municipality.code if e.municipality else None)
               for e in training.roster()}
    assert entries == {(expert_id, "Visma", "Lønn", "GRA"), (expert_id, "gerica", "", "GRA"),
                       (other_id, "elements", "", "LUN")}
    assert training.systems_of(expert_id) == {"visma", "gerica"}
    assert "super_user_systems" not in sa.inspect(db.engine).get_table_names()


def test_migration_0019_seals_the_authenticator_secrets_already_there(app: Any) -> None:
    """A TOTP secret stored in the clear before 0019 is sealed by it and still makes codes."""
    import pyotp
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from app.accounts import mfa
    from app.accounts.models import Role
    from app.accounts.signin_models import SignInMethod
    from tests.factories import make_user

    agent = make_user(Role.FIRST_LINE, "GRA")
    agent_id = agent.id
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    before = script.get_revision("0019").down_revision
    db.session.remove()

    secret = pyotp.random_base32()
    downgrade(revision=before)
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO totp_factors (user_id, secret, created_at, confirmed_at, last_step) "
                                 "VALUES (:u, :s, :t, :t, 0)"), {"u": agent_id, "s": secret, "t": datetime.now(UTC)})
    finally:
        upgrade()

    with db.engine.begin() as conn:
        stored = conn.execute(sa.text("SELECT secret FROM totp_factors WHERE user_id = :u"), {"u": agent_id}).scalar()
    assert stored.startswith("fernet:") and secret not in stored
    user = db.session.get(type(agent), agent_id)
    assert mfa.verify(user, pyotp.TOTP(secret).now()) is SignInMethod.PASSWORD_TOTP


def test_migration_0020_keeps_the_article_vector_and_adds_the_head(app: Any) -> None:
    """0020 defines an article's vector once (a function). The generated column holds what the
    expression of 0010 held; the head vector holds title, tags and systems and not the body;
    both stay in the row (ADR 0101)."""
    import pytest
    import sqlalchemy as sa
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from app.accounts.models import Role
    from app.knowledge import services
    from tests.factories import make_user

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the article vectors are PostgreSQL's")
    agent = make_user(Role.FIRST_LINE, "GRA")
    article = services.create_article(
        title="Skriveren på rådhuset", body="Velg papirskuffen og trykk på «Skriv ut».",
        category="printing", tags=["utskrift"], systems=["Visma Flyt"], status="published", actor=agent)
    article_id = article.id
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    before = script.get_revision("0020").down_revision
    db.session.remove()

    vector = sa.text("SELECT search_vector::text FROM articles WHERE id = :i")
    downgrade(revision=before)
    try:
        with db.engine.begin() as conn:
            old = conn.execute(vector, {"i": article_id}).scalar()
    finally:
        upgrade()

    with db.engine.begin() as conn:
        new, head = conn.execute(sa.text("SELECT search_vector::text, head_vector::text FROM articles "
                                         "WHERE id = :i"), {"i": article_id}).one()
        storage = dict(conn.execute(sa.text(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'articles'::regclass "
            "AND attname IN ('search_vector', 'head_vector')")).all())
    assert old and new == old
    assert "'radhuset':" in head and "'utskrift':" in head and "'visma':" in head
    assert "papirskuff" not in head and "papirskuff" in new
    assert storage == {"search_vector": "m", "head_vector": "m"}
