"""The help pages through the test client with CSRF on: search, read, vote, "this solved the
problem", the editor with history and restore, and self-service on the new-case page."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.knowledge import queries
from app.knowledge.models import Article, ArticleVote, Deflection
from app.tickets import services as tickets
from app.tickets.models import Ticket
from tests.factories import make_ticket
from tests.knowledge.conftest import make_article
from tests.web.conftest import csrf


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_employee_searches_and_sees_highlighted_results_in_norwegian(as_user, world) -> None:
    make_article(world.agent, "Skriveren skriver ikke", "Slå skriveren av og på igjen.")
    make_article(world.agent, "Intern: skriverdrivere", "Bare for IKT.", audience="agents")
    page = as_user(world.employee).get("/brukerhjelp?q=skriveren")

    assert page.status_code == 200
    assert "Artikler funnet: 1" in page.text
    assert "<mark>skriveren</mark>" in page.text
    assert "Intern: skriverdrivere" not in page.text


def test_english_page_speaks_english(as_user, world) -> None:
    page = as_user(world.employee).get("/brukerhjelp?lang=en")
    assert "Help pages" in page.text and "Search the help pages" in page.text


def test_reader_votes_once_per_revision(as_user, world) -> None:
    article = make_article(world.agent)
    reader = as_user(world.employee)
    path = f"/brukerhjelp/{article.id}"

    first = reader.submit(path, f"{path}/stemme", {"helpful": "yes"})
    second = reader.submit(path, f"{path}/stemme", {"helpful": "no"})

    assert first.status_code == second.status_code == 302
    assert _count(ArticleVote) == 1
    assert queries.vote_counts(article) == (0, 1)
    assert "0 syntes dette var nyttig, 1 gjorde ikke det." in reader.get(path).text


def test_this_solved_the_problem_files_no_case_and_counts_a_deflection(as_user, world) -> None:
    article = make_article(world.agent)
    reader = as_user(world.employee)

    response = reader.submit(f"/brukerhjelp/{article.id}?fra=ny", "/brukerhjelp/lost", {"article_id": article.id})

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _count(Ticket) == 0
    row = db.session.scalars(sa.select(Deflection)).one()
    assert (row.article_id, row.municipality_id) == (article.id, world.employee.municipality_id)


def test_new_case_page_offers_search_first_and_suggestions(as_user, world) -> None:
    make_article(world.agent, "Bytte passord", "Slik bytter du passordet.", category="account")
    reader = as_user(world.employee)

    page = reader.get("/saker/ny?emne=Glemt+passordet")
    assert 'action="/brukerhjelp"' in page.text and 'name="fra" value="ny"' in page.text
    assert 'id="kb-suggestions"' in page.text and "knowledge.js" in page.text
    assert 'value="Glemt passordet"' in page.text

    data = reader.get("/brukerhjelp/forslag?q=glemt+passordet").json
    assert [i["title"] for i in data["items"]] == ["Bytte passord"]
    assert "<mark>passordet</mark>" in data["items"][0]["snippet"]

    found = reader.get("/brukerhjelp?q=passordet&fra=ny")
    assert "Gå videre og meld saken" in found.text and "emne=passordet" in found.text


def test_agent_writes_edits_and_restores_through_the_pages(as_user, world) -> None:
    agent = as_user(world.agent)
    form = {"title": "VPN hjemme", "body": "Start klienten.", "category": "remote", "tags": "vpn, hjemmekontor",
            "systems": "", "audience": "employees", "scope": "", "language": "nb", "status": "published"}

    created = agent.submit("/brukerhjelp/ny", "/brukerhjelp/ny", form)
    assert created.status_code == 302
    article = db.session.scalars(sa.select(Article)).one()
    assert article.tags == ["vpn", "hjemmekontor"]

    path = f"/brukerhjelp/{article.id}/rediger"
    edited = agent.submit(path, path, {**form, "body": "Start klienten og logg inn.", "note": "Mer presist"})
    assert edited.status_code == 302
    history = agent.get(path).text
    assert "Mer presist" in history and "Start klienten og logg inn." in history

    restored = agent.submit(f"/brukerhjelp/{article.id}/historikk", f"/brukerhjelp/{article.id}/gjenopprett/1", {})
    assert restored.status_code == 302
    db.session.expire_all()
    assert db.session.get(Article, article.id).body == "Start klienten."


def test_bad_article_form_names_the_field_and_saves_nothing(as_user, world) -> None:
    agent = as_user(world.agent)
    response = agent.submit("/brukerhjelp/ny", "/brukerhjelp/ny", {"title": "", "body": "x", "category": "remote",
                            "audience": "employees", "scope": "", "language": "nb", "status": "draft"})
    assert response.status_code == 400 and "Skriv en tittel." in response.text
    assert _count(Article) == 0


def test_employee_cannot_open_the_editor_or_the_misses(as_user, world) -> None:
    article = make_article(world.agent)
    reader = as_user(world.employee)
    assert reader.get("/brukerhjelp/ny").status_code == 403
    assert reader.get(f"/brukerhjelp/{article.id}/rediger").status_code == 403
    assert reader.get("/brukerhjelp/uten-treff").status_code == 403


def test_hidden_article_page_is_404_like_a_missing_one(as_user, world) -> None:
    draft = make_article(world.agent, status="draft")
    reader = as_user(world.employee)
    for suffix in ("", "/historikk"):
        assert reader.get(f"/brukerhjelp/{draft.id}{suffix}").status_code == 404
        assert reader.get(f"/brukerhjelp/99999{suffix}").status_code == 404


def test_editors_see_searches_without_results(as_user, world) -> None:
    as_user(world.employee).get("/brukerhjelp?q=gerica+fravaer")
    page = as_user(world.agent).get("/brukerhjelp/uten-treff")
    assert page.status_code == 200 and "gerica fravaer" in page.text


def test_agent_turns_a_solved_case_into_a_draft_from_the_case_page(as_user, world) -> None:
    ticket = make_ticket(world.employee, subject="Teams henger", body="Teams henger ved oppstart.")
    tickets.reply(ticket.ref, body="Tøm Teams-hurtigbufferen og start på nytt.", actor=world.agent)
    tickets.set_status(ticket.ref, "resolved", actor=world.agent)
    agent = as_user(world.agent)

    page = agent.get(f"/saker/{ticket.ref}")
    assert "Lag en artikkel i brukerhjelpen av denne saken" in page.text
    assert 'id="kb-link-picker"' in page.text
    response = agent.client.post(f"/saker/{ticket.ref}/artikkel", data={"csrf_token": csrf(page.text)})

    assert response.status_code == 302
    article = db.session.scalars(sa.select(Article)).one()
    assert article.status.value == "draft" and "hurtigbufferen" in article.body


def test_confirmation_mail_for_an_emailed_case_lists_matching_articles(world) -> None:
    from app.outbox.models import OutboxMessage

    make_article(world.agent, "Outlook starter ikke", "Start Outlook i sikker modus.", category="email")
    make_ticket(world.employee, subject="Outlook starter ikke", body="Hjelp", channel="email", actor=world.employee)

    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    assert "Outlook starter ikke: http://127.0.0.1:5000/brukerhjelp/" in mail.body_text


def test_editors_see_deflections_per_municipality_and_day(as_user, world) -> None:
    from app.knowledge import services

    services.record_deflection(actor=world.employee)
    page = as_user(world.agent).get("/brukerhjelp/uten-treff")
    assert "Løst uten sak, siste 30 dager" in page.text and "<td>Gran</td><td>1</td>" in page.text


def test_cli_sets_super_user_systems_on_the_roster_and_lists_deflections(runner, world) -> None:
    from app.knowledge import services
    from app.training import queries as training

    result = runner.invoke(args=["knowledge", "systems", world.trainer.email, "Visma", "gerica"])
    assert result.exit_code == 0 and result.stdout.strip() == "visma, gerica"
    assert "deprecated" in result.stderr
    assert training.systems_of(world.trainer.id) == {"visma", "gerica"}
    services.record_deflection(actor=world.employee)
    listing = runner.invoke(args=["knowledge", "deflections"])
    assert listing.exit_code == 0 and "\tGRA\t1" in listing.output
    bad = runner.invoke(args=["knowledge", "systems", "nobody@example.invalid", "x"])
    assert bad.exit_code == 1


def test_editors_read_the_searches_without_results_under_a_plain_title(as_user, world) -> None:
    from app.knowledge import services

    services.search_articles("fargeskriver-i-kantina", actor=world.employee)
    page = as_user(world.agent).get("/brukerhjelp/uten-treff")
    assert page.status_code == 200
    title = page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title == "Søk uten treff – Samdesk"
    assert "fargeskriver-i-kantina" in page.text and page.text.count("<h2") == 1
