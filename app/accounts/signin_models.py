"""Sign-in state kept on the server: sessions, the TOTP second factor, recovery codes, and the
identities a municipality's OpenID Connect provider vouches for (docs/signin.md)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, created_at, enum_column, intpk
from app.sealing import Sealed


class SignInMethod(enum.StrEnum):
    PASSWORD = "password"  # noqa: S105 - a method's name, not a secret
    PASSWORD_TOTP = "password_totp"  # noqa: S105
    PASSWORD_RECOVERY = "password_recovery"  # noqa: S105
    OIDC = "oidc"


class UserSession(Base):
    """One signed-in browser. The cookie holds a random key; only its SHA-256 is stored, so a
    copy of the database does not let anyone sign in. Ended rows are kept for the person's own
    overview and deleted when the person is erased."""

    __tablename__ = "user_sessions"
    __table_args__ = (sa.Index("ix_user_sessions_user", "user_id", "ended_at"),)

    id: Mapped[intpk]
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    method: Mapped[SignInMethod] = mapped_column(enum_column(SignInMethod))
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime]
    # "Firefox on Windows": a summary, not the whole header (it fingerprints a person).
    user_agent: Mapped[str] = mapped_column(sa.String(80), default="")
    # 192.0.2.0 or 2001:db8:1:2:: (last octet / last 64 bits dropped).
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(sa.String(40))

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class TotpFactor(Base):
    """A person's authenticator app. ``confirmed_at`` is set once they typed a valid code;
    ``last_step`` is the last 30-second step used, so one code works once."""

    __tablename__ = "totp_factors"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    # Sealed under SAMDESK_SEAL_KEYS (app/sealing.py, ADR 0100): a copy of the database holds no
    # secret that makes codes. Empty when no configured key opens it (then no code matches).
    secret: Mapped[str] = mapped_column(Sealed(), nullable=False)
    created_at: Mapped[created_at]
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class RecoveryCode(Base):
    """One of ten single-use codes for when the phone is gone; stored as SHA-256 only."""

    __tablename__ = "recovery_codes"
    __table_args__ = (sa.Index("ix_recovery_codes_user", "user_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[created_at]
    used_at: Mapped[datetime | None]


class ExternalIdentity(Base):
    """A provider's stable subject (``iss`` + ``sub``) linked to a user. Matching is by this pair
    only, never by name; the email is what the provider said at the last sign-in."""

    __tablename__ = "external_identities"
    __table_args__ = (sa.UniqueConstraint("issuer", "subject", name="uq_external_identities_iss_sub"),)

    id: Mapped[intpk]
    issuer: Mapped[str] = mapped_column(sa.String(300))
    subject: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    municipality_code: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[created_at]
    last_login_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
