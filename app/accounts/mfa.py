"""The second factor for staff: TOTP (RFC 6238) with pyotp, enrolled with a QR code (segno), and
ten single-use recovery codes stored as SHA-256 (ADR 0092).

Required for agents, managers, trainers and admins who sign in with a password when
SAMDESK_REQUIRE_MFA_FOR_STAFF is on (default: on in production, off in development so that the
demo users log in with demo-passord). Signing in through the municipality's provider counts as
its own: the provider enforces its own factors.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts import passwords
from app.accounts.models import User
from app.accounts.signin_models import RecoveryCode, SignInMethod, TotpFactor
from app.audit.services import record
from app.db import atomic, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db

ISSUER = "Samdesk"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed from paper


def required_for(user: User) -> bool:
    return bool(current_app.config["SAMDESK_REQUIRE_MFA_FOR_STAFF"]) and passwords.is_privileged(
        user.roles
    )


def factor_of(user: User) -> TotpFactor | None:
    return db.session.get(TotpFactor, user.id)


def is_enrolled(user: User) -> bool:
    factor = factor_of(user)
    return factor is not None and factor.confirmed_at is not None


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI (the CSP allows img-src data:, no inline script)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def _hash_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@atomic
def begin_enrolment(user: User, *, actor: User) -> str:
    """A new secret for ``user``'s authenticator app, not yet in force; returns the secret."""
    if actor.id != user.id:
        raise Forbidden()
    factor = factor_of(user)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict(_l("You already have an authenticator app. Remove it first."),
                       code="mfa_enrolled")
    secret = pyotp.random_base32()
    if factor is None:
        db.session.add(TotpFactor(user_id=user.id, secret=secret, last_step=0))
    else:
        factor.secret, factor.last_step = secret, 0
    return secret


def _new_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes)
    return codes


def _step_of(secret: str, code: str, after: int) -> int | None:
    """The time step ``code`` is valid for (now, or one step either side), if later than ``after``."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6 or not secret:  # no secret: sealed under a key no longer configured
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    for offset in (0, -1, 1):
        step = (now // totp.interval) + offset
        if step > after and hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


@atomic
def confirm_enrolment(user: User, code: str, *, actor: User) -> list[str]:
    """The first code from the app puts the factor in force; returns ten recovery codes (shown
    once)."""
    if actor.id != user.id:
        raise Forbidden()
    factor = db.session.get(TotpFactor, user.id, with_for_update=True)
    if factor is None or factor.confirmed_at is not None:
        raise NotFound()
    step = _step_of(factor.secret, code, factor.last_step)
    if step is None:
        raise Invalid("code", _l("The code is wrong. Type the six digits the app shows now."),
                      code="mfa_code_wrong")
    factor.last_step, factor.confirmed_at = step, utcnow()
    codes = _new_codes(user)
    record(actor=actor, action="user.mfa_enrolled", object_type="user", object_id=user.id,
           label=user.email, subject=user)
    return codes


@atomic
def verify(user: User, code: str) -> SignInMethod | None:
    """Check a code at sign-in: a TOTP code (each works once) or an unused recovery code (then
    used up). Returns how the person proved it, or None."""
    factor = db.session.get(TotpFactor, user.id, with_for_update=True)
    if factor is None or factor.confirmed_at is None or not code or len(code) > 64:
        return None
    step = _step_of(factor.secret, code, factor.last_step)
    if step is not None:
        factor.last_step = step
        return SignInMethod.PASSWORD_TOTP
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if used == 1:
        record(actor=user, action="user.recovery_code_used", object_type="user",
               object_id=user.id, label=user.email, subject=user,
               after={"left": unused_recovery_codes(user)})
        return SignInMethod.PASSWORD_RECOVERY
    return None


def unused_recovery_codes(user: User) -> int:
    return int(db.session.scalar(
        sa.select(sa.func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0)


@atomic
def regenerate_recovery_codes(user: User, *, actor: User) -> list[str]:
    if actor.id != user.id or not is_enrolled(user):
        raise Forbidden()
    codes = _new_codes(user)
    record(actor=actor, action="user.recovery_codes_renewed", object_type="user",
           object_id=user.id, label=user.email, subject=user)
    return codes


@atomic
def remove(user_id: int, *, actor: User) -> None:
    """An admin removes a person's authenticator (a lost phone); they enrol again at sign-in."""
    if not actor.is_admin:
        raise Forbidden(_l("Only administrators can remove someone's authenticator app."))
    user = db.session.get(User, user_id)
    if user is None or user.is_system:
        raise NotFound()
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(sa.delete(TotpFactor).where(TotpFactor.user_id == user.id))
    record(actor=actor, action="user.mfa_removed", object_type="user", object_id=user.id,
           label=user.email, subject=user)


@atomic
def reseal(*, actor: User) -> int:
    """Seal every authenticator secret again under the newest of SAMDESK_SEAL_KEYS (after a key
    was added in front); returns how many were sealed again. One that no configured key opens
    is left as it is (its owner signs in with a recovery code, or an admin removes it)."""
    from app import sealing

    if not (actor.is_admin or actor.is_system):
        raise Forbidden(_l("Only administrators can do this."))
    raw = sa.type_coerce(TotpFactor.secret, sa.String)  # the stored text, not unsealed
    rows = db.session.execute(sa.select(TotpFactor.user_id, raw).with_for_update()).all()
    done = 0
    for user_id, stored in rows:
        if sealing.is_sealed_with_newest(stored):
            continue
        plain = sealing.unseal(stored)
        if not plain:
            continue
        db.session.execute(sa.update(TotpFactor).where(TotpFactor.user_id == user_id).values(secret=plain))
        done += 1
    if done:
        record(actor=actor, action="mfa.resealed", object_type="totp_factors", object_id=0,
               note=f"{done}")
    return done
