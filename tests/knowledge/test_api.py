"""The knowledge-base API in the shape the issue fixes."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.knowledge.models import Article, ArticleRevision
from tests.knowledge.conftest import make_article

NEW = {
    "title": "Skriveren i 2. etasje", "body": "Velg **Skriver-2** i listen.", "category": "printing",
    "tags": ["skriver", "utskrift"], "audience": "employees", "scope": None, "language": "nb",
    "status": "published",
}


def test_agent_creates_an_article_and_gets_it_back_with_its_id(api, world) -> None:
    response = api.as_(world.agent).post("/api/v1/articles", json=NEW)

    assert response.status_code == 201, response.json
    body = response.json
    assert isinstance(body["id"], int)
    assert body["title"] == NEW["title"] and body["tags"] == ["skriver", "utskrift"]
    assert body["status"] == "published" and body["scope"] is None and body["revision"] == 1
    assert "<strong>Skriver-2</strong>" in body["body_html"]
    got = api.as_(world.employee).get(f"/api/v1/articles/{body['id']}")
    assert got.status_code == 200 and got.json["title"] == NEW["title"]


def test_employee_may_not_create_an_article(api, world) -> None:
    response = api.as_(world.employee).post("/api/v1/articles", json=NEW)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_bad_field_answers_400_naming_the_field(api, world) -> None:
    for field, value in (("category", "nope"), ("audience", "everyone"), ("title", ""), ("scope", "XYZ")):
        response = api.as_(world.agent).post("/api/v1/articles", json={**NEW, field: value})
        assert response.status_code == 400, (field, response.json)
        assert response.json["error"]["field"] == field
    missing = api.as_(world.agent).post("/api/v1/articles", json={k: v for k, v in NEW.items() if k != "body"})
    assert missing.status_code == 400 and missing.json["error"]["field"] == "body"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_patch_makes_a_new_revision_and_the_list_shows_both(api, world) -> None:
    created = api.as_(world.agent).post("/api/v1/articles", json=NEW).json

    patched = api.as_(world.agent).patch(f"/api/v1/articles/{created['id']}",
                                         json={"body": "Velg Skriver-3.", "note": "Ny skriver"})

    assert patched.status_code == 200 and patched.json["revision"] == 2
    revisions = api.as_(world.agent).get(f"/api/v1/articles/{created['id']}/revisions").json["items"]
    assert [r["number"] for r in revisions] == [2, 1]
    assert revisions[0]["body"] == "Velg Skriver-3." and revisions[0]["note"] == "Ny skriver"
    assert revisions[1]["body"] == NEW["body"]


def test_employee_patch_is_refused_and_changes_nothing(api, world) -> None:
    article = make_article(world.agent)

    response = api.as_(world.employee).patch(f"/api/v1/articles/{article.id}", json={"title": "Hacket"})

    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Article, article.id).title == "Skriveren skriver ikke"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ArticleRevision)) == 1


def test_hidden_article_answers_exactly_like_a_missing_one(api, world) -> None:
    draft = make_article(world.agent, status="draft")
    staff_only = make_article(world.agent, audience="agents")
    gran_only = make_article(world.agent, scope="GRA")
    cases = [(world.employee, draft), (world.employee, staff_only), (world.lun_employee, gran_only),
             (world.lun_agent, gran_only)]
    for user, article in cases:
        for suffix in ("", "/revisions"):
            hidden = api.as_(user).get(f"/api/v1/articles/{article.id}{suffix}")
            missing = api.as_(user).get(f"/api/v1/articles/999999{suffix}")
            assert hidden.status_code == missing.status_code == 404
            assert hidden.json == missing.json
        patch_hidden = api.as_(user).patch(f"/api/v1/articles/{article.id}", json={"title": "x"})
        patch_missing = api.as_(user).patch("/api/v1/articles/999999", json={"title": "x"})
        assert patch_hidden.status_code == patch_missing.status_code == 404
        assert patch_hidden.json == patch_missing.json


def test_search_answers_in_the_agreed_shape(api, world, backend) -> None:
    make_article(world.agent, title="Skriveren skriver ikke", body="Start skriveren på nytt.")

    response = api.as_(world.employee).get("/api/v1/articles/search?q=skriveren&limit=5")

    assert response.status_code == 200
    body = response.json
    assert set(body) == {"items", "total", "suggestion"}
    assert body["total"] == 1 and body["suggestion"] is None
    item = body["items"][0]
    assert {"id", "title", "snippet", "score"} <= set(item)
    assert "<mark>skriveren</mark>" in item["snippet"]
    assert item["score"] > 0
