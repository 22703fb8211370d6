"""Domain events, fired after commit.

A capability that must react to something another capability did subscribes to its event
instead of being imported by it: the waiting list listens for `slot_released`, later payments,
televisit rooms, webhooks and insurer claims listen for `appointment_booked` and friends. The
booking core imports none of them.

    from terminarz.core import events

    @events.subscriber(events.SLOT_RELEASED, key="waiting.offer_released_slot")
    def offer(payload: dict) -> None: ...

    events.emit(events.SLOT_RELEASED, slot_id=slot.pk, provider_id=slot.provider_id)

Rules:
- `emit` is called inside the transaction of the change; subscribers run only once it commits
  (`transaction.on_commit`), so a rolled-back booking announces nothing.
- Payloads are small JSON values (ids, states, instants as ISO strings), never personal data:
  a subscriber loads what it needs, inside its own transaction. `emit` adds `event_id`, unique
  per announcement and kept by retries (a subscriber's idempotency key).
- A failing subscriber never undoes the change (it already committed) and does not stop the
  others: its call is retried through the task queue with backoff (`deliver_event`), up to
  `MAX_ATTEMPTS` times; each failure is logged with the event name and subscriber key only.
- Subscribers must be idempotent (a retry may repeat part of the work).
"""

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django_tasks import task

from . import clock
from .tenancy import system_task

log = logging.getLogger(__name__)

# The events of the booking core. Payload keys are listed beside each one.
SLOT_RELEASED = "slot_released"  # slot_id, provider_id, reason
APPOINTMENT_BOOKED = "appointment_booked"  # appointment_id, provider_id, slot_id, source, held
APPOINTMENT_CONFIRMED = "appointment_confirmed"  # appointment_id, provider_id, slot_id
APPOINTMENT_CANCELLED = "appointment_cancelled"  # appointment_id, provider_id, slot_id, by
APPOINTMENT_MOVED = "appointment_moved"  # appointment_id, provider_id, old_slot_id, slot_id
APPOINTMENT_EXPIRED = "appointment_expired"  # appointment_id, provider_id, slot_id
APPOINTMENT_STATUS_CHANGED = "appointment_status_changed"  # appointment_id, provider_id, from, to

EVENTS = frozenset(
    {
        SLOT_RELEASED,
        APPOINTMENT_BOOKED,
        APPOINTMENT_CONFIRMED,
        APPOINTMENT_CANCELLED,
        APPOINTMENT_MOVED,
        APPOINTMENT_EXPIRED,
        APPOINTMENT_STATUS_CHANGED,
    }
)
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (10, 60, 300, 900, 3600)

Handler = Callable[[dict], None]


@dataclass(frozen=True)
class Subscription:
    event: str
    key: str
    handler: Handler


_subscriptions: dict[str, list[Subscription]] = {}
_by_key: dict[str, Subscription] = {}


def define(name: str) -> str:
    """Another capability's event (payments, insurers…), declared by the app that emits it."""
    global EVENTS
    EVENTS = EVENTS | {name}
    return name


def subscriber(event: str, *, key: str) -> Callable[[Handler], Handler]:
    """Register `handler(payload)` for `event`. `key` names it for retries and logs; it must be
    unique and stable (it is stored in queued retry tasks)."""
    if event not in EVENTS:
        raise ValueError(f"Unknown event {event!r}")

    def register(handler: Handler) -> Handler:
        existing = _by_key.get(key)
        if existing is not None and existing.handler is not handler:
            raise ValueError(f"Event subscriber key {key!r} is taken")
        if existing is None:
            subscription = Subscription(event, key, handler)
            _subscriptions.setdefault(event, []).append(subscription)
            _by_key[key] = subscription
        return handler

    return register


def subscribers(event: str) -> list[str]:
    return [s.key for s in _subscriptions.get(event, [])]


def emit(event: str, **payload) -> None:
    """Announce `event` once the current transaction commits (at once outside one)."""
    if event not in EVENTS:
        raise ValueError(f"Unknown event {event!r}")
    # Every announcement is its own (two equal moves are two events); a retry keeps the id.
    payload = {**payload, "event_id": uuid.uuid4().hex}
    transaction.on_commit(lambda: dispatch(event, payload))


def dispatch(event: str, payload: dict) -> None:
    for subscription in list(_subscriptions.get(event, [])):
        _call(subscription, payload, attempt=1)


def _call(subscription: Subscription, payload: dict, *, attempt: int) -> bool:
    try:
        subscription.handler(payload)
        return True
    except Exception:
        log.exception("event %s: subscriber %s failed (attempt %d)", subscription.event, subscription.key, attempt)
        if attempt < MAX_ATTEMPTS:
            retry = deliver_event
            if retry.get_backend().supports_defer:  # the immediate backend (tests) retries at once
                delay = BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)]
                retry = retry.using(run_after=clock.now() + dt.timedelta(seconds=delay))
            retry.enqueue(subscription.key, payload, attempt + 1)
        return False


@task()
@system_task
def deliver_event(key: str, payload: dict, attempt: int) -> bool:
    """A retry of one subscriber for one event (queued by a failed call)."""
    subscription = _by_key.get(key)
    if subscription is None:
        log.error("event subscriber %s is gone; retry dropped", key)
        return False
    return _call(subscription, payload, attempt=attempt)
