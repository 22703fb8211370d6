"""What anyone may see (the portal's rules), as querysets: active providers, approved visible
locations and units, practitioners published online, public schedules and the open slots of
the public API channel. Shared by the FHIR API, the SMART Scheduling Links feed and the
publication targets (`booking.publication`)."""

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from terminarz.catalog.models import Specialization
from terminarz.core import clock
from terminarz.providers.models import Location, LocationStatus, Provider, Unit
from terminarz.scheduling.models import Schedule, Slot
from terminarz.scheduling.search import BOOKABLE_ONLINE, closed_provider_ids
from terminarz.staff.models import Practitioner

from . import channels
from .models import Source


def public_providers() -> QuerySet[Provider]:
    return Provider.objects.filter(is_active=True)


def open_providers() -> QuerySet[Provider]:
    """Active providers taking bookings online (the portal's search hides the others)."""
    return public_providers().exclude(pk__in=closed_provider_ids())


def public_locations() -> QuerySet[Location]:
    return Location.objects.filter(provider__is_active=True, is_visible=True, status=LocationStatus.APPROVED)


def public_units() -> QuerySet[Unit]:
    return Unit.objects.filter(
        provider__is_active=True, is_visible=True, location__is_visible=True, location__status=LocationStatus.APPROVED
    )


def public_practitioners() -> QuerySet[Practitioner]:
    return Practitioner.objects.filter(BOOKABLE_ONLINE)


def public_roles() -> QuerySet:
    """Practitioners published online in visible units (rows of `Practitioner.units`)."""
    return (
        Practitioner.units.through.objects.filter(practitioner__in=public_practitioners(), unit__in=public_units())
        .select_related("unit__provider")
        .prefetch_related(
            Prefetch("practitioner__specializations", queryset=Specialization.objects.order_by("name")),
        )
    )


def public_schedules(today: dt.date) -> QuerySet[Schedule]:
    return (
        Schedule.objects.filter(
            is_published_online=True,
            practitioner__in=public_practitioners(),
            unit__in=public_units(),
        )
        .exclude(provider_id__in=closed_provider_ids())
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("practitioner", "unit", "provider")
        .prefetch_related(Prefetch("practitioner__specializations", queryset=Specialization.objects.order_by("name")))
    )


def public_slots(now: dt.datetime) -> QuerySet[Slot]:
    """The API channel's open slots whose schedule is public too (a slot keeps the unit it was
    generated in; the schedule says where it is offered now)."""
    return channels.open_slots_for(Source.API, now).filter(
        schedule__in=public_schedules(clock.local_today(at=now)).values("pk")
    )
