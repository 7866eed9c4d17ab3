"""Fixtures: the app (schema built by running the migrations once), a clean database for every
test, the Flask test client and CLI runner, an API client with bearer tokens, and a small world
of municipalities, queues and users.

SQLite by default; TEST_DATABASE_URL selects PostgreSQL (`make test` runs both).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app import create_app
from app.accounts.models import User
from app.extensions import db
from tests import factories

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def corpus_dir(name: str) -> Path:
    """A folder of ../shared/corpus; skipped only outside CI when the folder is absent."""
    path = Path(os.environ.get("SAMDESK_CORPUS", CORPUS)) / name
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"test corpus {path} is missing, and CI must run it")
        pytest.skip(f"test corpus {path} is not here")
    return path


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SAMDESK_ATTACHMENT_DIR": str(tmp_path_factory.mktemp("attachments")),
            "SAMDESK_SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp("search-index")),
            "SAMDESK_FAST_PASSWORD_HASH": True,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
        }
    )
    app.test_client_class = FreshClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _empty_tables()
        yield app
        db.session.remove()


def _empty_tables() -> None:
    db.session.remove()
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(sa.text(f"DELETE FROM {name}"))
            has_seq = conn.execute(
                sa.text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first()
            if has_seq:
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    yield
    _empty_tables()
    # What a process keeps of the tables goes with them (the SLA calendars, ADR 0102).
    from app.sla.queries import forget_calendars

    forget_calendars()


class FreshClient(FlaskClient):
    """The test client, with ``g`` emptied before every request.

    The session's ``app`` fixture keeps one app context pushed so that tests can call services
    directly, and a request reuses the app context it finds; without this, ``g`` (the API user,
    Flask-WTF's CSRF token, Flask-Login's user) would leak from one request into the next."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import g

        for name in list(vars(g)):
            delattr(g, name)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class ApiClient:
    """The test client with a bearer token for one user: ``api.as_(user).get(...)``."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.headers: dict[str, str] = {}

    def as_(self, user: User | None, **headers: str) -> ApiClient:
        other = ApiClient(self.client)
        if user is not None:
            other.headers["Authorization"] = f"Bearer {factories.token_for(user)}"
        other.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
        return other

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self._call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self._call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self._call("PATCH", path, **kwargs)


@pytest.fixture
def api(client: FlaskClient) -> ApiClient:
    return ApiClient(client)


@dataclass
class World:
    employee: User  # Gran
    employee2: User  # Gran
    agent: User  # Gran first line
    agent2: User  # Gran first line
    manager: User  # Gran
    lun_employee: User
    lun_agent: User
    lun_manager: User
    second: User
    second2: User
    admin: User
    trainer: User


@pytest.fixture
def world(app: Flask) -> World:
    return factories.make_world()
