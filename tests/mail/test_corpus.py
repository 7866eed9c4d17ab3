"""Every message of ../shared/corpus/email goes through `mail ingest`, and every expectation in
its expected.json holds: sender, subject, new text, attachments, and whether it is a case, an
auto-reply or a bounce (which make no case and get no answer)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.mail.models import InboundMail
from app.outbox.models import OutboxMessage
from app.tickets.models import Attachment, Message, Ticket
from app.tickets.storage import clean_filename
from tests import factories
from tests.mail.conftest import corpus_cases

MAIL_FOLDERS = (
    "zammad", "otrs", "otobo", "rt", "django-helpdesk", "sisimai", "bounceparser", "ruby-mail",
)


def _cases() -> list[tuple[str, str, dict]]:
    return corpus_cases(*MAIL_FOLDERS)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[\s\xa0]+", " ", text).split())


def test_the_corpus_has_all_154_messages() -> None:
    from tests.conftest import corpus_dir

    corpus_dir("email")
    assert len(_cases()) == 154


@pytest.mark.parametrize(("folder", "name", "expected"), _cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_corpus_message_is_taken_in_as_expected(ingest, folder: str, name: str, expected: dict) -> None:
    from tests.conftest import corpus_dir

    raw = (corpus_dir("email") / folder / name).read_bytes()
    factories.make_pool()

    result = ingest(raw)

    assert result.exit_code == 0, result.output
    tickets = db.session.scalars(sa.select(Ticket)).all()
    (received,) = db.session.scalars(sa.select(InboundMail)).all()
    assert received.outcome.value == {"ticket": "created"}.get(expected["kind"], expected["kind"])
    if expected["kind"] != "ticket":
        assert tickets == [], f"a {expected['kind']} made a case"
        assert not re.search(r"[A-Z]{2,8}-\d+", result.stdout)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
        return
    (ticket,) = tickets
    assert result.last_line == ticket.ref
    if "from" in expected:
        assert ticket.requester.email == expected["from"]
    if "subject" in expected:
        subject = _norm(expected["subject"])
        assert ticket.subject == subject if len(subject) <= 200 else ticket.subject[:199] == subject[:199]
    (message,) = db.session.scalars(sa.select(Message).where(Message.ticket_id == ticket.id)).all()
    for text in expected.get("body_contains", []):
        assert _norm(text) in _norm(message.body)
    stored = [a.filename for a in db.session.scalars(sa.select(Attachment).where(Attachment.message_id == message.id))]
    if "attachments" in expected:
        missing = Counter(clean_filename(n) for n in expected["attachments"]) - Counter(stored)
        assert not missing, f"not stored: {sorted(missing.elements())}; stored: {stored}"
    if "attachment_count" in expected:
        assert len(stored) >= expected["attachment_count"]


def test_ingesting_the_same_corpus_message_twice_changes_nothing(ingest) -> None:
    from tests.conftest import corpus_dir

    raw = (corpus_dir("email") / "rt" / "rfc2231-attachment-filename-continuations.eml").read_bytes()
    factories.make_pool()
    first = ingest(raw)
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Ticket, Message, Attachment)]

    second = ingest(raw)

    assert second.exit_code == 0
    assert second.last_line == first.last_line
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Ticket, Message, Attachment)] == counts
