"""Listeners told when a case is anonymised, so that every search index (and any other copy a
domain keeps outside its tables) forgets it, without app/privacy importing them.

A domain registers once at start-up: ``app.privacy.hooks.on_anonymise(listener)``; the listener
is called as ``listener(ticket_id, ref)`` inside the anonymising transaction (it must not commit;
work outside the database belongs in ``app.db.on_commit``)."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[int, str], None]
_listeners: list[Listener] = []


def on_anonymise(listener: Listener) -> Listener:
    """Register ``listener`` (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def anonymised(ticket_id: int, ref: str) -> None:
    for listener in list(_listeners):
        listener(ticket_id, ref)
