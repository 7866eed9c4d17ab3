"""Bearer-token authentication for /api/v1 (``Authorization: Bearer sd_...``)."""

from __future__ import annotations

from apiflask import HTTPTokenAuth
from flask import g

from app.accounts.models import User
from app.accounts.queries import user_for_token

auth = HTTPTokenAuth(scheme="Bearer", description="A token from `flask --app wsgi token create EMAIL`.")


@auth.verify_token
def _verify(token: str) -> User | None:
    user = user_for_token(token)
    g.api_user = user
    return user


def current_api_user() -> User:
    user = auth.current_user
    assert isinstance(user, User)
    return user
