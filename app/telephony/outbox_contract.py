"""The outbox's transport contract (docs/adr/0082), reached by name so that telephony runs on an
outbox that predates it: ``register_transport``, ``TemporaryFailure``/``PermanentFailure`` and
``record_delivery`` when the outbox has them; the older ``register_sender`` otherwise (every
failure is then retried, none is dead at once)."""

from __future__ import annotations

import enum
from typing import Any

from app.outbox import models as outbox_models
from app.outbox import services as outbox_services
from app.outbox.models import OutboxChannel


class _TemporaryFailure(Exception):
    """Fallback: delivery may work later."""


class _PermanentFailure(Exception):
    """Fallback: delivery will never work."""


TemporaryFailure: type[Exception] = getattr(outbox_services, "TemporaryFailure", _TemporaryFailure)
PermanentFailure: type[Exception] = getattr(outbox_services, "PermanentFailure", _PermanentFailure)


def has_contract() -> bool:
    return hasattr(outbox_services, "register_transport") and hasattr(outbox_services, "record_delivery")


def register(transport: Any) -> None:
    if has_contract():
        outbox_services.register_transport(transport)  # type: ignore[attr-defined,unused-ignore]
    else:
        outbox_services.register_sender(OutboxChannel.SMS, transport.send)


def delivery_state(value: str) -> Any:
    """The outbox's DeliveryState member for ``value`` (or the plain value before it exists)."""
    states: type[enum.Enum] | None = getattr(outbox_models, "DeliveryState", None)
    if states is None:
        states = getattr(outbox_services, "DeliveryState", None)
    return states(value) if states is not None else value


def record_delivery(*, transport: str, provider_id: str, state: str, error: str | None,
                    actor: Any) -> Any:
    """The outbox row the callback is about, updated; None when unknown (or before the contract)."""
    if not has_contract():
        return None
    return outbox_services.record_delivery(  # type: ignore[attr-defined,unused-ignore]
        transport=transport, provider_id=provider_id, state=delivery_state(state), error=error,
        actor=actor,
    )
