"""Knowledge-base fixtures: a fresh search index folder for every test, and the search backend
as a parameter (Whoosh always; PostgreSQL's full-text search in the PostgreSQL run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.accounts.models import User
from app.db import is_postgres
from app.knowledge import services
from app.knowledge.models import Article


@pytest.fixture(autouse=True)
def _fresh_index(app: Flask, tmp_path: Path) -> Iterator[None]:
    before = dict(app.config)
    app.config["SAMDESK_SEARCH_INDEX_DIR"] = str(tmp_path / "search-index")
    yield
    for key in ("SAMDESK_SEARCH_INDEX_DIR", "SAMDESK_SEARCH_BACKEND"):
        app.config[key] = before.get(key)


@pytest.fixture(params=["whoosh", "postgres"])
def backend(request: pytest.FixtureRequest, app: Flask) -> str:
    if request.param == "postgres" and not is_postgres():
        pytest.skip("PostgreSQL's full-text search runs in the PostgreSQL run")
    app.config["SAMDESK_SEARCH_BACKEND"] = request.param
    return str(request.param)


def make_article(actor: User, title: str = "Skriveren skriver ikke", body: str = "Slå skriveren av og på.",
                 **kwargs: Any) -> Article:
    kwargs.setdefault("category", "printing")
    kwargs.setdefault("status", "published")
    return services.create_article(title=title, body=body, actor=actor, **kwargs)


from tests.web.conftest import app_csrf, as_user, browser  # noqa: E402,F401 - page fixtures
