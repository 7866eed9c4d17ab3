"""Secrets the database keeps but must not show: sealed with Fernet (AES-128-CBC and
HMAC-SHA256, from ``cryptography``) under keys from the environment (ADR 0100).

A stolen copy of the database (a backup, a dump for a bug report) then holds no TOTP secret
that would let someone make a person's codes. The keys come from ``SAMDESK_SEAL_KEYS``
(comma-separated, newest first) or, when that is empty, from ``SECRET_KEY``; each is stretched
to a Fernet key with HKDF, so any long random string will do. Older keys still open what they
sealed, so a key can be replaced without locking anyone out; ``flask --app wsgi users
reseal-secrets`` seals everything again under the newest.
"""

from __future__ import annotations

import base64
import logging

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

log = logging.getLogger(__name__)
PREFIX = "fernet:"  # sealed values say so; anything else is a value from before sealing


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"samdesk-sealed-columns",
                   info=b"samdesk seal v1").derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


def _box() -> MultiFernet:
    keys = list(current_app.config.get("SAMDESK_SEAL_KEYS") or []) or [str(current_app.config["SECRET_KEY"])]
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def seal(value: str) -> str:
    return PREFIX + _box().encrypt(value.encode()).decode("ascii")


def unseal(stored: str) -> str:
    """The value, or "" when no configured key opens it (a key was removed too soon)."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _box().decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode()
    except InvalidToken:
        log.error("a sealed value could not be opened with the configured SAMDESK_SEAL_KEYS")
        return ""


def is_sealed_with_newest(stored: str) -> bool:
    if not stored.startswith(PREFIX):
        return False
    newest = list(current_app.config.get("SAMDESK_SEAL_KEYS") or []) or [str(current_app.config["SECRET_KEY"])]
    try:
        Fernet(_fernet_key(newest[0])).decrypt(stored.removeprefix(PREFIX).encode("ascii"))
    except InvalidToken:
        return False
    return True


class Sealed(sa.types.TypeDecorator[str]):
    """A string column stored sealed: the model reads and writes the plain value."""

    impl = sa.String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else unseal(value)
