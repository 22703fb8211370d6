"""Channels and audiences (C2, C4, B3): where a slot may be offered and booked.

Channels: the public portal and the public API ("online"), the desk / call center, and later
the payers' desk, aggregator feeds and widgets. The rules, in one place:

- online (portal, API, FHIR clients, widgets): the schedule is published online, the block is not
  "widoczne tylko w CallCenter", the block is not for healthy or sick children (seed 000: those
  go only to insurers' systems), the practitioner is published online and takes online
  bookings from patients (B3: not "płatników i CallCenter" only), the unit and its location are
  visible, and a "first free slot only" schedule offers only its earliest open slot of the day.
  Most of that is folded into `Slot.portal` when slots are generated, so the search for the
  channel stays one indexed query (`scheduling.search.open_slots`).
- desk (registrar, call center, the provider's own clinic system over FHIR): every slot of the
  provider.
- payers (an insurer's desk, G6): a slot of a block that names the insurer's payer, in a schedule
  published online, never NFZ; the practitioner published and taking bookings from payers (B3:
  "wszystkich" or "płatników i CallCenter"), the unit, its location and the provider visible
  and active. Call-center-only and children's blocks are offered here (seed 000: healthy and
  sick children's blocks go to insurers). Which insurer and whether its cooperation allows
  online booking is the insurers app's own check (policy `insurers.payer_booking`).
- aggregators (SMART Scheduling Links, later): as online, and never televisit-only slots.
"""

import datetime as dt

from django.db.models import QuerySet

from terminarz.providers.models import settings_of
from terminarz.scheduling.models import Financing, Slot, Televisit
from terminarz.scheduling.search import open_q, open_slots

from .models import Source

ONLINE = frozenset({Source.PORTAL, Source.API, Source.FHIR})
AGGREGATOR = "aggregator"
PAYER = Source.PAYER
PATIENT_AUDIENCES = frozenset({"everyone", "patients"})
PAYER_AUDIENCES = frozenset({"everyone", "payers"})


def payer_slots(now: dt.datetime, payer_ids: list[int]) -> QuerySet[Slot]:
    """Open future slots offered to these payers (an insurer's payer rows at its providers)."""
    return (
        open_slots(now, portal=False)
        .filter(
            block__payers__in=payer_ids,
            schedule__is_published_online=True,
            provider__is_active=True,
            practitioner__is_visible_online=True,
            practitioner__online_booking_for__in=PAYER_AUDIENCES,
            unit__is_visible=True,
            unit__location__is_visible=True,
        )
        .exclude(financing=Financing.NFZ)
        .distinct()
    )


def offered_to_payer(slot: Slot, payer_id: int | None) -> bool:
    if payer_id is None or slot.financing == Financing.NFZ or slot.block is None:
        return False
    if not (slot.schedule.is_published_online and slot.provider.is_active):
        return False
    practitioner = slot.practitioner
    if not (practitioner.is_visible_online and practitioner.online_booking_for in PAYER_AUDIENCES):
        return False
    if not (slot.unit.is_visible and slot.unit.location.is_visible):
        return False
    return slot.block.payers.filter(pk=payer_id, is_active=True).exists()


def open_slots_for(
    channel: str, now: dt.datetime, *, practitioner_ids: list[int] | None = None, unit_ids: list[int] | None = None
) -> QuerySet[Slot]:
    """Open future slots offered on the channel (one query). A caller that already picked the
    practitioners and units the channel shows (ids of `Practitioner` rows matching
    `scheduling.search.BOOKABLE_ONLINE`, of visible units in visible locations) passes them, and
    the per-row joins are skipped – a feed of every slot reads much faster that way."""
    preselected = practitioner_ids is not None and unit_ids is not None
    if channel in ONLINE or channel == AGGREGATOR:
        slots = open_slots(now, portal=True, check_practitioner=not preselected, check_unit=not preselected)
        if practitioner_ids is not None and unit_ids is not None:
            slots = slots.filter(practitioner_id__in=practitioner_ids, unit_id__in=unit_ids)
        return slots.exclude(televisit=Televisit.ONLY) if channel == AGGREGATOR else slots
    return open_slots(now, portal=False)


def offered(slot: Slot, channel: str, *, now: dt.datetime, payer_id: int | None = None) -> bool:
    """Whether this slot is offered on the channel. A slot that is merely taken counts as
    offered, so the patient hears "zajęty" rather than "niedostępny"."""
    if channel == PAYER:
        return offered_to_payer(slot, payer_id)
    if channel not in ONLINE and channel != AGGREGATOR:
        return True
    if not slot.portal or slot.callcenter_only or slot.children:
        return False
    if channel == AGGREGATOR and slot.televisit == Televisit.ONLY:
        return False
    practitioner = slot.practitioner
    if not (practitioner.is_visible_online and practitioner.online_booking_for in PATIENT_AUDIENCES):
        return False
    if not slot.provider.is_active:  # as search (scheduling.search.BOOKABLE_ONLINE)
        return False
    if not (slot.unit.is_visible and slot.unit.location.is_visible):
        return False
    if slot.financing == Financing.NFZ and not settings_of(slot.provider).nfz_queues:
        return False  # D6 "Obsługa kolejek oczekujących" off (as search; the settings come with the slot)
    if slot.first_free_only:
        earlier_open = Slot.objects.filter(
            open_q(now),
            first_free_only=True,
            schedule_id=slot.schedule_id,
            day=slot.day,
            start__gt=now,
            start__lt=slot.start,
        )
        if earlier_open.exists():
            return False
    return True
