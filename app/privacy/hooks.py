"""Listeners told when a case is anonymised or a person forgotten, so that every search index
(and any other copy a domain keeps outside the tables app/privacy cleans) forgets them too,
without app/privacy importing those domains. The contract (docs/privacy.md, "Hooks"):

- ``on_anonymise(listener)``: ``listener(ticket_id: int, ref: str)`` for every case the
  retention run or an erasure anonymises (not for a dry run, a case under legal hold, or one
  already anonymised), after the case's own rows are cleaned, in the same transaction.
- ``on_forget_person(listener)``: ``listener(user)`` for every person whose account loses its
  personal data (an erasure, or a mail/SMS/phone contact forgotten with their last case), in
  the same transaction and *before* the account is cleaned, so ``user.email``, ``user.name``
  and ``user.phone`` are still there to look for.

- ``on_expire(listener)``: ``listener(before: datetime) -> int`` once per retention run (not a
  dry run): data a domain keeps about no case and no known person (a failed SMS from an unknown
  number) that was received before ``before`` is cleaned; the listener returns how many
  records it cleaned, counting none twice on the next run.

- ``on_export(listener)``: ``listener(user) -> dict`` for a person's data out (GDPR art. 15):
  each domain that holds something about a person outside the cases returns it as plain JSON
  values under its own keys, and the export writes them into ``data.json``.

A domain registers once, at start-up (its ``init_app`` or blueprint registration). A listener
must not commit: its database changes join the transaction (and roll back with it; an exception
undoes the case's anonymisation and stops the run, to be retried by the next one). Work outside
the database (a Whoosh index, files) belongs in ``app.db.on_commit`` so that it happens only if
the transaction commits. Listeners must be idempotent: a run that failed is repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.accounts.models import User

CaseListener = Callable[[int, str], None]
PersonListener = Callable[["User"], None]
ExportListener = Callable[["User"], dict[str, Any]]
ExpireListener = Callable[[datetime], int]
Listener = CaseListener  # the name the first version used
_case_listeners: list[CaseListener] = []
_person_listeners: list[PersonListener] = []
_export_listeners: list[ExportListener] = []
_expire_listeners: list[ExpireListener] = []


def on_anonymise(listener: CaseListener) -> CaseListener:
    """Register ``listener(ticket_id, ref)`` (idempotent; usable as a decorator)."""
    if listener not in _case_listeners:
        _case_listeners.append(listener)
    return listener


def on_forget_person(listener: PersonListener) -> PersonListener:
    """Register ``listener(user)`` (idempotent; usable as a decorator)."""
    if listener not in _person_listeners:
        _person_listeners.append(listener)
    return listener


def on_expire(listener: ExpireListener) -> ExpireListener:
    """Register ``listener(before) -> int`` (idempotent; usable as a decorator)."""
    if listener not in _expire_listeners:
        _expire_listeners.append(listener)
    return listener


def on_export(listener: ExportListener) -> ExportListener:
    """Register ``listener(user) -> dict`` (idempotent; usable as a decorator)."""
    if listener not in _export_listeners:
        _export_listeners.append(listener)
    return listener


def exported(user: User) -> dict[str, Any]:
    """What every domain holds about ``user`` outside the cases, merged by key."""
    out: dict[str, Any] = {}
    for listener in list(_export_listeners):
        out.update(listener(user))
    return out


def unsubscribe(listener: Callable[..., Any]) -> None:
    """Remove ``listener`` from every list (tests, and an app shutting a domain off)."""
    for listeners in (_case_listeners, _person_listeners, _export_listeners, _expire_listeners):
        if listener in listeners:
            listeners.remove(listener)  # type: ignore[arg-type]


def anonymised(ticket_id: int, ref: str) -> None:
    for listener in list(_case_listeners):
        listener(ticket_id, ref)


def forgetting(user: User) -> None:
    for listener in list(_person_listeners):
        listener(user)


def expire(before: datetime) -> int:
    """Every domain cleans what it keeps about no case and no person from before ``before``."""
    return sum(listener(before) for listener in list(_expire_listeners))
