"""Attachments: stored outside the database by content hash, type decided by the bytes (not the
name), a size limit, and served only to those who may see the ticket."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.errors import Invalid, TooLarge
from app.extensions import db
from app.tickets import services
from app.tickets.models import Attachment
from tests.factories import make_ticket

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"


def _upload(api, user, ref: str, data: bytes, name: str):  # type: ignore[no-untyped-def]
    return api.as_(user).post(f"/api/v1/tickets/{ref}/attachments",
                              data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attachment))


def test_upload_stores_the_file_by_hash_outside_the_database(api, world, app) -> None:
    ticket = make_ticket(world.employee)

    response = _upload(api, world.employee, ticket.ref, PNG, "skjerm.png")

    assert response.status_code == 201
    assert (response.json["filename"], response.json["content_type"], response.json["size"]) == (
        "skjerm.png", "image/png", len(PNG)
    )
    digest = hashlib.sha256(PNG).hexdigest()
    path = Path(app.config["SAMDESK_ATTACHMENT_DIR"]) / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == PNG
    assert db.session.scalar(sa.select(Attachment.sha256)) == digest


def test_type_is_decided_by_content_not_by_name(api, world) -> None:
    ticket = make_ticket(world.employee)

    pdf_named_txt = _upload(api, world.employee, ticket.ref, PDF, "rapport.txt")
    exe_named_png = _upload(api, world.employee, ticket.ref, EXE, "bilde.png")

    assert pdf_named_txt.json["content_type"] == "application/pdf"
    assert exe_named_png.status_code == 400
    assert exe_named_png.json["error"] == {"code": "file_type", "field": "file",
                                           "message": "Denne filtypen kan ikke legges ved."}
    assert _count() == 1


def test_file_over_the_size_limit_is_413(api, world, app, monkeypatch) -> None:
    ticket = make_ticket(world.employee)
    monkeypatch.setitem(app.config, "SAMDESK_MAX_ATTACHMENT_BYTES", 1024 * 1024)

    response = _upload(api, world.employee, ticket.ref, b"a" * (1024 * 1024 + 1), "stor.txt")

    assert response.status_code == 413
    assert response.json["error"]["message"] == "Filen er større enn 1 MB."
    assert _count() == 0


def test_upload_over_max_content_length_is_413(api, world, app, monkeypatch) -> None:
    ticket = make_ticket(world.employee)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)

    response = _upload(api, world.employee, ticket.ref, b"b" * 10_000, "stor.txt")

    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert _count() == 0


def test_empty_file_and_missing_file_are_400(api, world) -> None:
    ticket = make_ticket(world.employee)

    empty = _upload(api, world.employee, ticket.ref, b"", "tom.txt")
    missing = api.as_(world.employee).post(f"/api/v1/tickets/{ticket.ref}/attachments", data={},
                                           content_type="multipart/form-data")

    assert empty.status_code == 400
    assert (missing.status_code, missing.json["error"]["field"]) == (400, "file")
    assert _count() == 0


def test_file_names_are_cleaned_of_paths_and_control_characters(api, world) -> None:
    ticket = make_ticket(world.employee)

    response = _upload(api, world.employee, ticket.ref, b"hei\n", "../../etc/pass\x07wd.txt")

    assert response.json["filename"] == "passwd.txt"


def test_download_serves_the_bytes_to_those_who_may_see_and_404_to_others(api, world) -> None:
    ticket = make_ticket(world.employee)
    attachment_id = _upload(api, world.employee, ticket.ref, PDF, "faktura.pdf").json["id"]
    url = f"/api/v1/tickets/{ticket.ref}/attachments/{attachment_id}"

    for user in (world.employee, world.agent, world.manager, world.admin):
        response = api.as_(user).get(url)
        assert response.status_code == 200, user.email
        assert response.data == PDF
        assert response.mimetype == "application/pdf"
        assert "faktura.pdf" in response.headers["Content-Disposition"]
    for user in (world.employee2, world.lun_agent, world.second):
        assert api.as_(user).get(url).status_code == 404, user.email
    assert api.get(url).status_code == 401


def test_attachment_of_another_ticket_is_not_served_through_this_one(api, world) -> None:
    mine = make_ticket(world.employee)
    other = make_ticket(world.employee2)
    attachment = services.add_attachment(other.ref, filename="a.txt", data=b"annen\n", actor=world.employee2)

    response = api.as_(world.employee).get(f"/api/v1/tickets/{mine.ref}/attachments/{attachment.id}")

    assert response.status_code == 404


def test_service_refuses_unknown_binary(world) -> None:
    ticket = make_ticket(world.employee)

    with pytest.raises(Invalid):
        services.add_attachment(ticket.ref, filename="x.bin", data=b"\x00\x01\x02\xff" * 10, actor=world.employee)
    with pytest.raises(TooLarge):
        from flask import current_app

        limit = current_app.config["SAMDESK_MAX_ATTACHMENT_BYTES"]
        services.add_attachment(ticket.ref, filename="x.txt", data=b"a" * (limit + 1), actor=world.employee)
    assert _count() == 0


def test_same_bytes_twice_are_stored_once(api, world, app) -> None:
    ticket = make_ticket(world.employee)

    _upload(api, world.employee, ticket.ref, PNG, "a.png")
    _upload(api, world.employee, ticket.ref, PNG, "b.png")

    files = [p for p in Path(app.config["SAMDESK_ATTACHMENT_DIR"]).rglob("*") if p.is_file()
             and p.name == hashlib.sha256(PNG).hexdigest()]
    assert len(files) == 1
    assert _count() == 2


def test_staff_opening_a_file_is_written_to_the_access_log_and_the_requester_is_not(api, world) -> None:
    from app.tickets.models import AccessLogEntry

    ticket = make_ticket(world.employee)
    attachment_id = _upload(api, world.employee, ticket.ref, PDF, "lønnsslipp.pdf").json["id"]
    url = f"/api/v1/tickets/{ticket.ref}/attachments/{attachment_id}"

    assert api.as_(world.employee).get(url).status_code == 200
    assert api.as_(world.agent).get(url).status_code == 200
    assert api.as_(world.lun_agent).get(url).status_code == 404

    rows = db.session.execute(
        sa.select(AccessLogEntry.user_id, AccessLogEntry.via).where(AccessLogEntry.ticket_id == ticket.id)
    ).all()
    assert rows == [(world.agent.id, "api:file")]
    response = api.as_(world.agent).get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
