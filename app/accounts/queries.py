"""Read-only lookups of users and municipalities."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.models import (
    ApiToken,
    Municipality,
    MunicipalityDomain,
    MunicipalityPhone,
    Role,
    User,
    UserRole,
)
from app.db import is_storable, utcnow
from app.extensions import db

SYSTEM_EMAIL = "system@samdesk.invalid"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    if not is_storable(email):  # no such row can exist (and PostgreSQL would refuse the query)
        return None
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def user_by_phone(number: str) -> User | None:
    if not is_storable(number):
        return None
    return db.session.scalars(
        sa.select(User).where(User.phone == number, User.is_active).order_by(User.id)
    ).first()


PHONE_CONTACT_DOMAIN = "telefon.samdesk.invalid"


def phone_contact_email(number: str) -> str:
    """The address of the contact that SMS and phone intake make for an unknown number."""
    return f"{number.lstrip('+')}@{PHONE_CONTACT_DOMAIN}"


def is_phone_contact(user: User) -> bool:
    return user.email.endswith("@" + PHONE_CONTACT_DOMAIN) and user.password_hash is None


def municipality_by_code(code: str) -> Municipality | None:
    if not is_storable(code):
        return None
    return db.session.scalar(sa.select(Municipality).where(Municipality.code == code.upper()))


def municipality_for_domain(domain: str) -> Municipality | None:
    if not is_storable(domain):
        return None
    return db.session.scalar(
        sa.select(Municipality)
        .join(MunicipalityDomain)
        .where(MunicipalityDomain.domain == domain.strip().lower())
    )


def municipality_for_phone(number: str) -> Municipality | None:
    if not is_storable(number):
        return None
    return db.session.scalar(
        sa.select(Municipality).join(MunicipalityPhone).where(MunicipalityPhone.number == number)
    )


def municipalities() -> Sequence[Municipality]:
    return db.session.scalars(sa.select(Municipality).order_by(Municipality.name)).all()


def users(
    *, municipality_id: int | None = None, role: Role | None = None, q: str | None = None,
    after_id: int | None = None, limit: int = 50,
) -> Sequence[User]:
    stmt = (
        sa.select(User)
        .where(User.is_system.is_(False))
        .options(selectinload(User.role_rows))
        .order_by(User.id)
        .limit(limit)
    )
    if municipality_id is not None:
        stmt = stmt.where(User.municipality_id == municipality_id)
    if role is not None:
        stmt = stmt.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    if q and not is_storable(q):
        return []
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(sa.or_(User.email.like(pattern), sa.func.lower(User.name).like(pattern)))
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    return db.session.scalars(stmt).all()


def agents_for_queue(kind: str, municipality_id: int | None) -> Sequence[User]:
    """Agents who may work a queue: first line of its municipality, or the pooled second line."""
    role = Role.FIRST_LINE if kind == "first_line" else Role.SECOND_LINE
    stmt = (
        sa.select(User)
        .join(UserRole)
        .where(UserRole.role == role, User.is_active)
        .order_by(User.name)
    )
    if kind == "first_line":
        stmt = stmt.where(User.municipality_id == municipality_id)
    return db.session.scalars(stmt).all()


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_for_token(raw: str) -> User | None:
    if not raw or len(raw) > 200 or not is_storable(raw):
        return None
    # Every API request runs this: one SELECT for the token, its user, their roles and
    # municipality, without the municipality's domains and phones (docs/performance.md).
    from sqlalchemy.orm import joinedload, lazyload

    stmt = (
        sa.select(ApiToken)
        .where(ApiToken.token_hash == hash_token(raw))
        .options(
            joinedload(ApiToken.user).options(
                joinedload(User.role_rows),
                joinedload(User.municipality).options(
                    lazyload(Municipality.domains), lazyload(Municipality.phones)
                ),
            )
        )
    )
    token = db.session.scalars(stmt).unique().one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    if not token.user.is_active:
        return None
    return token.user
