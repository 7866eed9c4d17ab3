"""Two first sign-ins of the same person at once (two browser tabs, a double click on the
provider's button) on PostgreSQL: the loser of the unique-constraint race retries in a
savepoint and signs in as the same account; no 500, one account, one link."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.accounts import sso
from app.accounts.models import User
from app.accounts.signin_models import ExternalIdentity
from app.extensions import db
from tests.accounts.test_sso import configured

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="race tests need PostgreSQL (TEST_DATABASE_URL)",
    ),
]


def _race(app: Flask, claims: dict[str, Any], n: int = 2) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = sso.sign_in("GRA", dict(claims)).id
            except Exception as exc:  # noqa: BLE001 - the result under test
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def _count(model: type) -> int:
    db.session.expire_all()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("attempt", range(3))
def test_two_first_sign_ins_of_a_new_person_at_once_make_one_account(app: Flask, world, attempt: int) -> None:
    users_before = _count(User)
    with configured(app, "https://login.example/gran/v2.0"):
        results = _race(app, {"sub": f"oid-new-{attempt}", "email": f"ny{attempt}@gran.kommune.example"})

    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    assert _count(User) == users_before + 1
    assert _count(ExternalIdentity) == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_first_sign_ins_of_an_existing_account_at_once_link_it_once(app: Flask, world, attempt: int) -> None:
    with configured(app, "https://login.example/gran/v2.0"):
        results = _race(app, {"sub": f"oid-old-{attempt}", "email": world.employee.email})

    assert results == [world.employee.id, world.employee.id]
    assert _count(ExternalIdentity) == 1
