"""The SMS settings page: administrators choose text or link per municipality (audited) and see
and retry the webhooks that were kept as failed; nobody else gets in."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts.services import system_user
from app.audit.models import AuditEntry
from app.extensions import db
from app.telephony import queries
from app.telephony.models import SmsReplyMode, TwilioWebhook, WebhookStatus
from app.tickets import services as tickets
from tests.telephony.conftest import Twilio


def test_admin_sets_the_reply_mode_of_a_municipality(as_user: Any, hadeland: Any) -> None:
    browser = as_user(hadeland["admin"])
    page = browser.get("/telephony/innstillinger")
    assert page.status_code == 200 and "SMS-svar i Gran" in page.text
    gran = __import__("app.accounts.queries", fromlist=["x"]).municipality_by_code("GRA")
    response = browser.submit("/telephony/innstillinger", "/telephony/innstillinger/GRA",
                              {"GRA-mode": "text"}, prefix="GRA")
    assert response.status_code == 302
    assert queries.reply_mode(gran.id) is SmsReplyMode.TEXT
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "telephony.sms_reply_mode_changed")).one()
    assert entry.actor_id == hadeland["admin"].id and entry.after == {"sms_reply_mode": "text"}


def test_only_administrators_see_the_settings(as_user: Any, hadeland: Any) -> None:
    for who in ("agent", "employee"):
        assert as_user(hadeland[who]).get("/telephony/innstillinger").status_code == 403
    refused = as_user(hadeland["agent"]).client.post("/telephony/innstillinger/GRA", data={"GRA-mode": "text"})
    assert refused.status_code in (400, 403)
    gran = __import__("app.accounts.queries", fromlist=["x"]).municipality_by_code("GRA")
    assert queries.reply_mode(gran.id) is SmsReplyMode.LINK


def test_admin_sees_and_retries_a_kept_webhook(as_user: Any, hadeland: Any, twilio: Twilio) -> None:
    tickets.update_queue("gran-forstelinje", is_active=False, actor=system_user())
    twilio.sms("+4791234567", "Skjermen er svart")
    tickets.update_queue("gran-forstelinje", is_active=True, actor=system_user())
    browser = as_user(hadeland["admin"])
    page = browser.get("/telephony/innstillinger")
    assert "Meldinger som ikke kunne tas imot" in page.text and "no_queue" in page.text
    response = browser.submit("/telephony/innstillinger", "/telephony/innstillinger/prov-igjen", {}, prefix="retry")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(sa.select(TwilioWebhook.status)).one() is WebhookStatus.PROCESSED
