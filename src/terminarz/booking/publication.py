"""Publication targets: the places the platform publishes free slots and booking changes to.

A target is one class: `slots(now, provider_id=)` gives the free slots it publishes (pulled by
it or pushed by it, as its protocol says), `changed(event, payload)` hears each booking change
(the domain events of `core.events`, after commit). `register(target)` subscribes it to the
events it names – each target is its own subscriber, so one that fails is retried alone and
never holds up the others.

The first two targets:
- `SmartSchedulingLinks` (here): the aggregator feed (K2). Its `slots` are the aggregator
  channel's open slots of opted-in practitioners in public schedules, within the horizon; the
  feed is read on demand (`fhir.bulk`), so a change needs no push and `changed` does nothing.
- webhooks (`integrations.receivers.Webhooks`): no slots; every change becomes a signed delivery
  to each subscribed webhook of the provider.

The national central e-registration (NFZ-funded first visits of some services, 2026) is one more
class: `slots` narrowed to the units and services it takes (e.g. by the unit's department code
and the slot's financing), `changed` sending the change over its protocol; registered from its
app's `AppConfig.ready`. Its interface is not public yet, so it is not built."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q, QuerySet

from terminarz.core import clock, events
from terminarz.scheduling.models import Financing, Slot, SlotState, Televisit
from terminarz.scheduling.search import providers_without_nfz_online

from . import channels
from .public import public_practitioners, public_schedules, public_units

# The booking changes a target may hear (payloads: see `core.events`).
CHANGES = (
    events.APPOINTMENT_BOOKED,
    events.APPOINTMENT_CANCELLED,
    events.APPOINTMENT_MOVED,
    events.APPOINTMENT_STATUS_CHANGED,
    events.SLOT_RELEASED,
)


class PublicationTarget:
    key = ""  # stable: it names the target's event subscriptions
    label = ""
    events: Iterable[str] = ()

    def slots(self, now: dt.datetime, *, provider_id: int | None = None) -> QuerySet[Slot]:
        return Slot.objects.none()

    def changed(self, event: str, payload: dict) -> None:
        return None


_targets: dict[str, PublicationTarget] = {}


def register(target: PublicationTarget) -> PublicationTarget:
    if not target.key:
        raise ValueError("A publication target needs a key")
    existing = _targets.get(target.key)
    if existing is not None:
        if type(existing) is not type(target):
            raise ValueError(f"Publication target {target.key!r} is registered already")
        return existing
    _targets[target.key] = target
    for event in target.events:
        events.subscriber(event, key=f"publication.{target.key}.{event}")(_hearing(target, event))
    return target


def _hearing(target: PublicationTarget, event: str):
    def hear(payload: dict) -> None:
        target.changed(event, payload)

    return hear


def targets() -> list[PublicationTarget]:
    return list(_targets.values())


def target(key: str) -> PublicationTarget:
    return _targets[key]


class SmartSchedulingLinks(PublicationTarget):
    key = "smart"
    label = "SMART Scheduling Links"
    events = ()  # the feed is read on demand: every change shows in the next read

    @staticmethod
    def horizon_days() -> int:
        return int(settings.TERMINARZ_SMART_DAYS)

    def _ids(self, now: dt.datetime, provider_id: int | None) -> tuple[list[int], list[int], list[int]]:
        """The practitioners (opted in and shown online), visible units and the feed's schedules,
        picked first – a few thousand ids – so a slot query is one index range per practitioner."""
        practitioners = public_practitioners().filter(in_aggregators=True)
        units = public_units()
        schedules = public_schedules(clock.local_today(at=now)).filter(practitioner__in_aggregators=True)
        if provider_id:
            practitioners = practitioners.filter(provider_id=provider_id)
            units = units.filter(provider_id=provider_id)
            schedules = schedules.filter(provider_id=provider_id)
        return (
            list(practitioners.values_list("pk", flat=True)),
            list(units.values_list("pk", flat=True)),
            list(schedules.values_list("pk", flat=True)),
        )

    def slots(self, now: dt.datetime, *, provider_id: int | None = None) -> QuerySet[Slot]:
        """The aggregator channel's open slots within the horizon (no sort of the whole feed)."""
        practitioner_ids, unit_ids, schedule_ids = self._ids(now, provider_id)
        return channels.open_slots_for(
            channels.AGGREGATOR, now, practitioner_ids=practitioner_ids, unit_ids=unit_ids
        ).filter(
            # Only slots of the schedules in the feed: every Slot's Schedule resolves in it.
            schedule_id__in=schedule_ids,
            start__lt=now + dt.timedelta(days=self.horizon_days()),
        )

    def changed_slots(self, now: dt.datetime, since: dt.datetime, *, provider_id: int | None = None) -> QuerySet[Slot]:
        """`_since`: the feed's slots within the horizon whose state or offer changed since then
        (taken, freed, blocked, withdrawn from the portal, new) or whose hold ran out since, in
        any state – a client updates each by its status. The slot index on `changed_at` finds
        them; televisit-only, call-center-only and children's slots never belong to the feed."""
        practitioner_ids, unit_ids, schedule_ids = self._ids(now, provider_id)
        changed = Q(changed_at__gte=since) | Q(state=SlotState.HELD, hold_until__gte=since, hold_until__lte=now)
        return (
            Slot.objects.filter(
                changed,
                practitioner_id__in=practitioner_ids,
                unit_id__in=unit_ids,
                schedule_id__in=schedule_ids,
                start__gt=now,
                start__lt=now + dt.timedelta(days=self.horizon_days()),
                callcenter_only=False,
                children="",
            )
            .exclude(televisit=Televisit.ONLY)
            .exclude(Q(provider_id__in=providers_without_nfz_online()) & Q(financing=Financing.NFZ))
        )


SMART = SmartSchedulingLinks()
register(SMART)
