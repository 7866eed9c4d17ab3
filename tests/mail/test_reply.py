"""The reply extractor: the new text of a reply without quoted history, attribution lines or
signatures, checked against the reply-parser folders of the corpus and Norwegian mail clients."""

from __future__ import annotations

import pytest

from app.mail.reply import extract_reply, split_thread
from tests.mail.conftest import corpus_cases

FOLDERS = ("reply-github", "reply-mail-parser-reply")


def _cases() -> list[tuple[str, str, dict]]:
    return corpus_cases(*FOLDERS)


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("folder", "name", "expected"), _cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_reply_corpus_visible_text(folder: str, name: str, expected: dict) -> None:
    from tests.conftest import corpus_dir

    text = (corpus_dir("email") / folder / name).read_text(encoding="utf-8")
    languages = expected.get("languages")
    if expected["source"].get("test", "").endswith("test_complex_mail_thread"):
        # The source test (alfonsrv/mail-parser-reply test/test_email_reply_parser.py) reads this
        # thread with languages ['en', 'de', 'david']; expected.json lists only the first two.
        languages = [*languages, "david"]

    visible = extract_reply(text, languages)

    if "reply_text" in expected:
        assert _norm(visible) == _norm(expected["reply_text"])
    for wanted in expected.get("reply_contains", []):
        assert _norm(wanted) in _norm(visible)
    for unwanted in expected.get("reply_excludes", []):
        assert _norm(unwanted) not in _norm(visible)
    if "reply_count" in expected:
        assert len(split_thread(text, languages)) == expected["reply_count"]


def test_reply_corpus_is_present() -> None:
    from tests.conftest import corpus_dir

    corpus_dir("email")
    assert len(_cases()) == 42


@pytest.mark.parametrize(
    "text",
    [
        # Outlook (nb)
        "Det virker fortsatt ikke.\n\nFra: IT-brukerstøtte <hjelp@samdesk.example>\n"
        "Sendt: tirsdag 12. mars 2024 10:15\nTil: Kari Nordmann <kari@gran.kommune.no>\n"
        "Emne: [GRA-1001] Nytt svar\n\nPrøv å starte PC-en på nytt.",
        # Outlook with the old separator
        "Det virker fortsatt ikke.\n\n-----Opprinnelig melding-----\nFra: IT-brukerstøtte\n"
        "Sendt: 12. mars 2024 10:15\nTil: Kari\nEmne: Nytt svar\n\nPrøv å starte PC-en på nytt.",
        # Gmail (nb), attribution wrapped onto a second line
        "Det virker fortsatt ikke.\n\ntir. 12. mar. 2024 kl. 10:15 skrev IT-brukerstøtte <\n"
        "hjelp@samdesk.example>:\n\n> Prøv å starte PC-en på nytt.\n",
        # Thunderbird (nb)
        "Det virker fortsatt ikke.\n\nDen 12.03.2024 10:15, skrev IT-brukerstøtte:\n> Prøv å starte PC-en på nytt.\n",
        # Apple Mail (nb)
        "Det virker fortsatt ikke.\n\n12. mar. 2024 kl. 10:15 skrev IT-brukerstøtte <hjelp@samdesk.example>:\n\n"
        "> Prøv å starte PC-en på nytt.\n",
    ],
    ids=["outlook", "opprinnelig-melding", "gmail", "thunderbird", "apple-mail"],
)
def test_norwegian_quote_headers_end_the_new_text(text: str) -> None:
    assert extract_reply(text) == "Det virker fortsatt ikke."


def test_norwegian_signature_and_sent_from_are_trimmed() -> None:
    text = "Takk, nå virker det!\n\nMed vennlig hilsen\nKari Nordmann\nGran kommune\n"
    assert extract_reply(text) == "Takk, nå virker det!"
    assert extract_reply("Greit, jeg prøver.\n\nSendt fra min iPhone") == "Greit, jeg prøver."


def test_bullet_lists_are_not_taken_for_signatures() -> None:
    text = "Dette har jeg prøvd:\n\n- starte på nytt\n- logge ut og inn\n"
    assert "- logge ut og inn" in extract_reply(text)
