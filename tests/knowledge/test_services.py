"""Use cases of the knowledge base: revisions and restore, who edits, votes, deflections,
searches that found nothing, and a solved case turned into a draft."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.knowledge import queries, services
from app.knowledge.models import ArticleRevision, ArticleStatus, ArticleVote, Deflection, SearchMiss
from app.knowledge.render import to_html
from app.tickets import services as tickets
from app.training import services as training
from tests.factories import make_ticket, make_user
from tests.knowledge.conftest import make_article


def _revisions(article_id: int) -> list[ArticleRevision]:
    return list(db.session.scalars(
        sa.select(ArticleRevision).where(ArticleRevision.article_id == article_id).order_by(ArticleRevision.number)
    ))


def test_every_edit_is_a_revision_with_who_and_a_readable_diff(world) -> None:
    article = make_article(world.agent, "VPN", "Linje en\nLinje to\n")

    services.edit_article(article.id, body="Linje en\nLinje tre\n", actor=world.second, note="Rettet")

    revs = _revisions(article.id)
    assert [(r.number, r.author_id) for r in revs] == [(1, world.agent.id), (2, world.second.id)]
    newest = queries.history(article)[0]
    assert newest.revision.note == "Rettet"
    assert ("-", "Linje to") in newest.lines and ("+", "Linje tre") in newest.lines
    assert newest.changed == []


def test_saving_without_changes_makes_no_revision(world) -> None:
    article = make_article(world.agent)
    services.edit_article(article.id, title=article.title, body=article.body, actor=world.agent)
    assert len(_revisions(article.id)) == 1


def test_restore_brings_back_an_old_revision_as_a_new_one(world) -> None:
    article = make_article(world.agent, "Gammel tittel", "Gammel tekst")
    services.edit_article(article.id, title="Ny tittel", body="Ny tekst", actor=world.agent)

    restored = services.restore(article.id, 1, actor=world.agent)

    assert (restored.title, restored.body, restored.revision_number) == ("Gammel tittel", "Gammel tekst", 3)
    newest = _revisions(article.id)[-1]
    assert newest.restored_from == 1 and newest.number == 3


def test_super_user_edits_articles_tagged_with_their_systems_only(world) -> None:
    expert = make_user(Role.SUPER_USER, "GRA", roles=[Role.SUPER_USER, Role.EMPLOYEE])
    training.add_to_roster(system="Visma", email=expert.email, actor=world.admin)
    visma = make_article(world.agent, "Visma-lønn", "Tekst", systems=["visma"], category="systems")
    other = make_article(world.agent, "Gerica", "Tekst", systems=["gerica"], category="systems")

    services.edit_article(visma.id, body="Bedre tekst", actor=expert)
    with pytest.raises(Forbidden):
        services.edit_article(other.id, body="Bedre tekst", actor=expert)
    with pytest.raises(Forbidden):
        services.edit_article(visma.id, status="archived", actor=expert)
    with pytest.raises(Forbidden):
        services.create_article(title="x", body="y", category="other", actor=expert)
    db.session.expire_all()
    assert queries.get_by_id(visma.id).body == "Bedre tekst"
    assert queries.get_by_id(other.id).body == "Tekst"


def test_first_line_agent_cannot_write_for_another_municipality(world) -> None:
    with pytest.raises(Forbidden):
        make_article(world.agent, scope="LUN")
    assert make_article(world.second, scope="LUN").scope == "LUN"


def test_draft_and_archived_are_hidden_from_employees(world) -> None:
    article = make_article(world.agent, status="draft")
    with pytest.raises(NotFound):
        queries.get_visible(article.id, world.employee)
    services.publish(article.id, actor=world.agent)
    assert queries.get_visible(article.id, world.employee).status is ArticleStatus.PUBLISHED
    services.archive(article.id, actor=world.agent)
    with pytest.raises(NotFound):
        queries.get_visible(article.id, world.employee)
    assert queries.get_visible(article.id, world.agent).status is ArticleStatus.ARCHIVED


def test_markdown_is_rendered_and_sanitised(world) -> None:
    html = str(to_html("# Hei\n\n<script>alert(1)</script>\n\n[lenke](javascript:alert(1)) **fet**"))
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html
    assert "<strong>fet</strong>" in html


def test_one_vote_per_reader_per_revision(world) -> None:
    article = make_article(world.agent)
    services.vote(article.id, helpful=True, actor=world.employee)
    services.vote(article.id, helpful=False, actor=world.employee)
    services.vote(article.id, helpful=True, actor=world.employee2)
    assert queries.vote_counts(article) == (1, 1)

    services.edit_article(article.id, body="Ny tekst", actor=world.agent)
    assert queries.vote_counts(queries.get_by_id(article.id)) == (0, 0)
    services.vote(article.id, helpful=True, actor=world.employee)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ArticleVote)) == 3


def test_deflections_are_counted_per_municipality_and_oslo_day(world) -> None:
    article = make_article(world.agent)
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # already 2 March in Oslo
    services.record_deflection(actor=world.employee, article_id=article.id, now=late)
    services.record_deflection(actor=world.employee2, now=late)
    services.record_deflection(actor=world.lun_employee, now=late)

    rows = queries.deflections_per_day(date(2026, 3, 1))
    gran, lunner = world.employee.municipality_id, world.lun_employee.municipality_id
    assert sorted(rows, key=lambda r: r[1] or 0) == sorted(
        [(date(2026, 3, 2), gran, 2), (date(2026, 3, 2), lunner, 1)], key=lambda r: r[1] or 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deflection)) == 3


def test_searches_without_results_are_logged_without_who(world) -> None:
    make_article(world.agent)
    services.search_articles("skriveren", actor=world.employee)
    services.search_articles("Gerica fravær", actor=world.employee)
    services.search_articles("gerica fravær", actor=world.lun_employee)

    assert [(q, n) for q, n, _last in queries.search_misses()] == [("gerica fravær", 2)]
    assert set(SearchMiss.__table__.columns.keys()) == {"id", "query", "language", "created_at"}


def test_solved_case_becomes_a_draft_without_names_emails_or_phones(world) -> None:
    ticket = make_ticket(world.employee, subject="Outlook krasjer for Anne",
                         body="Hei, jeg heter Anne Ansatt, ring meg på 912 34 567 eller anne@gran.kommune.example.")
    tickets.claim(ticket.ref, actor=world.agent)
    tickets.reply(ticket.ref, body="Hei Anne! Start Outlook i sikker modus: outlook.exe /safe. Hilsen Frida Førstelinje",
                  actor=world.agent)
    tickets.set_status(ticket.ref, "resolved", actor=world.agent)

    article = services.draft_from_ticket(ticket.ref, actor=world.agent)

    assert article.status is ArticleStatus.DRAFT and article.scope == "GRA"
    text = article.title + article.body
    for secret in ("Anne", "912 34 567", "anne@gran", "Frida", "Førstelinje"):
        assert secret not in text
    assert "outlook.exe /safe" in article.body and "[navn]" in article.body


def test_open_case_cannot_become_an_article(world) -> None:
    ticket = make_ticket(world.employee)
    with pytest.raises(Invalid):
        services.draft_from_ticket(ticket.ref, actor=world.agent)
    with pytest.raises(NotFound):
        services.draft_from_ticket(ticket.ref, actor=world.lun_agent)


def test_demo_load_brings_twenty_norwegian_starter_articles_once(runner, backend) -> None:
    from app.knowledge.models import Article

    first = runner.invoke(args=["demo", "load"])
    second = runner.invoke(args=["demo", "load"])

    assert first.exit_code == second.exit_code == 0, first.output
    assert "0 help articles created" in second.output
    languages = list(db.session.scalars(sa.select(Article.language)))
    assert sum(1 for lang in languages if lang.value == "nb") >= 20
    assert any(lang.value == "en" for lang in languages)
    from app.accounts import queries as accounts

    reader = accounts.user_by_email("ansatt@lunner.kommune.example")
    titles = [i.article.title for i in services.search_articles("skriveren", actor=reader).items]
    assert "Skriveren skriver ikke ut" in titles
    assert "Gran rådhus: skrivere og møterom" not in titles  # Gran only
