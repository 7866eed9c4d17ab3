"""Accounts through the service layer: municipalities are data, users with roles, argon2
passwords, tokens, and who may change them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts import queries, services
from app.accounts.models import ApiToken, Role, User
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from tests.factories import make_user


def _users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_a_new_municipality_is_data(world) -> None:
    municipality = services.create_municipality(
        "ham", "Hamar", domains=["@Hamar.Kommune.Example"], phones=["62 56 30 00"], actor=world.admin
    )

    assert municipality.code == "HAM"
    assert [d.domain for d in municipality.domains] == ["hamar.kommune.example"]
    assert [p.number for p in municipality.phones] == ["+4762563000"]
    assert queries.municipality_for_phone("+4762563000").code == "HAM"


@pytest.mark.parametrize(("code", "name", "domains"), [
    ("G", "Gran", []), ("GRAN1", "Gran", []), ("OSL", " ", []), ("OSL", "Oslo", ["ikke et domene"]),
])
def test_municipality_input_is_validated(world, code, name, domains) -> None:
    with pytest.raises(Invalid):
        services.create_municipality(code, name, domains=domains, actor=services.system_user())
    assert queries.municipality_by_code("OSL") is None


def test_municipality_code_and_domain_are_unique(world) -> None:
    with pytest.raises(Conflict):
        services.create_municipality("GRA", "Gran igjen", actor=services.system_user())
    with pytest.raises(Conflict):
        services.create_municipality("OSL", "Oslo", domains=["gran.kommune.example"], actor=services.system_user())


def test_only_admins_change_users_and_municipalities(world) -> None:
    with pytest.raises(Forbidden):
        services.create_user("x@gran.kommune.example", name="X", municipality_code="GRA", actor=world.manager)
    with pytest.raises(Forbidden):
        services.create_municipality("OSL", "Oslo", actor=world.agent)
    with pytest.raises(Forbidden):
        services.update_user(world.employee.email, roles=["admin"], actor=world.employee)
    assert world.employee.roles == {Role.EMPLOYEE}


def test_user_has_several_roles_and_pooled_staff_no_municipality(world) -> None:
    user = services.create_user("superbruker@gran.kommune.example", name="Siv", municipality_code="GRA",
                                roles=["employee", "super_user", "trainer"], actor=world.admin)
    pooled = services.create_user("drift@ikt-hadeland.example", name="Drift", roles=["second_line"],
                                  actor=world.admin)

    assert user.roles == {Role.EMPLOYEE, Role.SUPER_USER, Role.TRAINER}
    assert pooled.municipality_id is None and pooled.is_agent


def test_first_line_managers_and_employees_need_a_municipality(world) -> None:
    for role in ("first_line", "manager", "employee"):
        with pytest.raises(Invalid) as caught:
            services.create_user(f"{role}@ikt-hadeland.example", name="X", roles=[role], actor=services.system_user())
        assert caught.value.field == "municipality"
    assert queries.user_by_email("manager@ikt-hadeland.example") is None


def test_email_is_normalised_and_unique(world) -> None:
    user = services.create_user("  Ola.Nordmann@Gran.Kommune.Example ", name="Ola", municipality_code="GRA",
                                actor=services.system_user())
    count = _users()

    assert user.email == "ola.nordmann@gran.kommune.example"
    with pytest.raises(Conflict):
        services.create_user("OLA.NORDMANN@gran.kommune.example", name="Ola 2", municipality_code="GRA", actor=services.system_user())
    with pytest.raises(Invalid):
        services.create_user("ikke-en-adresse", name="X", municipality_code="GRA", actor=services.system_user())
    assert _users() == count


def test_passwords_are_argon2_and_checked(world) -> None:
    user = make_user(email="pw@gran.kommune.example", password="et-godt-passord")

    assert user.password_hash.startswith("$argon2")
    assert services.authenticate("pw@gran.kommune.example", "et-godt-passord") == user
    assert services.authenticate("PW@gran.kommune.example", "et-godt-passord") == user
    assert services.authenticate("pw@gran.kommune.example", "feil-passord") is None
    assert services.authenticate("ukjent@gran.kommune.example", "et-godt-passord") is None
    with pytest.raises(Invalid):
        services.set_password("pw@gran.kommune.example", "kort", actor=services.system_user())


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(world) -> None:
    with pytest.raises(Invalid):
        services.update_user(world.admin.email, roles=["employee"], actor=world.admin)
    with pytest.raises(Invalid):
        services.update_user(world.admin.email, is_active=False, actor=world.admin)
    db.session.refresh(world.admin)
    assert world.admin.is_admin and world.admin.is_active


def test_tokens_are_stored_as_hashes_and_can_be_revoked(world) -> None:
    token, raw = services.create_token(world.agent.email, name="skript", actor=services.system_user())

    assert raw.startswith("sd_")
    assert db.session.scalar(sa.select(ApiToken.token_hash)) == queries.hash_token(raw)
    assert raw not in str(db.session.scalars(sa.select(ApiToken.token_hash)).all())
    assert queries.user_for_token(raw) == world.agent
    services.revoke_token(token.id, actor=world.agent)
    assert queries.user_for_token(raw) is None


def test_only_admins_make_tokens_for_others(world) -> None:
    with pytest.raises(Forbidden):
        services.create_token(world.admin.email, actor=world.agent)
    with pytest.raises(NotFound):
        services.create_token("ingen@x.example", actor=services.system_user())


def test_contact_for_email_makes_an_employee_of_a_known_domain_only(world) -> None:
    contact = services.contact_for_email("Ny.Ansatt@gran.kommune.example", "Ny Ansatt")

    assert contact.municipality.code == "GRA"
    assert contact.roles == {Role.EMPLOYEE}
    assert contact.password_hash is None and not contact.can_log_in
    assert services.contact_for_email("someone@gmail.example") is None
