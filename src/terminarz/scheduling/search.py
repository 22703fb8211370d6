"""Availability search: an indexed query over open slots (D1)."""

import base64
import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from terminarz.catalog.models import Payer, Service, Specialization
from terminarz.core import clock
from terminarz.core.db import unprepared
from terminarz.providers.models import RegistrationSettings, Unit
from terminarz.staff.models import Practitioner

from .models import Financing, Slot, SlotState

# Practitioners whose slots are offered online (B3: "rezerwacja online tylko dla" patients or everyone).
BOOKABLE_ONLINE = Q(is_visible_online=True, provider__is_active=True, online_booking_for__in=("everyone", "patients"))


def open_q(now: dt.datetime) -> Q:
    """A slot is open when it fits its schedule and is free, or held with an expired hold (holds
    expire by time; a hold on a day that has since closed opens nothing)."""
    return Q(out_of_schedule=False) & (Q(state=SlotState.FREE) | Q(state=SlotState.HELD, hold_until__lt=now))


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
    # Narrower, for clients that ask by instant and place (FHIR `Appointment/$find`).
    start_from: dt.datetime | None = None
    start_before: dt.datetime | None = None
    location: int | None = None
    department_code: str | None = None
    televisit: list[str] | None = None  # the slot's televisit values accepted
    # D1: what a patient may also ask for (matched on the practitioner: their procedures, the
    # languages they speak; the payer: providers cooperating with that insurer).
    service: str | None = None  # a service's code, or a part of its name
    language: str | None = None
    payer: int | None = None  # a platform insurer's id (catalog.Payer.insurer_ref)


class InvalidCursor(ValueError):
    pass


def encode_cursor(slot: Slot) -> str:
    return cursor_after(slot.start, slot.pk)


def cursor_after(start: dt.datetime, pk: int) -> str:
    raw = json.dumps([start.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        start, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = dt.datetime.fromisoformat(start)
        if parsed.tzinfo is None or not isinstance(pk, int) or not 0 < pk < 2**63:
            raise ValueError
        return parsed, pk
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidCursor("invalid cursor") from exc


def open_slots(
    now: dt.datetime, *, portal: bool = True, check_practitioner: bool = True, check_unit: bool = True
) -> QuerySet[Slot]:
    """Open future slots; on the portal only published, visible ones (see booking.channels),
    honouring first-free-slot-only (only the earliest open slot of the schedule's day is offered).
    A caller that already limited the query to visible practitioners or units skips that join."""
    qs = Slot.objects.filter(open_q(now), start__gt=now)
    if portal:
        qs = qs.filter(portal=True)
        if check_practitioner:
            visible = Practitioner.objects.filter(BOOKABLE_ONLINE)
            qs = qs.filter(practitioner__in=visible)
        if check_unit:
            qs = qs.filter(unit__is_visible=True, unit__location__is_visible=True)
        earlier = Slot.objects.filter(
            open_q(now),
            first_free_only=True,
            schedule_id=OuterRef("schedule_id"),
            day=OuterRef("day"),
            start__lt=OuterRef("start"),
            start__gt=now,
        )
        qs = qs.filter(Q(first_free_only=False) | ~Exists(earlier))
        if no_nfz := providers_without_nfz_online():  # D6 "Obsługa kolejek oczekujących" off
            qs = qs.exclude(Q(provider_id__in=no_nfz) & Q(financing=Financing.NFZ))
    return qs


# The id lookups are versioned and dropped on every change they are computed from
# (scheduling.receivers), so they may live long; the lifetime is only a safety net.
FACET_CACHE_SECONDS = 3600
VERSION_KEY = "slotsearch:version"


def lookup_version() -> int:
    """Bumped by every change that can change the lookups (scheduling.receivers): cached ids of
    an older version are never read again, across processes when the cache is Redis. A version
    lost from the cache starts again from a random value, not from one used before."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), None)
        version = cache.get(VERSION_KEY) or _fresh_version()
    return int(version)


def invalidate_lookups() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there yet (or evicted): any new value differs from cached keys' one
        cache.set(VERSION_KEY, _fresh_version(), None)


def _fresh_version() -> int:
    return secrets.randbits(62)  # room left for increments in a signed 64-bit counter


def _matching_ids(query: SlotQuery) -> tuple[list[int] | None, list[int] | None]:
    """Resolve specialization and city to explicit practitioner and unit ids first: the lists
    are short, so the slot query only walks the open-slot index over the date window.
    Cached (across processes with Redis) until a change they depend on bumps the version."""
    parts = (
        query.specialization,
        query.city,
        query.unit,
        query.practitioner,
        query.service,
        query.language,
        query.payer,
    )
    # JSON keeps an empty filter (null) apart from the text "None" and the fields apart.
    raw = json.dumps([str(v).strip().lower() if v is not None else None for v in parts])
    key = f"slotsearch:ids:{lookup_version()}:" + hashlib.sha1(raw.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = _resolve_ids(query)
    cache.set(key, result, FACET_CACHE_SECONDS)
    return result


def _resolve_ids(query: SlotQuery) -> tuple[list[int] | None, list[int] | None]:
    unit_ids = None
    if query.city or query.unit:
        units = Unit.objects.filter(is_visible=True, location__is_visible=True)
        if query.city:
            units = units.filter(location__city__iexact=query.city.strip())
        if query.unit:
            units = units.filter(pk=query.unit)
        unit_ids = list(units.values_list("pk", flat=True))
    practitioner_ids = None
    if query.specialization or query.practitioner or query.service or query.language or query.payer:
        practitioners = Practitioner.objects.filter(BOOKABLE_ONLINE)
        if query.service:
            text = query.service.strip()
            services = Service.objects.filter(is_active=True, self_service=True).filter(
                Q(code__iexact=text) | Q(name__icontains=text)
            )
            practitioners = practitioners.filter(procedures__in=services)
        if query.language:
            practitioners = practitioners.filter(languages__icontains=query.language.strip())
        if query.payer:
            payers = Payer.objects.filter(insurer_ref=query.payer, is_active=True)
            practitioners = practitioners.filter(provider_id__in=payers.values("provider_id"))
        if query.specialization:
            spec = query.specialization.strip()
            spec_ids = list(
                Specialization.objects.filter(Q(code__iexact=spec) | Q(name__iexact=spec)).values_list("pk", flat=True)
            )
            practitioners = practitioners.filter(specializations__in=spec_ids)
        if query.practitioner:
            practitioners = practitioners.filter(pk=query.practitioner)
        if unit_ids is not None:
            # Only practitioners with a schedule in one of the matching units.
            practitioners = practitioners.filter(schedules__unit_id__in=unit_ids)
        practitioner_ids = sorted(set(practitioners.values_list("pk", flat=True)))
    return practitioner_ids, unit_ids


def closed_provider_ids() -> list[int]:
    """Providers whose online registration is off (hidden from portal search), cached under the
    lookups' version (read before the query, so a list read before a change is never stored
    under the version after it)."""
    key = f"slotsearch:closed-providers:{lookup_version()}"
    cached = cache.get(key)
    if cached is None:
        cached = list(
            RegistrationSettings.objects.filter(online_registration=False).values_list("provider_id", flat=True)
        )
        cache.set(key, cached, FACET_CACHE_SECONDS)
    return cached


def providers_without_nfz_online() -> list[int]:
    """Providers that do not offer their NFZ slots online, cached like `closed_provider_ids`."""
    key = f"slotsearch:no-nfz-providers:{lookup_version()}"
    cached = cache.get(key)
    if cached is None:
        cached = list(RegistrationSettings.objects.filter(nfz_queues=False).values_list("provider_id", flat=True))
        cache.set(key, cached, FACET_CACHE_SECONDS)
    return cached


def filter_choices() -> dict[str, list]:
    """What the portal's D1 filters offer: the services bookable online with a visible
    practitioner, the languages visible practitioners speak and the insurers (id, name) that
    cooperate with a provider; cached under the lookups' version like the id lookups."""
    key = f"slotsearch:choices:{lookup_version()}"
    cached = cache.get(key)
    if cached is None:
        visible = Practitioner.objects.filter(BOOKABLE_ONLINE)
        services = (
            Service.objects.filter(is_active=True, self_service=True, practitioners__in=visible)
            .order_by("name")
            .values_list("name", flat=True)
            .distinct()[:300]
        )
        languages: set[str] = set()
        for text in visible.exclude(languages="").values_list("languages", flat=True):
            languages.update(part.strip().lower() for part in text.split(",") if part.strip())
        payers = dict(Payer.objects.filter(is_active=True).order_by("name").values_list("insurer_ref", "name"))
        cached = {
            "services": list(services),
            "languages": sorted(languages),
            "payers": sorted(payers.items(), key=lambda item: item[1]),
        }
        cache.set(key, cached, FACET_CACHE_SECONDS)
    return cached


def open_slot_query(query: SlotQuery, *, now: dt.datetime, portal: bool = True) -> QuerySet[Slot] | None:
    """Open slots matching the query on the channel (portal: online rules), unordered; None when
    nothing can match. Shared by the paged search and the availability read, so both return
    the same slots for the same filters."""
    qs, practitioner_ids = _open_slot_query(query, now=now, portal=portal)
    if qs is None or practitioner_ids is None:
        return qs
    return qs.filter(practitioner_id__in=practitioner_ids)


def _open_slot_query(
    query: SlotQuery, *, now: dt.datetime, portal: bool
) -> tuple[QuerySet[Slot] | None, list[int] | None]:
    """The open-slot query without its practitioner filter, and the practitioner ids it needs
    (None: any practitioner; the query then checks visibility itself)."""
    practitioner_ids, unit_ids = _matching_ids(query)
    qs = open_slots(now, portal=portal, check_practitioner=practitioner_ids is None, check_unit=unit_ids is None)
    if practitioner_ids == [] or unit_ids == []:
        return None, practitioner_ids
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if query.provider:
        qs = qs.filter(provider_id=query.provider)
    if portal and (closed := closed_provider_ids()):
        qs = qs.exclude(provider_id__in=closed)
    if query.financing:
        qs = qs.filter(financing=query.financing)
    if query.visit_kind == "first":
        qs = qs.filter(followup_only=False)
    elif query.visit_kind == "followup":
        qs = qs.filter(first_visit_only=False)
    # Local days as UTC bounds on start, so the index range starts at the window.
    if query.date_from:
        qs = qs.filter(start__gte=dt.datetime.combine(query.date_from, dt.time(0), clock.WARSAW))
    if query.date_to:
        qs = qs.filter(start__lt=dt.datetime.combine(query.date_to + dt.timedelta(days=1), dt.time(0), clock.WARSAW))
    if query.start_from:
        qs = qs.filter(start__gte=query.start_from)
    if query.start_before:
        qs = qs.filter(start__lt=query.start_before)
    if query.location:
        qs = qs.filter(unit__location_id=query.location)
    if query.department_code:
        qs = qs.filter(unit__department_code=query.department_code)
    if query.televisit is not None:
        qs = qs.filter(televisit__in=query.televisit)
    if query.payer:  # an insurer's patients book the provider's private visits
        qs = qs.filter(financing=Financing.PRIVATE)
    return qs, practitioner_ids


# A practitioner id no row has: marks the place of the per-practitioner condition in the SQL the
# ORM writes for the LATERAL form below.
_LATERAL_MARK = -7_203_914_551


# SQLite caps a compound SELECT at 500 terms: more practitioners than this read the plain way.
UNION_MAX_PRACTITIONERS = 400


def _top_n_page_sql(qs: QuerySet[Slot], practitioner_ids: list[int], n: int) -> tuple[str, list] | None:
    """SQL of (id, start) of the first `n` slots by (start, id) of many practitioners, read as
    a top-n per practitioner on the (practitioner, start) index and merged: each practitioner's
    scan stops after n rows instead of reading every slot of the window. PostgreSQL: LATERAL
    over the id array; SQLite: one LIMITed term per practitioner, UNION ALL. None: too many
    practitioners for SQLite's form (the caller reads the plain way)."""
    inner = qs.filter(practitioner_id=_LATERAL_MARK).order_by("start", "pk").values_list("pk", "start")[:n]
    sql, params = inner.query.sql_with_params()
    marks = [i for i, value in enumerate(params) if value == _LATERAL_MARK]
    pieces = sql.split("%s")
    if len(marks) != 1 or len(pieces) != len(params) + 1:
        raise RuntimeError("unexpected SQL for the top-n page query")
    at = marks[0]
    if connection.vendor == "postgresql":
        inner_sql = "%s".join(pieces[: at + 1]) + "p.id" + "%s".join(pieces[at + 1 :])
        inner_params = list(params[:at]) + list(params[at + 1 :])
        outer = (
            f"SELECT s.pk, s.start FROM unnest(%s::bigint[]) AS p(id) CROSS JOIN LATERAL ({inner_sql}) s "
            "ORDER BY s.start, s.pk LIMIT %s"
        )
        return outer, [practitioner_ids, *inner_params, n]
    if len(practitioner_ids) > UNION_MAX_PRACTITIONERS:
        return None
    terms, union_params = [], []
    for practitioner_id in practitioner_ids:
        terms.append(f"SELECT * FROM ({sql})")
        union_params += [*params[:at], practitioner_id, *params[at + 1 :]]
    return " UNION ALL ".join(terms) + " ORDER BY 2, 1 LIMIT %s", [*union_params, n]


def page_sql(query: SlotQuery, *, now: dt.datetime, n: int, cursor: str | None = None, portal: bool = True):
    """SQL and parameters of (id, start) of the first `n` open slots by (start, id) after the
    cursor, the way `search_slots` finds its page; None when nothing can match."""
    qs, practitioner_ids = _search_queryset(query, now=now, cursor=cursor, portal=portal)
    if qs is None:
        return None
    if practitioner_ids is not None and len(practitioner_ids) > 1:
        top_n = _top_n_page_sql(qs, practitioner_ids, n)
        if top_n is not None:
            return top_n
    if practitioner_ids is not None:
        qs = qs.filter(practitioner_id__in=practitioner_ids)
    return qs.order_by("start", "pk").values_list("pk", "start")[:n].query.sql_with_params()


def _search_queryset(query: SlotQuery, *, now: dt.datetime, cursor: str | None, portal: bool):
    qs, practitioner_ids = _open_slot_query(query, now=now, portal=portal)
    if qs is not None and cursor:
        after_start, after_pk = decode_cursor(cursor)
        qs = qs.filter(Q(start__gt=after_start) | Q(start=after_start, pk__gt=after_pk))
    return qs, practitioner_ids


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
    # Find the page on the slot index alone, then load its related rows: joining before the
    # LIMIT would join every candidate slot.
    found = page_sql(query, now=now, n=limit + 1, cursor=cursor, portal=portal)
    if found is None:
        return [], None
    with unprepared(), connection.cursor() as db:
        db.execute(*found)
        page_ids = [row[0] for row in db.fetchall()]
    page = sorted(
        Slot.objects.filter(pk__in=page_ids)
        .select_related("practitioner", "unit__location")
        .prefetch_related("practitioner__specializations"),
        key=lambda slot: (slot.start, slot.pk),
    )
    next_cursor = encode_cursor(page[limit - 1]) if len(page) > limit else None
    return page[:limit], next_cursor
