"""Bearer-token authentication for /api/v1 (``Authorization: Bearer sd_...``)."""

from __future__ import annotations

from typing import Any

from apiflask import HTTPError, HTTPTokenAuth
from flask import g

from app.accounts.models import User
from app.accounts.queries import user_for_token

auth = HTTPTokenAuth(scheme="Bearer", description="A token from `flask --app wsgi token create EMAIL`.")


@auth.verify_token
def _verify(token: str) -> User | None:
    user = user_for_token(token)
    g.api_user = user
    return user


@auth.error_processor
def _auth_error(error: HTTPError) -> Any:
    """401 in the API's one error shape (Flask-HTTPAuth adds WWW-Authenticate)."""
    from app.api.errors import error_processor

    body, status, headers = error_processor(error)
    return body, status, headers


def current_api_user() -> User:
    user = auth.current_user
    assert isinstance(user, User)
    return user
