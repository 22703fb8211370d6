"""Availability search: an indexed query over open slots (D1)."""

import base64
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from terminarz.core import clock
from terminarz.staff.models import Practitioner

from .models import Slot, SlotState


def open_q(now: dt.datetime) -> Q:
    """A slot is open when free, or held with an expired hold (holds expire by time)."""
    return Q(state=SlotState.FREE) | Q(state=SlotState.HELD, hold_until__lt=now)


@dataclass
class SlotQuery:
    specialization: str | None = None
    city: str | None = None
    provider: int | None = None
    unit: int | None = None
    practitioner: int | None = None
    financing: str | None = None
    visit_kind: str | None = None  # "first" | "followup": the patient's answer
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class InvalidCursor(ValueError):
    pass


def encode_cursor(slot: Slot) -> str:
    raw = json.dumps([slot.start.isoformat(), slot.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        start, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = dt.datetime.fromisoformat(start)
        if parsed.tzinfo is None or not isinstance(pk, int):
            raise ValueError
        return parsed, pk
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidCursor("invalid cursor") from exc


def open_slots(now: dt.datetime, *, portal: bool = True) -> QuerySet[Slot]:
    """Open future slots; on the portal only published, visible ones, honouring
    first-free-slot-only (only the earliest open slot of the block's day is offered)."""
    qs = Slot.objects.filter(open_q(now), start__gt=now)
    if portal:
        visible = Practitioner.objects.filter(is_visible_online=True, provider__is_active=True)
        qs = qs.filter(
            portal=True,
            practitioner__in=visible,
            unit__is_visible=True,
            unit__location__is_visible=True,
        )
        earlier = Slot.objects.filter(
            open_q(now),
            block_id=OuterRef("block_id"),
            day=OuterRef("day"),
            start__lt=OuterRef("start"),
            start__gt=now,
        )
        qs = qs.filter(Q(first_free_only=False) | ~Exists(earlier))
    return qs


def search_slots(
    query: SlotQuery,
    *,
    now: dt.datetime | None = None,
    limit: int = 20,
    cursor: str | None = None,
    portal: bool = True,
) -> tuple[list[Slot], str | None]:
    """Earliest open slots first, keyset-paginated; returns (page, next cursor)."""
    now = now or clock.now()
    qs = open_slots(now, portal=portal)
    practitioners = None
    if query.specialization:
        spec = query.specialization.strip()
        practitioners = Practitioner.objects.filter(
            Q(specializations__code__iexact=spec) | Q(specializations__name__iexact=spec)
        )
    if query.practitioner:
        qs = qs.filter(practitioner_id=query.practitioner)
    if practitioners is not None:
        qs = qs.filter(practitioner__in=practitioners.values("pk"))
    if query.city:
        qs = qs.filter(unit__location__city__iexact=query.city.strip())
    if query.provider:
        qs = qs.filter(provider_id=query.provider)
    if query.unit:
        qs = qs.filter(unit_id=query.unit)
    if query.financing:
        qs = qs.filter(financing=query.financing)
    if query.visit_kind == "first":
        qs = qs.filter(followup_only=False)
    elif query.visit_kind == "followup":
        qs = qs.filter(first_visit_only=False)
    if query.date_from:
        qs = qs.filter(day__gte=query.date_from)
    if query.date_to:
        qs = qs.filter(day__lte=query.date_to)
    if cursor:
        after_start, after_pk = decode_cursor(cursor)
        qs = qs.filter(Q(start__gt=after_start) | Q(start=after_start, pk__gt=after_pk))
    page = list(
        qs.select_related("practitioner", "unit__location", "provider", "block")
        .prefetch_related("practitioner__specializations")
        .order_by("start", "pk")[: limit + 1]
    )
    next_cursor = encode_cursor(page[limit - 1]) if len(page) > limit else None
    return page[:limit], next_cursor
