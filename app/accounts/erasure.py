"""Forgetting a person's account (GDPR art. 17): the row stays, so that history and statistics
keep their shape, but nothing in it names the person any more (docs/privacy.md)."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import queries, sessions
from app.accounts.models import User
from app.accounts.signin_models import ExternalIdentity, RecoveryCode, TotpFactor, UserSession
from app.db import atomic
from app.extensions import db

PLACEHOLDER_EMAIL = "anonymisert@samdesk.invalid"


@atomic
def placeholder_user() -> User:
    """The one requester every anonymised case points at (inactive, cannot log in)."""
    user = queries.user_by_email(PLACEHOLDER_EMAIL)
    if user is None:
        user = User(email=PLACEHOLDER_EMAIL, name="Anonymisert", is_active=False, is_system=True)
        db.session.add(user)
        db.session.flush()
    return user


def is_erased(user: User) -> bool:
    """Whether ``erase_user`` has already forgotten ``user``."""
    return user.email == f"slettet-{user.id}@samdesk.invalid"


def erase_user(user: User, *, actor: User) -> None:
    """Anonymise ``user``'s own row in the caller's transaction: name, address, phone, password,
    sessions, tokens, second factor and linked identities go."""
    sessions.end_everything(user, actor=actor, reason="erased")
    user.name = "Slettet bruker"
    user.email = f"slettet-{user.id}@samdesk.invalid"
    user.phone = None
    user.password_hash = None
    user.is_active = False
    for model in (UserSession, RecoveryCode, TotpFactor, ExternalIdentity):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
