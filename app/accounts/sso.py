"""Single sign-on with a municipality's OpenID Connect provider (ADR 0093).

A person is matched by the provider's stable subject (``iss`` + ``sub``) once linked, never by
name. The first sign-in links an existing account with the same address in the municipality's
own email domain, or creates an employee account there (``SAMDESK_OIDC_<CODE>_AUTO_CREATE``,
on by default). Sign-in never grants a staff role. The validation of the ID token (signature,
issuer, audience, expiry, nonce) and of the state is Authlib's, in app/accounts/signin_views.py.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts import queries, services
from app.accounts.models import User
from app.accounts.signin_models import ExternalIdentity
from app.audit.services import record
from app.db import atomic, is_storable, utcnow
from app.errors import NotFound, Unauthorized
from app.extensions import db

log = logging.getLogger(__name__)

# One message for every refusal: the outside learns nothing about which accounts exist.
REFUSED = _l("Single sign-on did not work. Try again, or log in with your password.")


def provider(code: str) -> dict[str, Any]:
    """The settings of ``code``'s provider; NotFound when none is configured."""
    found = current_app.config["SAMDESK_OIDC"].get((code or "").upper())
    if not found or not found.get("client_id"):
        raise NotFound()
    return dict(found)


def refuse(reason: str) -> Unauthorized:
    log.info("single sign-on refused: %s", reason)  # a reason, never a name or address
    return Unauthorized(REFUSED, code="sso_refused")


@atomic
def sign_in(code: str, claims: dict[str, Any]) -> User:
    """The user the provider of municipality ``code`` vouches for with ``claims`` (already
    validated), linking or creating the account on the first sign-in.

    Two first sign-ins of the same person at once (two tabs, a double click) both find no link
    and both insert the account or the link; the loser's INSERT fails on the unique constraint
    once the winner commits. It runs in a savepoint, so the loser rolls back only that and tries
    once more, finding what the winner made (as accounts.services.system_user does)."""
    settings = provider(code)
    subject = str(claims.get("sub") or "")
    if not subject or len(subject) > 255 or not is_storable(subject):
        raise refuse("no usable sub")
    try:
        with db.session.begin_nested():
            return _find_or_link(code, settings, subject, claims)
    except sa.exc.IntegrityError:
        log.info("single sign-on: a simultaneous first sign-in won; looking again")
        return _find_or_link(code, settings, subject, claims)


def _find_or_link(code: str, settings: dict[str, Any], subject: str, claims: dict[str, Any]) -> User:
    issuer = settings["issuer"]
    identity = db.session.scalar(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
        )
    )
    if identity is not None:
        user = identity.user
        if not user.is_active or user.is_system:
            raise refuse("linked user inactive")
        identity.last_login_at = utcnow()
        return user
    municipality = queries.municipality_by_code(code)
    email = str(claims.get("email") or "").strip().lower()
    if municipality is None or not email or not is_storable(email) or len(email) > 320:
        raise refuse("no email or municipality")
    domain = email.rpartition("@")[2]
    if domain not in {d.domain for d in municipality.domains}:
        raise refuse("email outside the municipality's domains")
    if claims.get("email_verified") is False:
        raise refuse("email not verified")
    existing = queries.user_by_email(email)
    system = services.system_user()
    if existing is None:
        if not settings.get("auto_create", True):
            raise refuse("unknown person and auto-create off")
        name = str(claims.get("name") or "")[:200]
        created = services.contact_for_email(email, name if is_storable(name) else None)
        if created is None:
            raise refuse("no municipality for the domain")
        user = created
        record(actor=system, action="user.created_by_sso", object_type="user", object_id=user.id,
               label=user.email, subject=user, after={"municipality": municipality.code,
                                                      "roles": ["employee"]})
    elif (
        existing.municipality_id != municipality.id or not existing.is_active or existing.is_system
    ):
        raise refuse("existing account of another municipality or inactive")
    else:
        user = existing
    db.session.add(ExternalIdentity(issuer=issuer, subject=subject, user_id=user.id,
                                    municipality_code=municipality.code, last_login_at=utcnow()))
    record(actor=system, action="user.identity_linked", object_type="user", object_id=user.id,
           label=user.email, subject=user, after={"issuer": issuer, "municipality": municipality.code})
    return user
