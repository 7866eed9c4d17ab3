"""The business system (fagsystem) on the pages: the new-case form saves it and suggests the
systems the municipality's cases, the roster and the courses know; the case page shows it, lets
the agent change it (history shows the change), and shows the go-to colleagues for that system."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.tickets import queries
from app.tickets.models import EventKind, Ticket
from app.training import services as training
from tests import factories
from tests.conftest import World
from tests.web.test_views import _events


def _datalist(page: str) -> str:
    start = page.index('<datalist id="known-systems">')
    return page[start:page.index("</datalist>", start)]


def test_the_new_case_form_saves_the_system(as_user: Any, world: World) -> None:
    browser = as_user(world.employee)

    response = browser.submit("/saker/ny", "/saker/ny", {
        "subject": "Rapporten er tom", "body": "Den viser ingenting.", "priority": "normal",
        "system": "  Elements ",
    })

    assert response.status_code == 302
    ticket = db.session.scalars(sa.select(Ticket)).one()
    assert ticket.system == "Elements"
    assert "<dt>Fagsystem</dt><dd>Elements</dd>" in browser.get(response.headers["Location"]).text


def test_a_too_long_system_on_the_form_is_shown_next_to_the_field(as_user: Any, world: World) -> None:
    response = as_user(world.employee).submit("/saker/ny", "/saker/ny", {
        "subject": "Hei", "body": "Hjelp", "priority": "normal", "system": "x" * 81,
    })

    assert response.status_code == 400
    assert 'id="system-error"' in response.text and "Fagsystemet kan være på høyst 80 tegn." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_the_form_suggests_systems_of_the_municipalitys_cases_the_roster_and_courses(as_user: Any, world: World) -> None:
    from tests.training.helpers import make_course

    factories.make_ticket(world.employee2, system="Gerica")
    factories.make_ticket(world.lun_employee, system="Lunnersystemet")
    training.add_to_roster(system="Elements", email=world.employee2.email, actor=world.manager)
    make_course(world.trainer, systems=["Teams", "elements"])

    page = as_user(world.employee).get("/saker/ny").text

    options = _datalist(page)
    assert [s for s in ("Gerica", "Elements", "Teams") if f'value="{s}"' in options] == ["Gerica", "Elements", "Teams"]
    assert "Lunnersystemet" not in options and 'value="elements"' not in options
    assert 'list="known-systems"' in page


def test_the_new_case_page_shows_the_go_to_colleagues_for_system_in_the_link(as_user: Any, world: World) -> None:
    training.add_to_roster(system="Elements", unit="Arkiv", email=world.employee2.email, actor=world.manager)
    training.add_to_roster(system="Visma", email=world.agent.email, actor=world.manager)

    chosen = as_user(world.employee).get("/saker/ny?system=elements").text
    plain = as_user(world.employee).get("/saker/ny").text

    box = chosen[chosen.index('id="system-roster"'):chosen.index("</section>", chosen.index('id="system-roster"'))]
    assert "Superbrukere for" in box and world.employee2.email in box and world.agent.email not in box
    assert 'value="elements"' in chosen  # the field is filled from the link
    plain_box = plain[plain.index('id="system-roster"'):plain.index("</section>", plain.index('id="system-roster"'))]
    assert "hidden" in plain_box.split(">")[0] and world.employee2.email not in plain_box
    assert "<details" in plain and "<details class=\"ds-details sd-section\" open" not in plain  # whole roster, closed
    assert world.employee2.email in plain and world.agent.email in plain


def test_the_agent_changes_the_system_on_the_case_page_and_history_shows_it(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee, system="Visma")
    browser = as_user(world.agent)
    case = f"/saker/{ticket.ref}"

    response = browser.submit(case, f"{case}/fagsystem", {"system-system": "Elements"}, prefix="system")

    assert response.status_code == 302
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).system == "Elements"  # type: ignore[union-attr]
    assert _events(ticket.id)[-1] is EventKind.SYSTEM_CHANGED
    page = browser.get(case).text
    assert "Fagsystem endret" in page and "Visma → Elements" in page and "Endre fagsystem" in page
    browser.submit(case, f"{case}/fagsystem", {"system-system": ""}, prefix="system")
    assert "Elements → –" in browser.get(case).text  # removing it shows what was removed


def test_a_refused_system_change_shows_the_error_next_to_the_field(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee, system="Visma")
    case = f"/saker/{ticket.ref}"

    response = as_user(world.agent).submit(case, f"{case}/fagsystem", {"system-system": "x" * 81}, prefix="system")

    assert response.status_code == 400 and "Fagsystemet kan være på høyst 80 tegn." in response.text
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).system == "Visma"  # type: ignore[union-attr]


def test_the_requester_sees_the_system_but_no_form_and_outsiders_get_404(as_user: Any, world: World) -> None:
    ticket = factories.make_ticket(world.employee, system="Visma")

    own = as_user(world.employee).get(f"/saker/{ticket.ref}").text
    outsider = as_user(world.lun_agent).submit("/saker/ny", f"/saker/{ticket.ref}/fagsystem",
                                               {"system-system": "X"}, prefix="system")

    assert "Visma" in own and "Endre fagsystem" not in own
    assert outsider.status_code == 404
    db.session.expire_all()
    assert queries.get_by_ref(ticket.ref).system == "Visma"  # type: ignore[union-attr]


def test_the_case_page_shows_go_to_colleagues_for_the_cases_system_not_the_subjects(as_user: Any, world: World) -> None:
    training.add_to_roster(system="Elements", email=world.employee2.email, actor=world.manager)
    training.add_to_roster(system="Visma", email=world.agent2.email, actor=world.manager)
    ticket = factories.make_ticket(world.employee, subject="Visma-lønn vises feil i Elements", system="elements")

    page = as_user(world.agent).get(f"/saker/{ticket.ref}").text

    box = page[page.index('id="case-roster-heading"'):]
    box = box[:box.index("</section>")]
    assert "Superbrukere: elements" in box and world.employee2.display_name in box
    assert world.agent2.display_name not in box
    assert '<input type="hidden" name="system" value="elements">' in page


def test_a_case_without_system_falls_back_to_the_subject(as_user: Any, world: World) -> None:
    training.add_to_roster(system="Visma", email=world.agent2.email, actor=world.manager)
    ticket = factories.make_ticket(world.employee, subject="Visma-lønn vises feil")

    page = as_user(world.agent).get(f"/saker/{ticket.ref}").text

    assert "Superbrukere: Visma" in page


def test_resolving_with_nabohjelp_records_the_cases_system(as_user: Any, world: World) -> None:
    from app.training.models import NeighbourHelp

    ticket = factories.make_ticket(world.employee, subject="Rapport", system="Elements")
    case = f"/saker/{ticket.ref}"

    as_user(world.agent).submit(case, f"{case}/nabohjelp", {"helper": world.employee2.email, "minutes": "10"})

    assert db.session.scalars(sa.select(NeighbourHelp)).one().system == "Elements"
