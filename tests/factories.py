"""Test data builders. Configuration rows are plain inserts; bookings go through services."""

import datetime as dt
import itertools

from terminarz.catalog.services import ensure_specializations
from terminarz.core import clock
from terminarz.legal import services as legal
from terminarz.providers.models import Location, Provider, Unit
from terminarz.scheduling.models import Financing, Schedule, ScheduleBlock
from terminarz.scheduling.services import generate_slots
from terminarz.staff.models import Practitioner
from terminarz.subscriptions.models import Subscription

_seq = itertools.count(1)

VALID_PESEL = "44051401359"
PATIENT = {
    "first_name": "Jan",
    "last_name": "Kowalski",
    "email": "jan.kowalski@example.com",
    "phone": "600 100 200",
    "pesel": "",
    "note": "",
    # The review step's confirmation with the platform terms ticked (portal bookings).
    "action": "confirm",
    "accept_terms": "on",
    "terms_version": "1.0",
}


def make_provider(name: str = "Przychodnia Testowa", city: str = "Kraków", *, subscribed: bool = True) -> Provider:
    n = next(_seq)
    provider = Provider.objects.create(name=f"{name} {n}", slug=f"p-{n}")
    Location.objects.create(
        provider=provider,
        number=1,
        name=f"{name} {n}",
        street="ul. Długa 1",
        postal_code="31-000",
        city=city,
        voivodeship="12",
    )
    # A provider on the platform has accepted the provider terms in force (A3; as at approval).
    legal.provider_accepts(provider.pk, kind="provider", user=None, now=clock.now())
    if subscribed:  # online registration for up to 500 published schedules (A4)
        today = clock.local_today()
        Subscription.unscoped.create(
            provider=provider,
            kind="full",
            quantity=500,
            status="active",
            valid_from=today,
            valid_to=today + dt.timedelta(days=365),
            ordered_at=clock.now(),
            activated_at=clock.now(),
        )
    return provider


def make_unit(provider: Provider, name: str = "Poradnia kardiologiczna", code: str | None = None) -> Unit:
    return Unit.objects.create(
        provider=provider,
        location=provider.locations.first(),
        code=code or f"U{next(_seq)}",
        department_code="1100",
        name=name,
    )


def make_practitioner(provider: Provider, unit: Unit, spec: str = "kardiologia", **kw) -> Practitioner:
    specs = ensure_specializations()
    n = next(_seq)
    practitioner = Practitioner.objects.create(
        provider=provider, first_name=kw.pop("first_name", "Anna"), last_name=kw.pop("last_name", f"Nowak{n}"), **kw
    )
    practitioner.specializations.set([specs[spec]])
    practitioner.units.set([unit])
    return practitioner


def make_schedule(
    practitioner: Practitioner,
    unit: Unit,
    *,
    valid_from: dt.date,
    blocks: list[dict],
    published: bool = True,
) -> Schedule:
    schedule = Schedule.objects.create(
        provider=practitioner.provider,
        practitioner=practitioner,
        unit=unit,
        valid_from=valid_from,
        is_published_online=published,
    )
    for block in blocks:
        defaults = {"slot_minutes": 15, "financing": Financing.NFZ}
        ScheduleBlock.objects.create(schedule=schedule, **{**defaults, **block})
    return schedule


def every_day(start: dt.time, end: dt.time, **opts) -> list[dict]:
    return [{"weekday": d, "start_time": start, "end_time": end, **opts} for d in range(7)]


def clinic(
    *,
    today: dt.date,
    days: int = 14,
    blocks: list[dict] | None = None,
    spec: str = "kardiologia",
    city: str = "Kraków",
    provider: Provider | None = None,
):
    """A provider with one practitioner whose slots are generated for `days` days."""
    provider = provider or make_provider(city=city)
    unit = make_unit(provider)
    practitioner = make_practitioner(provider, unit, spec=spec)
    schedule = make_schedule(practitioner, unit, valid_from=today, blocks=blocks or every_day(dt.time(8), dt.time(12)))
    generate_slots(schedule, start_day=today, end_day=today + dt.timedelta(days=days - 1))
    return provider, unit, practitioner, schedule
