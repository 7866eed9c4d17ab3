"""Helpers for page tests with CSRF on: the token comes from the form, as a browser's would."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts.models import User
from tests import factories

TOKEN_RE = re.compile(r'name="(?:[a-z_]+-)?csrf_token"[^>]*value="([^"]+)"')


def csrf(html: str) -> str:
    match = TOKEN_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class FreshClient(FlaskClient):
    """The test client, with ``g`` emptied before every request.

    The session's ``app`` fixture keeps one app context pushed, and a request reuses the app
    context it finds, so without this ``g`` (Flask-WTF's CSRF token, Flask-Login's user) would
    leak from one request, and one client, into the next."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import g

        for name in list(vars(g)):
            delattr(g, name)
        return super().open(*args, **kwargs)


class Browser:
    """The Flask test client, logged in as someone, posting forms with their CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user: User, password: str = factories.PASSWORD) -> Any:
        page = self.client.get("/logg-inn")
        return self.client.post(
            "/logg-inn", data={"csrf_token": csrf(page.text), "email": user.email, "password": password}
        )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def submit(self, page_path: str, action: str, data: dict[str, Any], prefix: str = "", **kwargs: Any) -> Any:
        """Open ``page_path``, take the CSRF token of its forms and post ``data`` to ``action``."""
        page = self.client.get(page_path)
        assert page.status_code == 200, page.text[:500]
        token_name = f"{prefix}-csrf_token" if prefix else "csrf_token"
        return self.client.post(action, data={token_name: csrf(page.text), **data}, **kwargs)


@pytest.fixture
def app_csrf(app: Flask) -> Any:
    app.config["WTF_CSRF_ENABLED"] = True
    previous = app.test_client_class
    app.test_client_class = FreshClient
    yield app
    app.test_client_class = previous


@pytest.fixture
def browser(app_csrf: Flask) -> Browser:
    return Browser(app_csrf.test_client())


@pytest.fixture
def as_user(app_csrf: Flask) -> Any:
    def make(user: User) -> Browser:
        b = Browser(app_csrf.test_client())
        response = b.login(user)
        assert response.status_code == 302, response.text[:500]
        return b

    return make
