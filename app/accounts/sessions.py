"""Server-side sessions: every signed-in browser is a row, so a person sees where they are signed
in and ends a session elsewhere, an admin signs a person out everywhere, and deactivating a user
ends their sessions and API tokens at once (ADR 0091).

The signed Flask cookie holds a random session key; Flask-Login's user loader accepts the cookie
only while the row with that key's SHA-256 is open.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import ApiToken, User
from app.accounts.signin_models import SignInMethod, UserSession
from app.audit.services import record
from app.db import atomic, is_storable, utcnow
from app.errors import Forbidden, NotFound
from app.extensions import db

# last_seen_at is written at most this often per session (a write per request would be waste).
TOUCH_EVERY = timedelta(minutes=5)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def truncate_ip(address: str | None) -> str:
    """The network, not the host: 192.0.2.17 -> 192.0.2.0, IPv6 to its /64."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def summarise_user_agent(header: str | None) -> str:
    """"Firefox on Windows": enough to recognise a device, too little to fingerprint one."""
    header = header or ""
    browser = next((name for marker, name in _BROWSERS if marker in header), "")
    system = next((name for marker, name in _SYSTEMS if marker in header), "")
    if browser and system:
        return f"{browser} / {system}"
    return browser or system or re.sub(r"[^\w .-]", "", header.split("/")[0])[:40]


@atomic
def start(
    user: User, *, method: SignInMethod, user_agent: str | None = None, ip: str | None = None
) -> str:
    """Open a session for ``user``; returns the raw key for the signed cookie (never stored)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(
        key_hash=_hash(raw), user_id=user.id, method=method, created_at=now, last_seen_at=now,
        user_agent=summarise_user_agent(user_agent), ip=truncate_ip(ip),
    ))
    return raw


def session_for_key(raw: str | None) -> UserSession | None:
    if not raw or len(raw) > 100 or not is_storable(raw):
        return None
    return db.session.scalar(sa.select(UserSession).where(UserSession.key_hash == _hash(raw)))


def user_for_key(raw: str | None, user_id: str) -> User | None:
    """The user of an open session whose key the cookie holds, or None (signed out)."""
    row = session_for_key(raw)
    if row is None or row.ended_at is not None or str(row.user_id) != user_id:
        return None
    user = row.user
    if not user.is_active or user.is_system:
        return None
    if utcnow() - row.last_seen_at > TOUCH_EVERY:
        _touch(row.id)
    return user


@atomic
def _touch(session_id: int) -> None:
    db.session.execute(
        sa.update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def active_for(user: User) -> Sequence[UserSession]:
    return db.session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()


def _end(rows: Sequence[UserSession] | sa.Select[tuple[UserSession]], reason: str) -> int:
    now = utcnow()
    count = 0
    for row in rows if isinstance(rows, Sequence) else db.session.scalars(rows).all():
        if row.ended_at is None:
            row.ended_at, row.ended_reason = now, reason
            count += 1
    return count


@atomic
def end_current(raw: str | None) -> None:
    """Logging out: the session of this cookie ends."""
    row = session_for_key(raw)
    if row is not None:
        _end([row], "logout")


@atomic
def end_one(session_id: int, *, actor: User) -> UserSession:
    """A person ends one of their own sessions (another browser); an admin anyone's."""
    row = db.session.get(UserSession, session_id)
    if row is None or (row.user_id != actor.id and not actor.is_admin):
        raise NotFound()
    if _end([row], "ended_by_user" if row.user_id == actor.id else "ended_by_admin"):
        record(actor=actor, action="session.ended", object_type="user", object_id=row.user_id,
               label=row.user.email, subject=row.user,
               after={"session": row.id, "device": row.user_agent})
    return row


@atomic
def end_others(raw_current: str | None, *, actor: User) -> int:
    """A person signs out everywhere but here."""
    current = session_for_key(raw_current)
    stmt = sa.select(UserSession).where(
        UserSession.user_id == actor.id, UserSession.ended_at.is_(None)
    )
    if current is not None:
        stmt = stmt.where(UserSession.id != current.id)
    count = _end(stmt, "ended_by_user")
    if count:
        record(actor=actor, action="session.ended_elsewhere", object_type="user",
               object_id=actor.id, label=actor.email, subject=actor, after={"sessions": count})
    return count


def end_everything(
    user: User, *, actor: User, reason: str, revoke_tokens: bool = True
) -> tuple[int, int]:
    """End every session of ``user`` and (unless told not to) revoke their API tokens, in the
    caller's transaction. Returns (sessions ended, tokens revoked)."""
    ended = _end(
        sa.select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None)),
        reason,
    )
    if not revoke_tokens:
        revoked = 0
    else:
        revoked = db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    if ended or revoked:
        record(actor=actor, action=f"user.signed_out_{reason}"[:60], object_type="user",
               object_id=user.id, label=user.email, subject=user,
               after={"sessions": ended, "tokens": revoked})
    return ended, int(revoked)


@atomic
def sign_out_everywhere(user_id: int, *, actor: User) -> tuple[int, int]:
    """An admin ends every session and token of a person (a lost laptop, a suspicion)."""
    if not actor.is_admin:
        raise Forbidden(_l("Only administrators can sign other people out."))
    user = db.session.get(User, user_id)
    if user is None or user.is_system:
        raise NotFound()
    return end_everything(user, actor=actor, reason="by_admin")
