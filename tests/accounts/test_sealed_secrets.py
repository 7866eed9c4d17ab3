"""Authenticator secrets are sealed in the database (app/sealing.py, ADR 0100): a copy of the
database makes no codes, a key can be replaced without locking anyone out, and a secret no
configured key opens refuses codes instead of failing."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from app.accounts import mfa
from app.accounts.signin_models import SignInMethod, TotpFactor
from app.extensions import db


@pytest.fixture
def keys(app: Flask) -> Iterator[list[str]]:
    """SAMDESK_SEAL_KEYS for the test, restored after."""
    before = list(app.config.get("SAMDESK_SEAL_KEYS") or [])
    wanted: list[str] = []
    app.config["SAMDESK_SEAL_KEYS"] = wanted
    yield wanted
    app.config["SAMDESK_SEAL_KEYS"] = before


def _stored(user_id: int) -> str:
    raw = sa.type_coerce(TotpFactor.secret, sa.String)
    return str(db.session.scalar(sa.select(raw).where(TotpFactor.user_id == user_id)))


def _enrolled(user) -> str:  # type: ignore[no-untyped-def]
    secret = mfa.begin_enrolment(user, actor=user)
    mfa.confirm_enrolment(user, pyotp.TOTP(secret).now(), actor=user)
    return secret


def _code_works(user, secret: str) -> bool:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    factor = mfa.factor_of(user)
    assert factor is not None
    factor.last_step = 0  # each check uses the current code again
    db.session.commit()
    return mfa.verify(user, pyotp.TOTP(secret).now()) is SignInMethod.PASSWORD_TOTP


def test_the_database_holds_the_secret_sealed_and_the_model_reads_it_plain(keys, world) -> None:
    secret = _enrolled(world.agent)
    stored = _stored(world.agent.id)
    assert stored.startswith("fernet:") and secret not in stored
    db.session.expire_all()
    assert mfa.factor_of(world.agent).secret == secret
    assert _code_works(world.agent, secret)


def test_a_new_key_in_front_keeps_old_secrets_working_and_reseal_moves_them(app, keys, world, runner) -> None:
    keys[:] = ["the-old-key-" + "x" * 40]
    secret = _enrolled(world.agent)
    old_stored = _stored(world.agent.id)

    keys[:] = ["the-new-key-" + "y" * 40, "the-old-key-" + "x" * 40]
    assert _code_works(world.agent, secret)

    result = runner.invoke(args=["users", "reseal-secrets"])
    assert result.exit_code == 0 and "1 sealed again" in result.output, result.output
    assert _stored(world.agent.id) != old_stored
    again = runner.invoke(args=["users", "reseal-secrets"])
    assert "0 sealed again" in again.output

    keys[:] = ["the-new-key-" + "y" * 40]  # the old key retired: still works
    assert _code_works(world.agent, secret)


def test_a_secret_no_configured_key_opens_refuses_codes_without_failing(keys, world) -> None:
    keys[:] = ["a-key-that-will-be-lost-" + "z" * 30]
    secret = _enrolled(world.agent)
    keys[:] = ["an-unrelated-key-" + "w" * 30]
    assert not _code_works(world.agent, secret)
    assert mfa.reseal(actor=world.admin) == 0  # left as it is: an admin removes it
