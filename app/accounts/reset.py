"""Password reset for local accounts: a signed, expiring, single-use link by mail (ADR 0090).

The link carries the user's id and a fingerprint of their current password hash, signed with
SECRET_KEY (itsdangerous) and stamped with the time. Setting a new password changes the hash, so
a used link (and every older one) stops working; no table is needed. Asking for a link answers the
same whether the address is known or not; only a known, active account with a password gets mail.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.accounts import queries, services, sessions
from app.accounts.models import User
from app.audit.services import record
from app.db import atomic
from app.errors import Invalid
from app.extensions import db

SALT = "samdesk.password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:20]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def max_age_seconds() -> int:
    return int(current_app.config["SAMDESK_PASSWORD_RESET_MINUTES"]) * 60


INVALID_LINK = _l("This link is not valid any more. Ask for a new one.")


def user_for_token(token: str) -> User:
    """The user a valid, unused, unexpired link is for; Invalid otherwise (one message for all)."""
    try:
        data = _serializer().loads(token, max_age=max_age_seconds())
    except (SignatureExpired, BadSignature) as exc:
        raise Invalid("token", INVALID_LINK, code="reset_link_invalid") from exc
    user = queries.user_by_id(int(data.get("u", 0))) if isinstance(data, dict) else None
    if (
        user is None or not user.can_log_in
        or not isinstance(data, dict) or data.get("f") != _fingerprint(user)
    ):
        raise Invalid("token", INVALID_LINK, code="reset_link_invalid")
    return user


@atomic
def request_reset(email: str) -> None:
    """Mail a reset link to ``email`` when it is a local account; silently nothing otherwise."""
    user = queries.user_by_email(email) if email else None
    if user is None or not user.can_log_in:
        return
    from app.outbox.services import enqueue_email

    link = f"{current_app.config['SAMDESK_BASE_URL'].rstrip('/')}/nytt-passord/{make_token(user)}"
    minutes = current_app.config["SAMDESK_PASSWORD_RESET_MINUTES"]
    with force_locale(user.locale or "nb"):
        subject = _("Reset your Samdesk password")
        text = _(
            "Someone (probably you) asked to reset the password of %(email)s in Samdesk.\n\n"
            "Choose a new password here within %(minutes)s minutes:\n%(link)s\n\n"
            "The link works once. If you did not ask for this, ignore this mail: your password "
            "stays as it is.",
            email=user.email, minutes=minutes, link=link,
        )
    enqueue_email(to=user.email, subject=subject, text=text, headers={"Auto-Submitted": "auto-generated"})
    record(actor=services.system_user(), action="user.password_reset_requested",
           object_type="user", object_id=user.id, label=user.email, subject=user)


@atomic
def reset_password(token: str, password: str) -> User:
    """Set a new password through a link; every session of the person ends."""
    user = user_for_token(token)
    user.password_hash = services._hash_password(password, user)
    db.session.flush()
    system = services.system_user()
    sessions.end_everything(user, actor=system, reason="password_reset", revoke_tokens=False)
    record(actor=system, action="user.password_reset", object_type="user", object_id=user.id,
           label=user.email, subject=user)
    return user
