"""Password rules after NIST SP 800-63B (section 5.1.1.2): long enough, no composition rules,
refused when common or guessable (zxcvbn, offline, fed the person's own name and address),
stored with argon2. ADR 0090."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from app.accounts.models import Role
from app.db import is_storable
from app.errors import Invalid

# Roles whose accounts reach other people's cases or the configuration: longer passwords, and a
# second factor when they sign in with one (docs/signin.md).
PRIVILEGED_ROLES = frozenset(
    {Role.FIRST_LINE, Role.SECOND_LINE, Role.MANAGER, Role.TRAINER, Role.ADMIN}
)
MIN_LENGTH_PRIVILEGED = 12
MIN_LENGTH = 10
MAX_LENGTH = 1024
# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline slow-hash".
MIN_SCORE = 3
# zxcvbn's matching grows fast with length; past this the prefix decides (and is long anyway).
_ZXCVBN_CHARS = 100


def is_privileged(roles: Iterable[Role | str]) -> bool:
    return any(Role(r) in PRIVILEGED_ROLES for r in roles)


def _inputs(name: str | None, email: str | None) -> list[str]:
    words: list[str] = []
    local = (email or "").lower().partition("@")[0]
    for value in (name or "", local):
        parts = [w for w in re.split(r"[\s._+-]+", value.lower()) if len(w) > 2]
        words.extend(parts)
        words.append("".join(parts))  # "karinordmann" as well as "kari" and "nordmann"
    if email:
        words.append(email.lower())
    return [w for w in words if w]


def check(
    password: str, *, privileged: bool, name: str | None = None, email: str | None = None
) -> None:
    """Raise Invalid("password", …) when ``password`` may not be used; otherwise return."""
    if not is_storable(password):
        raise Invalid("password", _l("The password contains characters that cannot be used."))
    minimum = MIN_LENGTH_PRIVILEGED if privileged else MIN_LENGTH
    if len(password) < minimum:
        raise Invalid(
            "password", _l("The password must have at least %(n)s characters.", n=minimum),
            code="password_too_short",
        )
    if len(password) > MAX_LENGTH:
        raise Invalid("password", _l("The password is too long."))
    result = zxcvbn(password[:_ZXCVBN_CHARS], user_inputs=_inputs(name, email))
    if result["score"] < MIN_SCORE:
        raise Invalid(
            "password",
            _l("This password is too common or too easy to guess. Try a few unrelated words."),
            code="password_weak",
        )
