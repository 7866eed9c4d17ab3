"""The audit log's writer: one row per change, with its actor, and never a secret."""

from __future__ import annotations

import pytest

from app.accounts.services import system_user
from app.audit.models import AuditEntry
from app.audit.services import record
from app.db import atomic
from app.extensions import db


def test_record_masks_secrets_and_keeps_the_rest(world):
    @atomic
    def change():
        record(actor=world.admin, action="user.password_set", object_type="user",
               object_id=world.employee.id, label=world.employee.email, subject=world.employee,
               before={"password_hash": "argon2$abc", "roles": {"employee"}},
               after={"password": "hemmelig-passord", "roles": ["employee", "manager"]})

    change()
    (entry,) = db.session.scalars(db.select(AuditEntry).where(AuditEntry.actor_id == world.admin.id)).all()
    assert entry.actor_id == world.admin.id
    assert entry.subject_user_id == world.employee.id
    assert entry.object_label == world.employee.email
    assert entry.before == {"password_hash": "***", "roles": ["employee"]}
    assert entry.after == {"password": "***", "roles": ["employee", "manager"]}


def test_record_rolls_back_with_the_change(world):
    @atomic
    def failing_change():
        record(actor=system_user(), action="queue.updated", object_type="queue", object_id="x")
        raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert db.session.scalars(db.select(AuditEntry).where(AuditEntry.object_id == "x")).all() == []


def test_record_refuses_a_change_without_an_actor(world):
    with pytest.raises(ValueError):
        record(actor=None, action="queue.updated", object_type="queue", object_id="x")  # type: ignore[arg-type]
