"""SMART Scheduling Links (K2): a `$bulk-publish` manifest for the whole platform and one per
provider, and the NDJSON files it points at (Location, Schedule, Slot), streamed row by row so
memory stays flat whatever the size.

What is published is the aggregator channel (`booking.channels.AGGREGATOR`): what the portal
offers, less televisit-only slots, and only practitioners the provider opted in
(`Practitioner.in_aggregators`). Slots run from now for `TERMINARZ_SMART_DAYS` days; every slot
links to the portal's booking page for it (`booking-deep-link`), which accepts the `source` and
`booking-referral` parameters clients append. Every Schedule's Location and every Slot's
Schedule is in the same feed.

`_since` on the manifest is carried to the file URLs. The Slot file then holds only the slots
that changed since (`Slot.changed_at`, or a hold that ran out), in whatever state they are now –
busy, free, busy-unavailable – so a client updates its copy; the Location and Schedule files stay
complete (small, and the specification lets a server return more than changed). Clients get
`Cache-Control: max-age` to poll sensibly."""

import datetime as dt
from collections.abc import Iterator
from typing import TypeVar
from urllib.parse import urlencode

import orjson
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from terminarz.booking import publication
from terminarz.booking.public import public_locations, public_schedules
from terminarz.core import clock
from terminarz.core.tenancy import public_scope
from terminarz.providers.models import Location, Provider
from terminarz.scheduling.models import Schedule, Slot

from . import codes, resources
from .responses import fhir_response, limited

CHUNK = 2000
R = TypeVar("R", HttpResponse, StreamingHttpResponse)
FILES = (("Location", "locations"), ("Schedule", "schedules"), ("Slot", "slots"))


def horizon_days() -> int:
    return publication.SMART.horizon_days()


def feed_schedules(today: dt.date, provider_id: int | None) -> QuerySet[Schedule]:
    """Public schedules (published, of providers taking bookings online) of opted-in practitioners."""
    schedules = public_schedules(today).filter(practitioner__in_aggregators=True)
    return schedules.filter(provider_id=provider_id) if provider_id else schedules


def feed_locations(today: dt.date, provider_id: int | None) -> QuerySet[Location]:
    """Locations that have a schedule in the feed (so a client never gets an empty place)."""
    used = feed_schedules(today, provider_id).values("unit__location_id")
    return public_locations().filter(pk__in=used).select_related("provider")


def feed_slots(now: dt.datetime, provider_id: int | None) -> QuerySet[Slot]:
    """The SMART target's slots (`booking.publication.SmartSchedulingLinks`)."""
    return publication.SMART.slots(now, provider_id=provider_id)


def _lines(kind: str, now: dt.datetime, provider_id: int | None, since: dt.datetime | None = None) -> Iterator[bytes]:
    """One minified resource per line, read in chunks inside the public scope (a streamed body
    is produced after the middleware's scope has ended)."""
    today = clock.local_today(at=now)
    with public_scope():
        if kind == "Location":
            for place in feed_locations(today, provider_id).order_by("pk").iterator(chunk_size=CHUNK):
                yield orjson.dumps(resources.location(place, phone=place.provider.phone)) + b"\n"
        elif kind == "Schedule":
            schedules = feed_schedules(today, provider_id).order_by("pk")
            for row in schedules.iterator(chunk_size=CHUNK):
                resource = resources.schedule(
                    row, specializations=row.practitioner.specializations.all(), phone=row.provider.phone, feed=True
                )
                yield orjson.dumps(resource) + b"\n"
        elif since is not None:
            changed = (
                publication.SMART.changed_slots(now, since, provider_id=provider_id)
                .order_by("practitioner_id", "start")
                .values_list("pk", "schedule_id", "start", "end", "state", "out_of_schedule", "hold_until", "portal")
            )
            link_format = resources.booking_link_format()
            for slot_id, schedule_id, start, end, state, out, hold_until, portal in changed.iterator(chunk_size=CHUNK):
                status = resources.slot_status(state, out, hold_until, now) if portal else "busy-unavailable"
                resource = resources.slot(slot_id, schedule_id, start, end, status=status, link_format=link_format)
                yield orjson.dumps(resource) + b"\n"
        else:
            rows = (
                feed_slots(now, provider_id)
                .order_by("practitioner_id", "start")
                .values_list("pk", "schedule_id", "start", "end")
            )
            link_format = resources.booking_link_format()
            for slot_id, schedule_id, start, end in rows.iterator(chunk_size=CHUNK):
                resource = resources.slot(slot_id, schedule_id, start, end, link_format=link_format)
                yield orjson.dumps(resource) + b"\n"


class UnknownProvider(Exception):
    pass


def _provider_id(provider_id: int | None) -> int | None:
    if provider_id is None:
        return None
    if not Provider.objects.filter(is_active=True, pk=provider_id).exists():
        raise UnknownProvider
    return provider_id


def _unknown() -> HttpResponse:
    outcome = resources.operation_outcome("not_found", "Nie ma takiej placówki w Terminarzu.", issue="not-found")
    return fhir_response(outcome, 404)


def _cached(response: R) -> R:
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
@limited
def manifest(request: HttpRequest, provider_id: int | None = None) -> HttpResponse:
    """The manifest ("$bulk-publish"): when it was made, its own URL, the files."""
    try:
        provider_id = _provider_id(provider_id)
    except UnknownProvider:
        return _unknown()
    now = clock.now()
    since = request.GET.get("_since", "")
    if since and _since(since) is None:
        return _bad_since()
    suffix = "?" + urlencode({"_since": since}) if since else ""
    args = [provider_id] if provider_id else []
    name = "fhir:smart-provider-file" if provider_id else "fhir:smart-file"
    body = {
        "transactionTime": resources.instant(now),
        "request": resources.site_url(request.path + suffix),
        "output": [
            {"type": kind, "url": resources.site_url(reverse(name, args=[*args, file]) + suffix)}
            for kind, file in FILES
        ],
        "error": [],
    }
    return _cached(fhir_response(body))


@require_GET
@limited
def ndjson(request: HttpRequest, file: str, provider_id: int | None = None) -> HttpResponse | StreamingHttpResponse:
    kinds = {name: kind for kind, name in FILES}
    if file not in kinds:
        return fhir_response(resources.operation_outcome("not_found", "Nie ma takiego pliku.", issue="not-found"), 404)
    try:
        provider_id = _provider_id(provider_id)
    except UnknownProvider:
        return _unknown()
    raw = request.GET.get("_since", "")
    since = _since(raw) if raw else None
    if raw and since is None:
        return _bad_since()
    response = StreamingHttpResponse(
        _lines(kinds[file], clock.now(), provider_id, since), content_type=codes.FHIR_NDJSON
    )
    return _cached(response)


def _since(raw: str) -> dt.datetime | None:
    """`_since` as an instant with its offset (None when it is not one)."""
    try:
        moment = dt.datetime.fromisoformat(raw[:40])
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _bad_since() -> HttpResponse:
    outcome = resources.operation_outcome(
        "invalid_param", "„_since” musi być chwilą ze strefą czasową (ISO 8601, np. 2026-12-01T10:00:00+01:00)."
    )
    return fhir_response(outcome, 400)
