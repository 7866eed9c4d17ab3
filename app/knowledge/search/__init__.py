"""One search interface, two backends (ADR 0071): Whoosh in a folder on this machine, or
PostgreSQL's own full-text search. ``SAMDESK_SEARCH_BACKEND`` chooses (``whoosh`` | ``postgres``;
by default Whoosh on SQLite and PostgreSQL on PostgreSQL).

A backend is told which limits apply (``policy.Access``) and applies them inside its query, so
the page, the total, the facets and the suggestion only ever reflect articles the reader may see.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app

from app.knowledge.models import Article
from app.knowledge.policy import Access


@dataclass(frozen=True)
class SearchRequest:
    groups: list[list[str]]  # text.query_terms(q): per word, the terms that match it
    access: Access
    limit: int = 10
    category: str | None = None
    language: str | None = None
    # The words' own terms without synonyms: they weigh more than a synonym's match.
    exact: frozenset[str] = frozenset()


@dataclass
class Hit:
    article_id: int
    score: float


@dataclass
class SearchOutcome:
    hits: list[Hit]
    total: int
    facets: dict[str, int] = field(default_factory=dict)


class Backend(Protocol):
    name: str

    def search(self, request: SearchRequest) -> SearchOutcome: ...

    def has_more_than(self, request: SearchRequest, count: int) -> bool:
        """Whether more than ``count`` articles the request's reader may see match it (whether a
        did-you-mean finds more), as cheaply as the backend can tell."""
        ...

    def suggest_words(self, word: str, limit: int = 3) -> list[str]:
        """Words of the index close to ``word`` (did-you-mean candidates, not yet filtered)."""
        ...

    def knows_word(self, word: str) -> bool: ...

    def prepare(self, article: Article) -> None:
        """Inside the saving transaction."""
        ...

    def after_commit(self, article_id: int) -> None:
        """After the transaction that changed the article has committed."""
        ...

    def rebuild(self, articles: Iterable[Article], total: int, progress: Callable[[int], None]) -> int: ...

    def count(self) -> int: ...


_backends: dict[tuple[str, str], Backend] = {}
_lock = threading.Lock()


def backend_name() -> str:
    name = str(current_app.config.get("SAMDESK_SEARCH_BACKEND") or "").strip().lower()
    if name in ("whoosh", "postgres"):
        return name
    from app.db import is_postgres

    return "postgres" if is_postgres() else "whoosh"


def backend() -> Backend:
    name = backend_name()
    folder = str(current_app.config["SAMDESK_SEARCH_INDEX_DIR"])
    key = (name, folder if name == "whoosh" else "")
    with _lock:
        found = _backends.get(key)
        if found is None:
            if name == "whoosh":
                from app.knowledge.search.whoosh_backend import WhooshBackend

                found = WhooshBackend(folder)
            else:
                from app.knowledge.search.postgres_backend import PostgresBackend

                found = PostgresBackend()
            _backends[key] = found
        return found


def all_backends() -> Sequence[str]:
    return ("whoosh", "postgres")
