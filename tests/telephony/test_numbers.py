"""Mobile numbers: E.164 wherever entered (Norway the default region), one per active user."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from app.accounts import queries, services
from app.accounts.models import Role, User
from app.audit.models import AuditEntry
from app.errors import Conflict, Invalid
from app.extensions import db
from app.telephony import sms
from tests import factories


@pytest.mark.parametrize("written", ["91234567", "912 34 567", "+47 912 34 567", "0047 91234567",
                                     "+47-912-34-567", "(+47) 91 23 45 67"])
def test_a_norwegian_mobile_number_in_any_format_is_stored_in_e164(app: Any, written: str) -> None:
    user = factories.make_user(Role.EMPLOYEE, "GRA", phone=written)
    assert user.phone == "+4791234567"


def test_a_foreign_number_keeps_its_country(app: Any) -> None:
    assert factories.make_user(Role.EMPLOYEE, "GRA", phone="+46 70 123 45 67").phone == "+46701234567"


@pytest.mark.parametrize("bad", ["123", "abc", "+47 1234", "9123456789012345", "+999 12345678"])
def test_an_invalid_number_is_refused_with_a_clear_message(app: Any, bad: str) -> None:
    with pytest.raises(Invalid) as refused:
        factories.make_user(Role.EMPLOYEE, "GRA", phone=bad)
    assert refused.value.field == "phone"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.phone.is_not(None))) == 0


def test_one_number_belongs_to_one_active_user(app: Any) -> None:
    factories.make_user(Role.EMPLOYEE, "GRA", phone="91234567", email="a@gran.kommune.example")
    with pytest.raises(Conflict) as taken:
        factories.make_user(Role.EMPLOYEE, "GRA", phone="+4791234567", email="b@gran.kommune.example")
    assert taken.value.code == "phone_taken"
    assert queries.user_by_email("b@gran.kommune.example") is None


def test_a_deactivated_users_number_can_be_given_to_someone_else(app: Any) -> None:
    admin = factories.make_user(Role.ADMIN, None)
    old = factories.make_user(Role.EMPLOYEE, "GRA", phone="91234567")
    services.update_user(old.email, is_active=False, actor=admin)
    new = factories.make_user(Role.EMPLOYEE, "GRA", phone="91234567")
    assert queries.user_by_phone("+4791234567").id == new.id


def test_reactivating_a_user_whose_number_went_to_someone_else_is_refused_and_changes_nothing(app: Any) -> None:
    admin = factories.make_user(Role.ADMIN, None)
    old = factories.make_user(Role.EMPLOYEE, "GRA", phone="91234567")
    services.update_user(old.email, is_active=False, actor=admin)
    new = factories.make_user(Role.EMPLOYEE, "GRA", phone="91234567")

    with pytest.raises(Conflict) as refused:
        services.update_user(old.email, is_active=True, actor=admin)

    assert refused.value.code == "phone_taken"
    db.session.expire_all()
    again = queries.user_by_email(old.email)
    assert again is not None and not again.is_active and again.phone == "+4791234567"
    assert queries.user_by_phone("+4791234567").id == new.id


def test_reactivating_a_user_whose_number_is_still_free_keeps_it(app: Any) -> None:
    admin = factories.make_user(Role.ADMIN, None)
    old = factories.make_user(Role.EMPLOYEE, "GRA", phone="91234567")
    services.update_user(old.email, is_active=False, actor=admin)

    services.update_user(old.email, is_active=True, actor=admin)

    assert queries.user_by_phone("+4791234567").id == old.id


def test_a_real_user_takes_the_number_over_from_an_sms_contact(app: Any) -> None:
    factories.make_municipality("GRA")
    contact = services.contact_for_phone("+4791234567", municipality_code="GRA")
    user = factories.make_user(Role.EMPLOYEE, "GRA", phone="91234567")
    assert queries.user_by_phone("+4791234567").id == user.id
    assert db.session.get(User, contact.id).phone is None


def test_changing_a_number_writes_the_audit_log(app: Any) -> None:
    admin = factories.make_user(Role.ADMIN, None)
    user = factories.make_user(Role.EMPLOYEE, "GRA")
    services.set_phone(user.email, "912 34 567", actor=admin)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.phone_changed")).one()
    assert entry.actor_id == admin.id and entry.subject_user_id == user.id
    assert entry.before == {"phone": None} and entry.after == {"phone": "+4791234567"}


def test_cli_creates_a_user_with_a_phone_and_sets_it(runner: FlaskCliRunner, app: Any) -> None:
    factories.make_municipality("GRA")
    result = runner.invoke(args=["users", "create", "kari@gran.kommune.example", "--name", "Kari",
                                 "--municipality", "GRA", "--phone", "912 34 567"])
    assert result.exit_code == 0, result.output
    assert queries.user_by_email("kari@gran.kommune.example").phone == "+4791234567"
    result = runner.invoke(args=["users", "set-phone", "kari@gran.kommune.example", "0047 41234567"])
    assert result.exit_code == 0 and "+4741234567" in result.output
    result = runner.invoke(args=["users", "set-phone", "kari@gran.kommune.example", "12"])
    assert result.exit_code == 1
    assert "valid phone number" in result.output or "gyldig" in result.output
    assert queries.user_by_email("kari@gran.kommune.example").phone == "+4741234567"


def test_admin_page_stores_the_number_in_e164_and_refuses_an_invalid_one(as_user: Any, app: Any) -> None:
    admin = factories.make_user(Role.ADMIN, None, email="admin@samdesk.example")
    user = factories.make_user(Role.EMPLOYEE, "GRA")
    browser = as_user(admin)
    form = {"email": user.email, "name": user.name, "municipality": "GRA", "roles": ["employee"],
            "locale": "nb", "is_active": "y"}
    refused = browser.submit(f"/admin/brukere/{user.id}", f"/admin/brukere/{user.id}", {**form, "phone": "12"})
    assert refused.status_code == 400
    assert "gyldig telefonnummer" in refused.text
    assert db.session.get(User, user.id).phone is None
    saved = browser.submit(f"/admin/brukere/{user.id}", f"/admin/brukere/{user.id}", {**form, "phone": "912 34 567"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).phone == "+4791234567"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_normalise_never_raises_and_gives_e164_or_none(text: str) -> None:
    result = sms.normalise(text)
    assert result is None or sms.is_e164(result)
