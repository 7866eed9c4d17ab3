"""Super-users and the articles tagged with their systems (ADR 0097): which systems they answer
for lives on training's super-user roster only; they see and edit those articles in every
status (drafts too) on the pages, in the list, in search on both backends and in the API, and
nothing more; leaving the roster takes it all away, the Whoosh backend's cache included."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts.models import Role, User
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.knowledge import policy, queries, services
from app.knowledge.models import Article, ArticleRevision, ArticleStatus
from app.training import queries as training_queries
from app.training import services as training
from tests.factories import make_user
from tests.knowledge.conftest import make_article


def _expert(world, *systems: str) -> User:  # type: ignore[no-untyped-def]
    expert = make_user(Role.SUPER_USER, "GRA", roles=[Role.SUPER_USER, Role.EMPLOYEE])
    for system in systems:
        training.add_to_roster(system=system, email=expert.email, actor=world.admin)
    return expert


def _revision_count(article_id: int) -> int:
    return int(db.session.scalar(
        sa.select(sa.func.count()).select_from(ArticleRevision).where(ArticleRevision.article_id == article_id)
    ) or 0)


@pytest.fixture
def drafts(world):  # type: ignore[no-untyped-def]
    """A draft for each of two systems, an archived and a staff-only article of Visma, a
    staff-only one of no system, and a published one for everyone: all about "lønnsslipp"."""
    agent = world.agent
    found = {
        "visma": make_article(agent, "Visma lønnsslipp utkast", "Lønnsslippen finner du i Visma.",
                              systems=["Visma"], category="systems", status="draft"),
        "gerica": make_article(agent, "Gerica lønnsslipp utkast", "Lønnsslippen i Gerica.",
                               systems=["gerica"], category="other", status="draft"),
        "archived": make_article(agent, "Gammel Visma lønnsslipp", "Lønnsslippen før 2020.",
                                 systems=["visma"], category="systems"),
        "staff": make_article(agent, "Visma lønnsslipp for saksbehandlere", "Lønnsslippen, intern rutine.",
                              systems=["visma"], category="account", audience="agents"),
        "staff_other": make_article(agent, "Intern lønnsslipp-rutine", "Lønnsslippen, hemmelig.",
                                    category="account", audience="agents"),
        "published": make_article(agent, "Lønnsslipp på nett", "Lønnsslippen kommer i portalen.",
                                  category="account"),
        "lunner": make_article(world.lun_agent, "Visma lønnsslipp i Lunner", "Lønnsslippen i Lunner.",
                               systems=["visma"], category="systems", status="draft", scope="LUN"),
    }
    services.archive(found["archived"].id, actor=agent)
    return found


def test_super_user_sees_and_edits_a_draft_of_their_system_but_not_of_another(world, drafts) -> None:
    expert = _expert(world, "VISMA")
    visma, gerica = drafts["visma"], drafts["gerica"]

    assert queries.get_visible(visma.id, expert).id == visma.id
    services.edit_article(visma.id, body="Lønnsslippen finner du under Min side i Visma.", actor=expert)
    with pytest.raises(NotFound):
        queries.get_visible(gerica.id, expert)
    with pytest.raises(NotFound):
        services.edit_article(gerica.id, body="Endret", actor=expert)

    db.session.expire_all()
    assert queries.get_by_id(visma.id).body == "Lønnsslippen finner du under Min side i Visma."
    assert queries.get_by_id(visma.id).revision_number == 2 and _revision_count(visma.id) == 2
    assert queries.get_by_id(gerica.id).body == "Lønnsslippen i Gerica." and _revision_count(gerica.id) == 1


def test_super_user_sees_staff_and_archived_articles_of_their_system_only_in_their_scope(world, drafts) -> None:
    expert = _expert(world, "visma")

    listed = {a.title for a in queries.list_articles(expert, limit=50).items}

    assert listed == {"Visma lønnsslipp utkast", "Gammel Visma lønnsslipp", "Visma lønnsslipp for saksbehandlere",
                      "Lønnsslipp på nett"}
    employee = {a.title for a in queries.list_articles(world.employee, limit=50).items}
    assert employee == {"Lønnsslipp på nett"}


def test_super_user_may_not_publish_archive_or_restore(world, drafts) -> None:
    expert = _expert(world, "visma")
    visma = drafts["visma"]

    for attempt in (
        lambda: services.publish(visma.id, actor=expert),
        lambda: services.archive(visma.id, actor=expert),
        lambda: services.restore(visma.id, 1, actor=expert),
        lambda: services.edit_article(visma.id, status="published", actor=expert),
        lambda: services.edit_article(visma.id, audience="agents", actor=expert),
    ):
        with pytest.raises(Forbidden):
            attempt()
    db.session.expire_all()
    assert queries.get_by_id(visma.id).status is ArticleStatus.DRAFT and _revision_count(visma.id) == 1


def test_search_totals_and_facets_count_exactly_what_the_super_user_may_see(world, backend, drafts) -> None:
    expert = _expert(world, "visma")

    page = services.search_articles("lønnsslippen", actor=expert, limit=2)

    assert page.total == 4 and len(page.items) == 2
    assert page.facets == {"systems": 2, "account": 2}
    everything = services.search_articles("lønnsslippen", actor=expert, limit=20)
    assert {i.article.title for i in everything.items} == {
        "Visma lønnsslipp utkast", "Gammel Visma lønnsslipp", "Visma lønnsslipp for saksbehandlere",
        "Lønnsslipp på nett"}
    # Suggestions (published only) and links for employees stay as narrow as for anyone.
    suggested = services.search_articles("lønnsslippen", actor=expert, published_only=True, log_miss=False)
    assert {i.article.title for i in suggested.items} == {"Visma lønnsslipp for saksbehandlere", "Lønnsslipp på nett"}
    # A word only in a hidden article is neither found nor suggested.
    hidden = services.search_articles("hemmelig", actor=expert)
    assert (hidden.total, hidden.items, hidden.facets, hidden.suggestion) == (0, [], {}, None)


def test_leaving_the_roster_takes_the_access_away_in_search_too(world, backend, drafts) -> None:
    expert = _expert(world, "visma")
    assert services.search_articles("lønnsslippen", actor=expert).total == 4  # fills Whoosh's cache
    other = _expert(world, "visma")
    assert services.search_articles("lønnsslippen", actor=other).total == 4

    for entry in training_queries.roster_of(expert.id):
        training.remove_from_roster(entry.id, actor=world.admin)

    page = services.search_articles("lønnsslippen", actor=expert, limit=20)
    assert (page.total, page.facets) == (1, {"account": 1})
    assert [i.article.title for i in page.items] == ["Lønnsslipp på nett"]
    with pytest.raises(NotFound):
        queries.get_visible(drafts["visma"].id, expert)
    with pytest.raises(NotFound):
        services.edit_article(drafts["visma"].id, body="Endret", actor=expert)
    # Another super-user of the same system keeps theirs.
    assert services.search_articles("lønnsslippen", actor=other).total == 4


def test_a_new_tag_or_roster_entry_is_found_at_once(world, backend, drafts) -> None:
    expert = _expert(world, "visma")
    assert services.search_articles("lønnsslippen", actor=expert).total == 4

    services.edit_article(drafts["gerica"].id, systems=["gerica", "visma"], actor=world.agent)
    assert services.search_articles("lønnsslippen", actor=expert).total == 5
    training.set_roster_systems(expert.email, ["Gerica"], actor=world.admin)
    found = services.search_articles("lønnsslippen", actor=expert, limit=20)
    assert {i.article.title for i in found.items} == {"Gerica lønnsslipp utkast", "Lønnsslipp på nett"}


def test_search_and_sql_and_can_see_are_one_rule(world, backend, drafts) -> None:
    """For every kind of reader, the search finds exactly what visible_to selects and what
    can_see allows, article by article."""
    expert = _expert(world, "visma", "gerica")
    articles = list(db.session.scalars(sa.select(Article)))
    for user in (expert, _expert(world), world.employee, world.lun_employee, world.agent, world.lun_agent,
                 world.second, world.admin):
        by_sql = set(db.session.scalars(sa.select(Article.title).where(policy.visible_to(user))))
        by_python = {a.title for a in articles if policy.can_see(user, a)}
        page = services.search_articles("lønnsslippen", actor=user, limit=50, log_miss=False)
        assert by_sql == by_python == {i.article.title for i in page.items}, user.email
        assert page.total == len(by_sql)


def test_super_user_reads_and_edits_a_draft_through_the_pages(as_user, world, drafts) -> None:
    expert = _expert(world, "visma")
    visma, gerica = drafts["visma"], drafts["gerica"]
    browser = as_user(expert)

    page = browser.get(f"/brukerhjelp/{visma.id}")
    assert page.status_code == 200 and "Utkast" in page.text and f"/brukerhjelp/{visma.id}/rediger" in page.text
    assert "Visma lønnsslipp utkast" in browser.get("/brukerhjelp").text
    assert "Visma lønnsslipp utkast" in browser.get("/brukerhjelp?q=l%C3%B8nnsslippen").text
    path = f"/brukerhjelp/{visma.id}/rediger"
    form = {"title": visma.title, "body": "Ny tekst fra superbrukeren.", "category": "systems", "tags": "",
            "systems": "visma", "audience": "employees", "scope": "", "language": "nb", "status": "draft"}
    assert browser.submit(path, path, form).status_code == 302
    for suffix in ("", "/rediger", "/historikk"):
        assert browser.get(f"/brukerhjelp/{gerica.id}{suffix}").status_code == 404
    assert "Gerica lønnsslipp utkast" not in browser.get("/brukerhjelp?q=l%C3%B8nnsslippen").text
    db.session.expire_all()
    assert queries.get_by_id(visma.id).body == "Ny tekst fra superbrukeren."
    assert queries.get_by_id(visma.id).status is ArticleStatus.DRAFT


def test_super_user_reads_patches_and_searches_through_the_api(api, world, drafts) -> None:
    expert = _expert(world, "visma")
    visma, gerica = drafts["visma"], drafts["gerica"]
    caller = api.as_(expert)

    assert caller.get(f"/api/v1/articles/{visma.id}").json["status"] == "draft"
    patched = caller.patch(f"/api/v1/articles/{visma.id}", json={"body": "Bedre tekst.", "note": "Superbruker"})
    assert patched.status_code == 200 and patched.json["revision"] == 2
    revisions = caller.get(f"/api/v1/articles/{visma.id}/revisions").json["items"]
    assert [r["number"] for r in revisions] == [2, 1] and revisions[0]["note"] == "Superbruker"
    publish = caller.patch(f"/api/v1/articles/{visma.id}", json={"status": "published"})
    assert publish.status_code == 403

    for suffix in ("", "/revisions"):
        hidden = caller.get(f"/api/v1/articles/{gerica.id}{suffix}")
        missing = caller.get(f"/api/v1/articles/999999{suffix}")
        assert hidden.status_code == missing.status_code == 404 and hidden.json == missing.json
    assert caller.patch(f"/api/v1/articles/{gerica.id}", json={"body": "x"}).status_code == 404

    found = caller.get("/api/v1/articles/search", query_string={"q": "lønnsslippen", "limit": 1}).json
    assert found["total"] == 4 and len(found["items"]) == 1
    db.session.expire_all()
    assert queries.get_by_id(gerica.id).revision_number == 1


def test_roster_command_sets_exactly_the_named_systems(runner, world) -> None:
    from flask import g

    for name in list(vars(g)):  # an API or page test's user, left in the session-wide app context
        delattr(g, name)
    expert = _expert(world, "Elements")
    training.add_to_roster(system="Visma", unit="Skole", email=expert.email, actor=world.admin)

    result = runner.invoke(args=["training", "roster", expert.email, "visma", "Gerica"])

    assert result.exit_code == 0 and result.stdout.strip() == "visma, gerica"
    entries = {(e.system, e.unit) for e in training_queries.roster_of(expert.id)}
    assert entries == {("Visma", "Skole"), ("Gerica", "")}  # Elements left; Visma kept with its unit
    cleared = runner.invoke(args=["training", "roster", expert.email])
    assert cleared.exit_code == 0 and training_queries.systems_of(expert.id) == frozenset()
    bad = runner.invoke(args=["training", "roster", "nobody@example.invalid", "x"])
    assert bad.exit_code == 1 and "error:" in bad.stderr
