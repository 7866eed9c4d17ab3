"""Twilio's retries at the same moment, and two texts from one unknown number at once, on real
PostgreSQL: one case, one waiting text, the same answer for both."""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.telephony import services
from app.telephony.models import PendingSms, TwilioWebhook
from app.tickets.models import Ticket
from tests.concurrency import race
from tests.telephony.conftest import sid

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="race tests need PostgreSQL (TEST_DATABASE_URL)",
    ),
]


def test_the_same_message_sid_at_once_makes_one_case(app: Any, hadeland: Any, twilio_config: Any) -> None:
    db.session.commit()
    fields = {"MessageSid": sid(), "From": "+4791234567", "Body": "Skriveren virker ikke"}
    results = race(app, [lambda: services.receive_sms(fields)] * 4)
    assert all(isinstance(r, services.Answer) for r in results), results
    assert len({r.text for r in results}) == 1 and sum(not r.duplicate for r in results) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TwilioWebhook)) == 1


def test_two_first_texts_from_an_unknown_number_wait_together(app: Any, hadeland: Any, twilio_config: Any) -> None:
    db.session.commit()
    jobs = [lambda body=body: services.receive_sms({"MessageSid": sid(), "From": "+4798765432", "Body": body})
            for body in ("Hei", "Hjelp")]
    results = race(app, jobs)
    assert all(isinstance(r, services.Answer) for r in results), results
    (pending,) = db.session.scalars(sa.select(PendingSms)).all()
    assert sorted(pending.body.split("\n\n")) == ["Hei", "Hjelp"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TwilioWebhook)) == 2
