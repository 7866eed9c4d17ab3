"""The Whoosh index stays in step with the database: after every commit, from several worker
processes writing at once, and rebuilt by `flask search reindex`."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.knowledge import services
from app.knowledge.search import backend
from tests.knowledge.conftest import make_article

PER_WORKER = 15


def _worker(url: str, folder: str, agent_id: int, name: str, barrier: Any) -> None:
    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.knowledge import services as knowledge

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SAMDESK_SEARCH_INDEX_DIR": folder,
                      "SAMDESK_SEARCH_BACKEND": "whoosh", "SAMDESK_FAST_PASSWORD_HASH": True})
    with app.app_context():
        agent = db.session.get(User, agent_id)
        assert agent is not None
        barrier.wait(timeout=60)
        for i in range(PER_WORKER):
            knowledge.create_article(title=f"Rutine {name} nummer {i}", body=f"Tekst {name}{i}.",
                                     category="other", status="published", actor=agent)


def test_two_workers_writing_at_once_lose_nothing(app: Flask, world, database_url: str) -> None:
    app.config["SAMDESK_SEARCH_BACKEND"] = "whoosh"
    folder = app.config["SAMDESK_SEARCH_INDEX_DIR"]
    make_article(world.agent)  # the index folder exists before the race
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    workers = [ctx.Process(target=_worker, args=(database_url, folder, world.agent.id, name, barrier))
               for name in ("alfa", "beta")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
        assert worker.exitcode == 0

    assert backend().count() == 1 + 2 * PER_WORKER
    for name in ("alfa", "beta"):
        page = services.search_articles(f"{name}7", actor=world.employee)
        assert [i.article.title for i in page.items] == [f"Rutine {name} nummer 7"]


def test_edit_and_archive_reach_the_index_after_commit(app: Flask, world) -> None:
    app.config["SAMDESK_SEARCH_BACKEND"] = "whoosh"
    article = make_article(world.agent, "Teams-møte uten lyd", "Sjekk høyttaleren.", category="collaboration")

    services.edit_article(article.id, title="Teams-møte uten bilde", actor=world.agent)
    assert services.search_articles("bilde", actor=world.employee).total == 1
    assert services.search_articles("lyd", actor=world.employee).total == 0
    services.archive(article.id, actor=world.agent)
    assert services.search_articles("bilde", actor=world.employee).total == 0


def test_a_failed_transaction_leaves_the_index_unchanged(app: Flask, world) -> None:
    app.config["SAMDESK_SEARCH_BACKEND"] = "whoosh"
    article = make_article(world.agent, "Skanner", "Skann til e-post.", category="printing")
    with pytest.raises(Exception):  # noqa: B017,PT011 - the scope does not exist: Invalid
        services.edit_article(article.id, title="Kopimaskin", scope="NOPE", actor=world.agent)
    assert services.search_articles("kopimaskin", actor=world.agent).total == 0
    assert services.search_articles("skanner", actor=world.agent).total == 1


def test_reindex_rebuilds_the_index_from_the_database(app: Flask, world, runner, tmp_path: Path) -> None:
    app.config["SAMDESK_SEARCH_BACKEND"] = "whoosh"
    make_article(world.agent, "VPN fra hjemmekontor", "Start Cisco Secure Client.", category="remote")
    make_article(world.agent, "Teams på mobil", "Last ned appen.", category="mobile")
    app.config["SAMDESK_SEARCH_INDEX_DIR"] = str(tmp_path / "empty")  # a new machine: no index yet
    assert services.search_articles("vpn", actor=world.employee).total == 0

    result = runner.invoke(args=["search", "reindex"])

    assert result.exit_code == 0, result.output
    assert "indexed 2 articles" in result.output
    assert services.search_articles("vpn", actor=world.employee).total == 1
    assert backend().count() == 2


def test_an_index_written_before_the_systems_field_gets_it_and_reindex_fills_it(app: Flask, world, runner) -> None:
    """An index folder from before ADR 0097 has no ``systems`` field: it is added on opening
    (nothing fails, and a super-user finds no more than before), and `search reindex` makes
    super-users find the drafts of their systems."""
    from whoosh import index as whoosh_index
    from whoosh.fields import Schema

    from app.accounts.models import Role
    from app.knowledge.search import whoosh_backend
    from app.training import services as training
    from tests.factories import make_user

    app.config["SAMDESK_SEARCH_BACKEND"] = "whoosh"
    expert = make_user(Role.SUPER_USER, "GRA", roles=[Role.SUPER_USER, Role.EMPLOYEE])
    training.add_to_roster(system="Visma", email=expert.email, actor=world.admin)
    draft = make_article(world.agent, "Visma-utkast om lønnsslipp", "Lønnsslippen.", systems=["visma"],
                         status="draft")
    old = Path(app.config["SAMDESK_SEARCH_INDEX_DIR"]) / "old"
    old.mkdir(parents=True)
    fields = {name: field for name, field in whoosh_backend.schema().items() if name != "systems"}
    writer = whoosh_index.create_in(str(old), Schema(**fields)).writer()
    writer.add_document(**{k: v for k, v in whoosh_backend.document(draft).items() if k != "systems"})
    writer.commit()
    app.config["SAMDESK_SEARCH_INDEX_DIR"] = str(old)

    assert services.search_articles("lønnsslippen", actor=expert).total == 0
    assert "systems" in whoosh_index.open_dir(str(old)).schema
    assert services.search_articles("lønnsslippen", actor=world.agent).total == 1
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert services.search_articles("lønnsslippen", actor=expert).total == 1
    assert services.search_articles("lønnsslippen", actor=world.employee).total == 0
