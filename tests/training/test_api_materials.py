"""The training API for courses and their material: what everyone may read, what only the
course's trainers may publish (pages, files, new versions, links to articles they may read), and
downloads with the right type and a safe name."""

from __future__ import annotations

import io

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.training import services
from app.training.models import CourseMaterial, MaterialVersion
from tests.factories import make_user
from tests.training.helpers import make_course, make_session

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _upload(client, url: str, data: bytes, name: str, **fields):  # type: ignore[no-untyped-def]
    return client.post(url, data={"file": (io.BytesIO(data), name), **fields}, content_type="multipart/form-data")


def test_courses_are_listed_newest_first_and_paged_by_key(api, world) -> None:
    made = [make_course(world.trainer, title=f"Kurs {n}") for n in range(3)]
    client = api.as_(world.lun_employee)

    first = client.get("/api/v1/courses?limit=2")
    second = client.get(f"/api/v1/courses?limit=2&cursor={first.json['next_cursor']}")
    bad = client.get("/api/v1/courses?cursor=abc")

    assert [c["id"] for c in first.json["items"]] == [made[2].id, made[1].id]
    assert [c["id"] for c in second.json["items"]] == [made[0].id]
    assert second.json["next_cursor"] is None
    assert (bad.status_code, bad.json["error"]["field"]) == (400, "cursor")


def test_a_course_shows_the_sessions_the_caller_may_see_and_its_material(api, world) -> None:
    course = make_course(world.trainer)
    open_day = make_session(course, world.trainer)
    gran_day = make_session(course, world.trainer, municipality="GRA")
    page = services.publish_page(course.id, title="Huskeliste", body_md="# Før kurset", actor=world.trainer)

    as_gran = api.as_(world.employee).get(f"/api/v1/courses/{course.id}").json
    as_lunner = api.as_(world.lun_employee).get(f"/api/v1/courses/{course.id}").json
    sessions = api.as_(world.lun_employee).get(f"/api/v1/courses/{course.id}/sessions").json["items"]
    materials = api.as_(world.lun_employee).get(f"/api/v1/courses/{course.id}/materials").json["items"]

    assert [s["id"] for s in as_gran["sessions"]] == [open_day.id, gran_day.id]
    assert [s["id"] for s in as_lunner["sessions"]] == [s["id"] for s in sessions] == [open_day.id]
    assert as_gran["trainers"] == [world.trainer.email]
    assert [(m["id"], m["kind"], m["current_version"]) for m in materials] == [(page.material_id, "page", 1)]
    assert as_lunner["materials"] == materials


def test_a_missing_course_or_material_is_404(api, world) -> None:
    client = api.as_(world.trainer)
    for url in ("/api/v1/courses/987654", "/api/v1/courses/987654/sessions", "/api/v1/courses/987654/materials",
                "/api/v1/materials/987654", "/api/v1/materials/987654/versions/1",
                "/api/v1/materials/987654/versions/1/file"):
        answer = client.get(url)
        assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found", url
    published = client.post("/api/v1/courses/987654/materials/pages", json={"title": "T", "body": "B"})
    assert published.status_code == 404
    page = services.publish_page(make_course(world.trainer).id, title="Side", body_md="Tekst", actor=world.trainer)
    for version in (0, 2, 2**63, 10**30):  # out of range of the column too: 404, never a 500
        for suffix in ("", "/file"):
            answer = client.get(f"/api/v1/materials/{page.material_id}/versions/{version}{suffix}")
            assert answer.status_code == 404, (version, suffix)


def test_a_trainer_publishes_a_page_and_a_new_version_and_both_stay_readable(api, world) -> None:
    course = make_course(world.trainer)
    client = api.as_(world.trainer)

    created = client.post(f"/api/v1/courses/{course.id}/materials/pages",
                          json={"title": "Huskeliste", "body": "# Før kurset\n\n- PC"})
    material_id = created.json["material"]["id"]
    newer = client.post(f"/api/v1/materials/{material_id}/pages", json={"body": "# Før kurset\n\n- PC\n- Lader"})
    detail = api.as_(world.employee).get(f"/api/v1/materials/{material_id}").json
    v1 = api.as_(world.employee).get(f"/api/v1/materials/{material_id}/versions/1").json
    v2_file = api.as_(world.employee).get(f"/api/v1/materials/{material_id}/versions/2/file")

    assert created.status_code == newer.status_code == 201
    assert (created.json["version"]["version"], newer.json["version"]["version"]) == (1, 2)
    assert newer.json["material"]["title"] == "Huskeliste"  # the title stays when none is given
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["current_version"] == 2
    assert v1["body"] == "# Før kurset\n\n- PC"
    assert v1["html"] == "<h1>Før kurset</h1>\n<ul>\n<li>PC</li>\n</ul>\n"
    assert v2_file.status_code == 200 and v2_file.mimetype == "text/markdown"
    assert v2_file.data.decode() == "# Før kurset\n\n- PC\n- Lader"
    assert v2_file.headers["Content-Disposition"].startswith("attachment;")


def test_a_page_with_html_is_sanitised_in_the_api_too(api, world) -> None:
    course = make_course(world.trainer)
    created = api.as_(world.trainer).post(f"/api/v1/courses/{course.id}/materials/pages", json={
        "title": "Lenker", "body": '<script>alert(1)</script>\n\n[klikk](javascript:alert(1))'})

    html = api.as_(world.employee).get(f"/api/v1/materials/{created.json['material']['id']}/versions/1").json["html"]

    assert "<script" not in html and "&lt;script&gt;" in html
    assert "href" not in html


def test_a_trainer_uploads_a_file_and_a_new_version_downloaded_with_its_type_and_a_safe_name(api, world) -> None:
    course = make_course(world.trainer)
    client = api.as_(world.trainer)

    created = _upload(client, f"/api/v1/courses/{course.id}/materials/files", PDF, "../../etc/Kursplan.pdf")
    material_id = created.json["material"]["id"]
    newer = _upload(client, f"/api/v1/materials/{material_id}/files", PDF + b"%v2\n", "kursplan æøå.pdf")
    first = api.as_(world.lun_employee).get(f"/api/v1/materials/{material_id}/versions/1/file")
    second = api.as_(world.lun_employee).get(newer.json["version"]["url"])

    assert created.status_code == 201, created.json
    assert created.json["version"]["filename"] == "Kursplan.pdf"
    assert created.json["version"]["url"] == f"/api/v1/materials/{material_id}/versions/1/file"
    assert created.json["material"]["title"] == "Kursplan.pdf"
    assert newer.status_code == 201 and newer.json["version"]["version"] == 2
    assert first.status_code == 200 and first.mimetype == "application/pdf" and first.data == PDF
    assert first.headers["Content-Disposition"] == "attachment; filename=Kursplan.pdf"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert second.data == PDF + b"%v2\n"
    assert "filename*=UTF-8''kursplan%20%C3%A6%C3%B8%C3%A5.pdf" in second.headers["Content-Disposition"]


def test_a_file_of_a_type_not_accepted_is_refused_naming_the_field(api, world) -> None:
    course = make_course(world.trainer)

    answer = _upload(api.as_(world.trainer), f"/api/v1/courses/{course.id}/materials/files",
                     b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), "kurs.exe")
    empty = _upload(api.as_(world.trainer), f"/api/v1/courses/{course.id}/materials/files", b"", "tom.txt")
    no_file = api.as_(world.trainer).post(f"/api/v1/courses/{course.id}/materials/files", data={"title": "x"},
                                          content_type="multipart/form-data")

    assert (answer.status_code, answer.json["error"]["field"]) == (400, "file")
    assert (empty.status_code, empty.json["error"]["field"]) == (400, "file")
    assert (no_file.status_code, no_file.json["error"]["field"]) == (400, "file")
    assert _count(CourseMaterial) == 0


def test_a_page_without_a_title_or_body_names_the_field(api, world) -> None:
    course = make_course(world.trainer)
    url = f"/api/v1/courses/{course.id}/materials/pages"

    blank_title = api.as_(world.trainer).post(url, json={"title": "  ", "body": "Tekst"})
    no_body = api.as_(world.trainer).post(url, json={"title": "Side"})

    assert (blank_title.status_code, blank_title.json["error"]["field"]) == (400, "title")
    assert blank_title.json["error"]["message"] == "Gi materiellet en tittel."
    assert (no_body.status_code, no_body.json["error"]["field"]) == (400, "body")
    assert _count(CourseMaterial) == 0


def test_a_new_version_of_another_kind_is_409(api, world) -> None:
    course = make_course(world.trainer)
    page = services.publish_page(course.id, title="Side", body_md="Tekst", actor=world.trainer)

    answer = _upload(api.as_(world.trainer), f"/api/v1/materials/{page.material_id}/files", PDF, "a.pdf")

    assert answer.status_code == 409 and answer.json["error"]["code"] == "material_kind"
    assert _count(MaterialVersion) == 1


def test_only_the_courses_trainers_publish(api, world) -> None:
    course = make_course(world.trainer)
    other_trainer = make_user("trainer", "LUN")
    page = services.publish_page(course.id, title="Side", body_md="Tekst", actor=world.trainer)
    published = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.object_type == "course")
    before = (_count(CourseMaterial), _count(MaterialVersion), db.session.scalar(published))

    for who in (world.employee, world.manager, other_trainer):
        client = api.as_(who)
        answers = [
            client.post(f"/api/v1/courses/{course.id}/materials/pages", json={"title": "T", "body": "B"}),
            _upload(client, f"/api/v1/courses/{course.id}/materials/files", PDF, "a.pdf"),
            client.post(f"/api/v1/courses/{course.id}/materials/articles", json={"article_id": 1}),
            client.post(f"/api/v1/materials/{page.material_id}/pages", json={"body": "Endret"}),
        ]
        assert [a.status_code for a in answers] == [403] * 4, who.email
        assert answers[0].json["error"]["message"] == "Bare kursets kursholdere kan publisere kursmateriell."
    assert (_count(CourseMaterial), _count(MaterialVersion), db.session.scalar(published)) == before


def test_a_trainer_links_an_article_they_may_read_but_not_a_hidden_one(api, world) -> None:
    from app.knowledge import services as knowledge

    course = make_course(world.trainer)
    readable = knowledge.create_article(title="Personvern i Teams", body="Tekst", category="other",
                                        status="published", actor=world.second)
    staff_only = knowledge.create_article(title="Intern rutine", body="Tekst", category="other",
                                          audience="agents", status="published", actor=world.second)
    url = f"/api/v1/courses/{course.id}/materials/articles"

    linked = api.as_(world.trainer).post(url, json={"article_id": readable.id})
    hidden = api.as_(world.trainer).post(url, json={"article_id": staff_only.id})
    missing = api.as_(world.trainer).post(url, json={"article_id": 987654})
    not_a_number = api.as_(world.trainer).post(url, json={"article_id": "1"})

    assert linked.status_code == 201
    assert (linked.json["kind"], linked.json["article_id"], linked.json["title"]) == (
        "article", readable.id, "Personvern i Teams")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json["error"]["field"] == "article_id"
    assert hidden.json["error"]["message"] == missing.json["error"]["message"].replace("987654", str(staff_only.id))
    assert (not_a_number.status_code, not_a_number.json["error"]["field"]) == (400, "article_id")
    assert _count(CourseMaterial) == 1
    # A link has no file to download.
    assert api.as_(world.employee).get(f"/api/v1/materials/{linked.json['id']}/versions/1/file").status_code == 404


def test_a_link_to_an_article_hidden_from_the_reader_is_not_shown_to_them(api, as_user, world) -> None:
    from app.knowledge import services as knowledge

    course = make_course(world.trainer)
    gran_only = knowledge.create_article(title="Gran rådhus: skrivere", body="Tekst", category="printing",
                                         scope="GRA", status="published", actor=world.second)
    link = services.link_article(course.id, article_id=gran_only.id, actor=world.trainer)

    as_gran = api.as_(world.employee).get(f"/api/v1/courses/{course.id}/materials").json["items"]
    as_lunner = api.as_(world.lun_employee).get(f"/api/v1/courses/{course.id}/materials").json["items"]
    detail = api.as_(world.lun_employee).get(f"/api/v1/materials/{link.id}")
    missing = api.as_(world.lun_employee).get("/api/v1/materials/987654")
    course_page = as_user(world.lun_employee).get(f"/kurs/{course.id}").text

    assert [(m["id"], m["title"]) for m in as_gran] == [(link.id, "Gran rådhus: skrivere")]
    assert as_lunner == []
    assert api.as_(world.lun_employee).get(f"/api/v1/courses/{course.id}").json["materials"] == []
    assert detail.status_code == missing.status_code == 404
    assert detail.json == missing.json
    assert "Gran rådhus: skrivere" not in course_page
    assert "Gran rådhus: skrivere" in as_user(world.employee).get(f"/kurs/{course.id}").text
