"""Use cases for personal data: the retention run, legal holds, a person's export and erasure
(docs/privacy.md, ADR 0094). Other domains' tables are changed through their own retention
modules (app/tickets/retention.py, app/mail/retention.py, app/outbox/retention.py,
app/audit/retention.py, app/accounts/erasure.py); search indexes forget through app/privacy/hooks.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts import erasure, queries
from app.accounts import services as accounts
from app.accounts import sessions as account_sessions
from app.accounts.models import User
from app.audit import retention as audit_retention
from app.audit.services import record
from app.db import atomic, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.mail import retention as mail_retention
from app.outbox import retention as outbox_retention
from app.privacy import hooks
from app.privacy.models import LegalHold
from app.tickets import retention as ticket_retention
from app.tickets import storage
from app.tickets.models import Ticket


@dataclass
class Outcome:
    ref: str
    anonymised: bool
    reason: str | None = None  # why it was skipped


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)
    # Records about no case and no person cleaned by the domains (privacy hook on_expire).
    expired: int = 0

    @property
    def anonymised(self) -> int:
        return sum(1 for o in self.outcomes if o.anonymised)


def _require_admin(actor: User) -> None:
    if not (actor.is_admin or actor.is_system):
        raise Forbidden(_l("Only administrators can do this."))


def retention_days(category: str | None) -> int:
    by_category = current_app.config["SAMDESK_RETENTION_DAYS_BY_CATEGORY"]
    return int(by_category.get(category or "", current_app.config["SAMDESK_RETENTION_DAYS"]))


def due(now: datetime | None = None) -> Sequence[tuple[int, str]]:
    return ticket_retention.due_for_retention(
        now=now or utcnow(), default_days=int(current_app.config["SAMDESK_RETENTION_DAYS"]),
        days_by_category=dict(current_app.config["SAMDESK_RETENTION_DAYS_BY_CATEGORY"]),
    )


def hold_of(ticket_id: int) -> LegalHold | None:
    return db.session.get(LegalHold, ticket_id)


@atomic
def anonymise_case(ticket_id: int, *, actor: User, dry_run: bool = False) -> Outcome:
    """Anonymise one case unless it is under legal hold (one transaction per case)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound()
    hold = hold_of(ticket_id)
    if hold is not None:
        return Outcome(ticket.ref, False, hold.reason)
    if dry_run or ticket.anonymised_at is not None:
        return Outcome(ticket.ref, ticket.anonymised_at is None)
    ref, requester = ticket.ref, ticket.requester
    ticket_retention.anonymise_ticket(ticket_id, actor=actor, placeholder=erasure.placeholder_user())
    mail_retention.forget_for_ticket(ticket_id, ref)
    outbox_retention.delete_for_ticket(ticket_id)
    hooks.anonymised(ticket_id, ref)
    record(actor=actor, action="privacy.case_anonymised", object_type="ticket",
           object_id=ticket_id, label=ref)
    # A contact who cannot log in (mail, SMS or phone intake) and has no other case left is
    # forgotten with their last case.
    if (
        requester.password_hash is None and not requester.is_system
        and not ticket_retention.has_open_tickets(requester.id)
        and not _has_identity(requester)
    ):
        _forget_user(requester, actor=actor)
    return Outcome(ref, True)


def _has_identity(user: User) -> bool:
    from app.accounts.signin_models import ExternalIdentity

    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ExternalIdentity)
        .where(ExternalIdentity.user_id == user.id)
    ) != 0


def _forget_user(user: User, *, actor: User) -> None:
    words = {user.email, user.name, user.phone or ""}
    hooks.forgetting(user)  # while the account still holds what the listeners look for
    outbox_retention.delete_for_recipients([user.email, user.phone or ""])
    mail_retention.forget_sender(user.email)
    erasure.erase_user(user, actor=actor)
    audit_retention.forget_person(user.id, words=words, label=f"slettet bruker #{user.id}")


def run_retention(
    *, actor: User, dry_run: bool = False, now: datetime | None = None,
    progress: Callable[[Sequence[tuple[int, str]]], object] | None = None,
) -> RunReport:
    """The retention run (cron): every closed case past its retention, one transaction each."""
    report = RunReport()
    candidates = due(now)
    iterator = progress(candidates) if progress else candidates
    for ticket_id, _ref in iterator:  # type: ignore[attr-defined]
        report.outcomes.append(anonymise_case(ticket_id, actor=actor, dry_run=dry_run))
    if not dry_run:
        report.expired = expire_unlinked(actor=actor, now=now)
    return report


@atomic
def expire_unlinked(*, actor: User, now: datetime | None = None) -> int:
    """What the domains keep about no case and no known person (a failed SMS from an unknown
    number) is cleaned after the default retention, as a closed case would be."""
    _require_admin(actor)
    before = (now or utcnow()) - timedelta(days=int(current_app.config["SAMDESK_RETENTION_DAYS"]))
    count = hooks.expire(before)
    if count:
        record(actor=actor, action="privacy.expired", object_type="retention", object_id=before.date().isoformat(),
               label=f"{count} records from before {before.date().isoformat()}",
               after={"before": before.isoformat(), "records": count})
    return count


@atomic
def place_hold(ref: str, reason: str, *, actor: User) -> LegalHold:
    _require_admin(actor)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref.strip().upper()))
    if ticket is None:
        raise NotFound()
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise Invalid("reason", _l("Say why the case must be kept."))
    if hold_of(ticket.id) is not None:
        raise Conflict(_l("The case is already under legal hold."), code="held")
    hold = LegalHold(ticket_id=ticket.id, reason=reason, placed_by_id=actor.id)
    db.session.add(hold)
    record(actor=actor, action="privacy.hold_placed", object_type="ticket", object_id=ticket.id,
           label=ticket.ref, after={"reason": reason})
    return hold


@atomic
def lift_hold(ref: str, *, actor: User) -> None:
    _require_admin(actor)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref.strip().upper()))
    hold = hold_of(ticket.id) if ticket is not None else None
    if ticket is None or hold is None:
        raise NotFound()
    db.session.delete(hold)
    record(actor=actor, action="privacy.hold_lifted", object_type="ticket", object_id=ticket.id,
           label=ticket.ref, before={"reason": hold.reason})


def _person(email: str) -> User:
    user = queries.user_by_email(email) if email else None
    if user is None or user.is_system:
        raise NotFound(_l("There is no user with the address %(email)s.", email=email))
    return user


@atomic
def export_person(email: str, *, actor: User) -> bytes:
    """Everything about one person as a zip: data.json and their files (GDPR art. 15)."""
    _require_admin(actor)
    user = _person(email)
    cases, files = ticket_retention.export_tickets(user.id)
    access = ticket_retention.requester_access_log(user.id, limit=10_000)
    data = {
        "person": {
            "email": user.email, "name": user.name, "phone": user.phone, "locale": user.locale,
            "municipality": user.municipality.code if user.municipality else None,
            "roles": sorted(r.value for r in user.roles), "active": user.is_active,
            "created_at": user.created_at.isoformat(),
        },
        "cases": cases,
        "case_access_by_staff": [
            {"case": e.ticket.ref, "staff": e.user.display_name, "at": e.created_at.isoformat(),
             "via": e.via} for e in access
        ],
        "sessions": [
            {"device": s.user_agent, "network": s.ip, "method": s.method.value,
             "created_at": s.created_at.isoformat(), "last_seen_at": s.last_seen_at.isoformat()}
            for s in account_sessions.active_for(user)
        ],
        **hooks.exported(user),  # training, telephony and the rest add their own sections
        "exported_at": utcnow().isoformat(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for digest, name in files:
            path = storage.path_for(digest)
            if path.exists():
                archive.write(path, name)
    record(actor=actor, action="privacy.exported", object_type="user", object_id=user.id,
           label=user.email, subject=user, after={"cases": len(cases), "files": len(files)})
    return buffer.getvalue()


@dataclass
class Erasure:
    anonymised: list[str]
    held: list[Outcome]


def erase_person(email: str, *, actor: User) -> Erasure:
    """Anonymise a person everywhere (GDPR art. 17): their cases (except those under legal
    hold), their mail in and out, and their account. Each case is its own transaction; the
    account goes last, and only when no case under hold still points at it."""
    _require_admin(actor)
    user = _person(email)
    if user.id == actor.id:
        raise Invalid("email", _l("You cannot erase yourself."))
    outcomes = [anonymise_case(tid, actor=actor) for tid, _ref in
                ticket_retention.ticket_ids_of_requester(user.id)]
    held = [o for o in outcomes if not o.anonymised and o.reason]
    _erase_account(user.id, actor=actor, held=len(held))
    return Erasure([o.ref for o in outcomes if o.anonymised], held)


@atomic
def _erase_account(user_id: int, *, actor: User, held: int) -> None:
    user = db.session.get(User, user_id)
    assert user is not None
    record(actor=actor, action="privacy.erased", object_type="user", object_id=user.id,
           label=f"slettet bruker #{user.id}", after={"cases_kept_under_hold": held})
    if held:
        account_sessions.end_everything(user, actor=actor, reason="erased")
        return
    if not erasure.is_erased(user):  # a contact is forgotten already with their last case
        _forget_user(user, actor=actor)


def system_actor() -> User:
    return accounts.system_user()
