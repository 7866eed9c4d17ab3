"""The SMS parts of the case page in Chromium: the agent sees how a reply leaves by SMS, sends an
SMS from the actions, and the pages pass axe and fit a phone."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.extensions import db
from app.outbox.models import OutboxChannel, OutboxMessage
from tests import factories
from tests.browser.test_accessibility import AXE, AXE_OPTIONS
from tests.conftest import World

pytestmark = pytest.mark.browser


def _sms_case(world: World) -> str:
    accounts.set_phone(world.employee.email, "912 34 567", actor=world.admin)
    return factories.make_ticket(world.employee, subject="Skriveren er tom", channel="sms").ref


def _serious(page: Any) -> list[str]:
    result = AXE.run(page, options=AXE_OPTIONS)
    return [v["id"] for v in result.response["violations"] if v["impact"] in ("serious", "critical")]


def test_agent_sees_the_sms_reply_mode_and_sends_an_sms(open_session: Any, world: World) -> None:
    ref = _sms_case(world)
    session = open_session()
    session.login(world.agent.email)
    session.goto(f"/saker/{ref}")
    page = session.page
    assert "Et offentlig svar går også til +4791234567 på SMS" in page.content()
    assert _serious(page) == []
    page.get_by_label("SMS til den ansatte").fill("Vi kommer innom kl. 14.")
    page.get_by_role("button", name="Send SMS til +4791234567").click()
    page.wait_for_url(f"**/saker/{ref}")
    assert "SMS-en er på vei" in page.content()
    db.session.expire_all()
    row = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.SMS)
                             .order_by(OutboxMessage.id.desc())).first()  # after the receipt
    assert row.body_text.startswith(f"Svar på sak {ref}:\nVi kommer innom kl. 14.\n")


def test_sms_page_with_an_error_passes_axe_and_fits_a_phone(open_session: Any, world: World) -> None:
    from tests.browser.live import PHONE

    ref = _sms_case(world)
    session = open_session(PHONE)
    session.login(world.agent.email)
    session.goto(f"/telephony/saker/{ref}/sms")
    session.page.get_by_role("button", name="Send SMS til +4791234567").click()
    assert "Skriv SMS-en." in session.page.content()
    assert _serious(session.page) == []
    assert session.wider_than_window() == []
    session.goto(f"/saker/{ref}")
    assert session.wider_than_window() == []


def test_sms_settings_page_passes_axe_and_fits_a_phone(open_session: Any, world: World) -> None:
    from tests.browser.live import PHONE

    for viewport in (None, PHONE):
        session = open_session(PHONE) if viewport else open_session()
        session.login(world.admin.email)
        session.goto("/telephony/innstillinger")
        assert "SMS-svar i Gran" in session.page.content()
        assert _serious(session.page) == []
        assert session.wider_than_window() == []
