"""Passwords after NIST SP 800-63B: length by role, no composition rules, nothing common or
guessable (zxcvbn with the person's own name and address), argon2."""

from __future__ import annotations

import pytest

from app.accounts import services
from app.accounts.models import Role
from app.accounts.services import system_user
from app.errors import Invalid
from tests.factories import make_user


def test_staff_need_twelve_characters_and_employees_ten(world) -> None:
    services.set_password(world.agent.email, "elg-fjord-7x", actor=system_user())  # 12: allowed
    with pytest.raises(Invalid) as short_staff:
        services.set_password(world.agent.email, "elgfjord7xq", actor=system_user())  # 11: not for staff
    assert short_staff.value.code == "password_too_short"
    assert "12" in str(short_staff.value.message)
    services.set_password(world.employee.email, "elgfjord7xq", actor=system_user())  # 11: fine for an employee
    with pytest.raises(Invalid) as short_employee:
        services.set_password(world.employee.email, "elgfjord7", actor=system_user())
    assert "10" in str(short_employee.value.message)


@pytest.mark.parametrize("password", ["passord1234", "qwertyuiop12", "123456789012", "Passw0rd!Passw0rd!"])
def test_common_passwords_are_refused_whatever_their_length(world, password) -> None:
    before = world.employee.password_hash
    with pytest.raises(Invalid) as refused:
        services.set_password(world.employee.email, password, actor=system_user())
    assert refused.value.code == "password_weak"
    assert world.employee.password_hash == before


def test_a_password_made_of_ones_own_name_and_address_is_refused(world) -> None:
    user = make_user(Role.EMPLOYEE, email="kari.nordmann@gran.kommune.example", name="Kari Nordmann")
    with pytest.raises(Invalid) as refused:
        services.set_password(user.email, "karinordmann2024", actor=system_user())
    assert refused.value.code == "password_weak"


def test_no_composition_rules_a_long_lowercase_phrase_is_fine(world) -> None:
    user = services.set_password(world.agent.email, "kaffe er best om morgenen", actor=system_user())
    assert user.password_hash.startswith("$argon2")
    assert services.authenticate(world.agent.email, "kaffe er best om morgenen") == user


def test_the_refusal_is_in_norwegian(world, client) -> None:
    from flask_babel import force_locale

    with pytest.raises(Invalid) as refused, force_locale("nb"):
        services.set_password(world.employee.email, "passord1234", actor=system_user())
    with force_locale("nb"):
        assert str(refused.value.message).startswith("Dette passordet er for vanlig")
