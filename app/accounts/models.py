"""Municipalities, users, roles and API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, bool_false, bool_true, created_at, enum_column, intpk, str80, str200, str320


class Role(enum.StrEnum):
    EMPLOYEE = "employee"
    FIRST_LINE = "first_line"
    SECOND_LINE = "second_line"
    SUPER_USER = "super_user"
    TRAINER = "trainer"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.EMPLOYEE: _l("Employee"),
    Role.FIRST_LINE: _l("First-line agent"),
    Role.SECOND_LINE: _l("Second-line agent"),
    Role.SUPER_USER: _l("Super-user"),
    Role.TRAINER: _l("Trainer"),
    Role.MANAGER: _l("Manager"),
    Role.ADMIN: _l("Administrator"),
}

STAFF_ROLES = frozenset({Role.FIRST_LINE, Role.SECOND_LINE, Role.MANAGER, Role.ADMIN})
AGENT_ROLES = frozenset({Role.FIRST_LINE, Role.SECOND_LINE})


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    name: Mapped[str80]
    is_active: Mapped[bool_true]
    created_at: Mapped[created_at]

    domains: Mapped[list[MunicipalityDomain]] = relationship(
        back_populates="municipality", lazy="select", cascade="all, delete-orphan"
    )
    phones: Mapped[list[MunicipalityPhone]] = relationship(
        back_populates="municipality", lazy="select", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Municipality {self.id} {self.code}>"


class MunicipalityDomain(Base):
    """An email domain whose senders belong to a municipality (``gran.kommune.no``)."""

    __tablename__ = "municipality_domains"

    id: Mapped[intpk]
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    domain: Mapped[str] = mapped_column(sa.String(253), unique=True)
    municipality: Mapped[Municipality] = relationship(back_populates="domains")


class MunicipalityPhone(Base):
    """A phone number (E.164) of a municipality's desk; SMS and calls to it belong there."""

    __tablename__ = "municipality_phones"

    id: Mapped[intpk]
    municipality_id: Mapped[int] = mapped_column(sa.ForeignKey("municipalities.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    municipality: Mapped[Municipality] = relationship(back_populates="phones")


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # One mobile number belongs to at most one active user (migration 0012).
        sa.Index(
            "uq_users_phone_active", "phone", unique=True,
            sqlite_where=sa.text("is_active AND phone IS NOT NULL"),
            postgresql_where=sa.text("is_active AND phone IS NOT NULL"),
        ),
    )

    id: Mapped[intpk]
    email: Mapped[str320] = mapped_column(unique=True)
    name: Mapped[str200]
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # None for pooled staff, who belong to the cooperation rather than to one municipality.
    municipality_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("municipalities.id"), index=True
    )
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    locale: Mapped[str] = mapped_column(sa.String(5), default="nb", server_default="nb")
    is_active: Mapped[bool_true]  # type: ignore[assignment]
    is_system: Mapped[bool_false]
    created_at: Mapped[created_at]

    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    # Loaded when roles are read (the acting user), not with every author and assignee a page
    # shows; lists of users that show roles ask for them (accounts.queries.users).
    role_rows: Mapped[list[UserRole]] = relationship(
        lazy="select", cascade="all, delete-orphan", back_populates="user"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        mine = self.roles
        return any(r in mine for r in roles)

    @property
    def is_staff(self) -> bool:
        return self.has_role(*STAFF_ROLES)

    @property
    def is_agent(self) -> bool:
        return self.has_role(*AGENT_ROLES, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def can_log_in(self) -> bool:
        return self.is_active and self.password_hash is not None and not self.is_system


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str80]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[created_at]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"
