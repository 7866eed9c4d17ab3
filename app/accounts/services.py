"""Use cases that change accounts: municipalities, users, roles, passwords and tokens."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from typing import Any

import phonenumbers
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts import passwords, queries, sessions
from app.accounts.models import (
    ApiToken,
    Municipality,
    MunicipalityDomain,
    MunicipalityPhone,
    Role,
    User,
    UserRole,
)
from app.audit.services import record
from app.db import atomic, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db

CODE_RE = re.compile(r"^[A-Z]{2,6}$")


def _hasher() -> PasswordHasher:
    if current_app.config.get("SAMDESK_FAST_PASSWORD_HASH"):  # tests and benchmarks only
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def clean_email(email: str, field: str = "email") -> str:
    try:
        info = validate_email(email.strip(), check_deliverability=False)
    except (EmailNotValidError, UnicodeError) as exc:  # a lone surrogate cannot even be encoded
        raise Invalid(field, _l("Enter a valid email address.")) from exc
    return info.normalized.lower()


def clean_name(value: str | None, limit: int = 200) -> str:
    """One line of text for a name: NFC, no control characters or lone surrogates, single spaces."""
    value = unicodedata.normalize("NFC", "".join(
        ch for ch in (value or "") if unicodedata.category(ch) not in ("Cc", "Cs")
    ))
    return " ".join(value.split())[:limit]


def clean_phone(number: str, field: str = "phone") -> str:
    """A phone number in E.164 (+4791234567); Norwegian numbers may be given without +47."""
    try:
        parsed = phonenumbers.parse(number, "NO")
    except phonenumbers.NumberParseException as exc:
        raise Invalid(field, _l("Enter a valid phone number.")) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid(field, _l("Enter a valid phone number."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _assign_phone(user: User, number: str | None) -> None:
    """Give ``user`` the mobile number (E.164, Norway the default region) or none. A number
    belongs to at most one active user; a contact that intake made for a number (SMS, a call)
    gives it up to a real user. The caller writes the audit row."""
    new = clean_phone(number) if number and number.strip() else None
    if new == user.phone:
        return
    if new is not None:
        holder = queries.user_by_phone(new)
        if holder is not None and holder.id != user.id:
            if not queries.is_phone_contact(holder):
                raise Conflict(
                    _l("The number %(number)s belongs to %(name)s already.", number=new,
                       name=holder.display_name),
                    code="phone_taken",
                )
            holder.phone = None
            db.session.flush()
    user.phone = new


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(_l("Only administrators can change users and municipalities."))


def _municipality_values(municipality: Municipality) -> dict[str, Any]:
    return {
        "name": municipality.name,
        "domains": sorted(d.domain for d in municipality.domains),
        "phones": sorted(p.number for p in municipality.phones),
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value changed, before and after."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@atomic
def create_municipality(
    code: str, name: str, *, domains: Iterable[str] = (), phones: Iterable[str] = (),
    first_line_slug: str | None = None, actor: User,
) -> Municipality:
    """A new municipality, ready to take cases: its domains, its desk's phones and its first-line
    queue (``<code>-forstelinje`` unless ``first_line_slug`` names it), in one transaction."""
    from app.tickets.services import create_queue  # tickets builds on accounts: import late

    _require_admin(actor)
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise Invalid("code", _l("The code must be 2 to 6 letters A-Z, like GRA."))
    name = clean_name(name, 80)
    if not name:
        raise Invalid("name", _l("Give the municipality a name."))
    if queries.municipality_by_code(code) is not None:
        raise Conflict(_l("A municipality with code %(code)s exists already.", code=code), code="exists")
    municipality = Municipality(code=code, name=name)
    db.session.add(municipality)
    for domain in domains:
        _add_domain(municipality, domain)
    for phone in phones:
        municipality.phones.append(MunicipalityPhone(number=clean_phone(phone)))
    db.session.flush()
    record(actor=actor, action="municipality.created", object_type="municipality", object_id=code,
           label=name, after={"code": code, **_municipality_values(municipality)})
    create_queue(first_line_slug or f"{code.lower()}-forstelinje", name=f"{name} førstelinje",
                 kind="first_line", municipality_code=code, actor=actor)
    return municipality


def _add_domain(municipality: Municipality, domain: str) -> None:
    domain = domain.strip().lower().lstrip("@")
    if not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", domain):
        raise Invalid("domains", _l("%(domain)s is not an email domain.", domain=domain))
    if queries.municipality_for_domain(domain) is not None:
        raise Conflict(_l("The domain %(domain)s belongs to a municipality already.", domain=domain))
    municipality.domains.append(MunicipalityDomain(domain=domain))


@atomic
def update_municipality(
    code: str, *, name: str | None = None, domains: Iterable[str] | None = None,
    phones: Iterable[str] | None = None, actor: User,
) -> Municipality:
    _require_admin(actor)
    municipality = queries.municipality_by_code(code)
    if municipality is None:
        raise NotFound()
    before = _municipality_values(municipality)
    if name is not None:
        if not clean_name(name, 80):
            raise Invalid("name", _l("Give the municipality a name."))
        municipality.name = clean_name(name, 80)
    if domains is not None:
        municipality.domains.clear()
        db.session.flush()
        for domain in domains:
            _add_domain(municipality, domain)
    if phones is not None:
        municipality.phones.clear()
        db.session.flush()
        for phone in phones:
            municipality.phones.append(MunicipalityPhone(number=clean_phone(phone)))
    old, new = _changed(before, _municipality_values(municipality))
    if new:
        record(actor=actor, action="municipality.updated", object_type="municipality",
               object_id=municipality.code, label=municipality.name, before=old, after=new)
    return municipality


def _user_values(user: User) -> dict[str, Any]:
    return {
        "email": user.email, "name": user.name,
        "municipality": user.municipality.code if user.municipality is not None else None,
        "phone": user.phone, "locale": user.locale, "is_active": user.is_active,
    }


def _roles_of(user: User) -> list[str]:
    return sorted(str(r.role) for r in user.role_rows)


def _audit_user(user: User, action: str, *, actor: User, before: dict[str, Any] | None = None,
                after: dict[str, Any] | None = None, note: str | None = None) -> None:
    record(actor=actor, action=action, object_type="user", object_id=user.id, label=user.email,
           subject=user, before=before, after=after, note=note)


@atomic
def create_user(
    email: str, *, name: str, roles: Iterable[Role | str] = (Role.EMPLOYEE,),
    municipality_code: str | None = None, password: str | None = None,
    phone: str | None = None, locale: str = "nb", actor: User,
) -> User:
    _require_admin(actor)
    email = clean_email(email)
    if queries.user_by_email(email) is not None:
        raise Conflict(_l("A user with the address %(email)s exists already.", email=email), code="exists")
    user = User(email=email, name=clean_name(name) or email, locale=_clean_locale(locale))
    _set_municipality(user, municipality_code)
    if phone:
        _assign_phone(user, phone)
    db.session.add(user)
    _set_roles(user, roles)
    if password is not None:
        user.password_hash = _hash_password(password, user)
    db.session.flush()
    _audit_user(user, "user.created", actor=actor,
                after={**_user_values(user), "is_active": True, "roles": _roles_of(user)})
    if password is not None:
        _audit_user(user, "user.password_set", actor=actor)
    return user


def _clean_locale(locale: str) -> str:
    if locale not in ("nb", "en"):
        raise Invalid("locale", _l("Choose Norwegian (nb) or English (en)."))
    return locale


def _set_municipality(user: User, code: str | None) -> None:
    if code:
        municipality = queries.municipality_by_code(code)
        if municipality is None:
            raise Invalid("municipality", _l("There is no municipality with code %(code)s.", code=code))
        user.municipality = municipality
        user.municipality_id = municipality.id
    else:
        user.municipality = None
        user.municipality_id = None


def _set_roles(user: User, roles: Iterable[Role | str]) -> None:
    try:
        wanted = {Role(r) for r in roles}
    except ValueError as exc:
        raise Invalid("roles", _l("Unknown role.")) from exc
    needs_municipality = {Role.FIRST_LINE, Role.MANAGER, Role.EMPLOYEE} & wanted
    if needs_municipality and user.municipality_id is None and user.municipality is None:
        raise Invalid(
            "municipality",
            _l("Employees, first-line agents and managers belong to a municipality."),
        )
    user.role_rows[:] = [r for r in user.role_rows if r.role in wanted]
    have = {r.role for r in user.role_rows}
    for role in sorted(wanted - have):
        user.role_rows.append(UserRole(role=role))


@atomic
def update_user(
    email: str, *, name: str | None = None, roles: Iterable[Role | str] | None = None,
    municipality_code: str | None = None, clear_municipality: bool = False,
    phone: str | None = None, locale: str | None = None, is_active: bool | None = None,
    password: str | None = None, actor: User,
) -> User:
    """Change a user as one action: profile, roles, active or not, and (when ``password`` is
    given) a new password. A refusal of any part leaves the user as they were."""
    _require_admin(actor)
    user = queries.user_by_email(email)
    if user is None or user.is_system:
        raise NotFound()
    before, roles_before = _user_values(user), _roles_of(user)
    if name is not None:
        user.name = clean_name(name) or user.email
    if municipality_code or clear_municipality:
        _set_municipality(user, None if clear_municipality else municipality_code)
    if roles is not None:
        if actor.id == user.id and Role.ADMIN not in {Role(r) for r in roles}:
            raise Invalid("roles", _l("You cannot take away your own administrator role."))
        _set_roles(user, roles)
    if phone is not None:
        _assign_phone(user, phone)
    if locale is not None:
        user.locale = _clean_locale(locale)
    if is_active is not None:
        if actor.id == user.id and not is_active:
            raise Invalid("is_active", _l("You cannot deactivate yourself."))
        if is_active and not user.is_active and user.phone:
            # While they were away their number may have gone to someone else: it is theirs
            # again only if no other active person has it (a contact gives it up).
            number, user.phone = user.phone, None
            _assign_phone(user, number)
        user.is_active = is_active
    if password is not None:
        user.password_hash = _hash_password(password, user)
    old, new = _changed(before, _user_values(user))
    active = new.pop("is_active", None)
    old.pop("is_active", None)
    if new:
        _audit_user(user, "user.updated", actor=actor, before=old, after=new)
    roles_after = _roles_of(user)
    if roles_after != roles_before:
        granted = sorted(set(roles_after) - set(roles_before))
        removed = sorted(set(roles_before) - set(roles_after))
        _audit_user(user, "user.roles_changed", actor=actor, before={"roles": roles_before},
                    after={"roles": roles_after, "granted": granted, "removed": removed})
    if active is not None:
        _audit_user(user, "user.activated" if active else "user.deactivated", actor=actor,
                    before={"is_active": not active}, after={"is_active": active})
    if password is not None:
        _audit_user(user, "user.password_set", actor=actor)
    if is_active is False:  # signed out at once, tokens revoked (app/accounts/sessions.py)
        sessions.end_everything(user, actor=actor, reason="deactivated")
    return user


@atomic
def set_phone(email: str, number: str | None, *, actor: User) -> User:
    """Set (or, with an empty ``number``, clear) a user's mobile number."""
    _require_admin(actor)
    user = queries.user_by_email(email)
    if user is None or user.is_system:
        raise NotFound(_l("There is no user with the address %(email)s.", email=email))
    before = user.phone
    _assign_phone(user, number)
    if user.phone != before:
        _audit_user(user, "user.phone_changed", actor=actor, before={"phone": before},
                    after={"phone": user.phone})
    return user


def _hash_password(password: str, user: User) -> str:
    """The argon2 hash of a password that passes the rules for ``user`` (app/accounts/passwords.py)."""
    passwords.check(password, privileged=passwords.is_privileged(user.roles), name=user.name,
                    email=user.email)
    return _hasher().hash(password)


@atomic
def set_password(email: str, password: str, *, actor: User) -> User:
    """A new password: users set their own, administrators anyone's. Never logged."""
    user = queries.user_by_email(email)
    if user is None or user.is_system:
        raise NotFound()
    if actor.id != user.id:
        _require_admin(actor)
    user.password_hash = _hash_password(password, user)
    _audit_user(user, "user.password_set", actor=actor)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose password this is, or None. Costs one hash either way."""
    user = queries.user_by_email(email) if email else None
    hasher = _hasher()
    # Bytes, so that any text a form can carry (a lone surrogate too) costs a hash and fails.
    secret = (password or "x").encode("utf-8", "surrogatepass")
    if user is None or not user.can_log_in or user.password_hash is None:
        hasher.hash(secret)  # same cost for unknown users: no timing oracle
        return None
    try:
        hasher.verify(user.password_hash, secret)
    except (VerificationError, InvalidHashError):
        return None
    return user


@atomic
def create_token(email: str, *, name: str = "cli", actor: User) -> tuple[ApiToken, str]:
    """A new bearer token for ``email``; the raw token is returned once and never stored."""
    user = queries.user_by_email(email)
    if user is None or user.is_system:
        raise NotFound(_l("There is no user with the address %(email)s.", email=email))
    if actor.id != user.id:
        _require_admin(actor)
    raw = "sd_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:80] or "token", token_hash=queries.hash_token(raw))
    db.session.add(token)
    db.session.flush()
    record(actor=actor, action="token.created", object_type="token", object_id=token.id,
           label=f"{user.email}: {token.name}", subject=user, after={"name": token.name})
    return token, raw


@atomic
def revoke_token(token_id: int, *, actor: User) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or (actor.id != token.user_id and not actor.is_admin):
        raise NotFound()
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record(actor=actor, action="token.revoked", object_type="token", object_id=token.id,
           label=f"{token.user.email}: {token.name}", subject=token.user,
           before={"revoked": False}, after={"revoked": True})


@atomic
def contact_for_email(address: str, display_name: str | None = None) -> User | None:
    """The user behind an email address, creating an employee contact when the address is in a
    municipality's domain. None when the domain is unknown (the caller decides: triage or refuse)."""
    email = address.strip().lower()
    user = queries.user_by_email(email)
    if user is not None:
        return user
    domain = email.rpartition("@")[2]
    municipality = queries.municipality_for_domain(domain)
    if municipality is None:
        return None
    user = User(email=email, name=clean_name(display_name) or email)
    user.municipality = municipality
    user.municipality_id = municipality.id
    user.role_rows.append(UserRole(role=Role.EMPLOYEE))
    db.session.add(user)
    db.session.flush()
    _audit_contact(user)
    return user


@atomic
def external_contact(address: str, display_name: str | None = None) -> User:
    """A contact without a municipality (unknown sender whose mail went to triage)."""
    email = address.strip().lower()
    user = queries.user_by_email(email)
    if user is None:
        user = User(email=email, name=clean_name(display_name) or email)
        db.session.add(user)
        db.session.flush()
        _audit_contact(user)
    return user


def _audit_contact(user: User) -> None:
    """A contact made by intake (mail, later SMS) is a user created by the system user."""
    _audit_user(user, "user.created", actor=system_user(), note="intake",
                after={**_user_values(user), "roles": _roles_of(user)})


@atomic
def contact_for_phone(number: str | None, *, municipality_code: str | None) -> User:
    """The active user with this mobile number, or a contact made for it (SMS and phone intake):
    an employee of ``municipality_code``, or without a municipality (triage). A hidden number
    (None) gets one "unknown caller" contact per municipality. A contact cannot log in and gets
    no mail; a real user given the number later takes it over."""
    municipality = queries.municipality_by_code(municipality_code) if municipality_code else None
    if number is not None:
        number = clean_phone(number)
        user = queries.user_by_phone(number)
        if user is not None and not (queries.is_phone_contact(user) and municipality is not None):
            return user
        email = queries.phone_contact_email(number)
    else:
        email = f"ukjent-{(municipality_code or 'x').lower()}@{queries.PHONE_CONTACT_DOMAIN}"
    user = queries.user_by_email(email)
    new = user is None
    if user is None:
        user = User(email=email, name=number or "Ukjent innringer")
        db.session.add(user)
    user.phone, user.is_active = number, True
    if municipality is not None:
        user.municipality, user.municipality_id = municipality, municipality.id
        if not user.role_rows:
            user.role_rows.append(UserRole(role=Role.EMPLOYEE))
    db.session.flush()
    if new:
        _audit_contact(user)
    return user


@atomic
def system_user() -> User:
    """The user that the command line, cron jobs, intake and the demo act as (ADR 0055). It has
    the administrator role, so every use case checks its permission as for anyone else, and it
    can never log in (``User.can_log_in``) nor get a token."""
    user = queries.user_by_email(queries.SYSTEM_EMAIL)
    if user is not None:
        return user
    # Two cron runs may get here at once: the loser's INSERT fails inside its own savepoint
    # (begin_nested flushes what is pending *before* the savepoint, so add inside it).
    try:
        with db.session.begin_nested():
            user = User(email=queries.SYSTEM_EMAIL, name="Samdesk", is_system=True)
            user.role_rows.append(UserRole(role=Role.ADMIN))
            db.session.add(user)
    except sa.exc.IntegrityError:
        found = queries.user_by_email(queries.SYSTEM_EMAIL)
        assert found is not None
        return found
    return user
