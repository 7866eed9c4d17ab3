"""Page fixtures with CSRF on (shared with tests/web) and helpers for the sign-in tests."""

from __future__ import annotations

import re

import pyotp
import sqlalchemy as sa

from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.web.conftest import Browser, app_csrf, as_user, browser, csrf  # noqa: F401

LINK_RE = re.compile(r"https?://\S+/nytt-passord/(\S+)")


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def reset_token_in_mail(to: str) -> str:
    mails = [m for m in outbox() if m.recipient == to]
    assert mails, f"no mail to {to}"
    match = LINK_RE.search(mails[-1].body_text)
    assert match, mails[-1].body_text
    return match.group(1)


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()


__all__ = ["Browser", "csrf", "outbox", "reset_token_in_mail", "totp_now"]
