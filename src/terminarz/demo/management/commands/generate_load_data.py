"""Synthetic data for benchmarks: P providers, N practitioners, D days of slots.
Bulk inserts in batches; memory stays bounded (one schedule's slots at a time)."""

import datetime as dt
import multiprocessing
import random
import resource
import time

from django.core.management.base import BaseCommand
from django.db import connections, transaction

from terminarz.catalog.services import ensure_specializations
from terminarz.core import clock
from terminarz.core.tenancy import system_task
from terminarz.legal import services as legal
from terminarz.legal.models import TermsAcceptance
from terminarz.providers.models import Location, Provider, Unit
from terminarz.scheduling.models import Financing, Schedule, ScheduleBlock
from terminarz.scheduling.search import invalidate_lookups
from terminarz.scheduling.services import generate_slots
from terminarz.staff.models import Practitioner
from terminarz.staff.pwz import make_pwz
from terminarz.subscriptions.models import Subscription

# City → voivodeship (TERYT code).
CITY_VOIVODESHIP = {
    "Kraków": "12",
    "Warszawa": "14",
    "Wrocław": "02",
    "Poznań": "30",
    "Gdańsk": "22",
    "Łódź": "10",
    "Katowice": "24",
    "Lublin": "06",
    "Białystok": "20",
    "Rzeszów": "18",
    "Szczecin": "32",
    "Bydgoszcz": "04",
    "Toruń": "04",
    "Kielce": "26",
    "Opole": "16",
    "Olsztyn": "28",
}
CITIES = list(CITY_VOIVODESHIP)
FIRST = ["Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Marek", "Ewa", "Jan", "Agnieszka", "Paweł"]
LAST = ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński"]
BATCH = 1000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@system_task
def _generate_for(
    schedule_ids: list[int], today: dt.date, end_day: dt.date, in_child: bool = False
) -> tuple[int, float]:
    created = 0
    qs = Schedule.objects.select_related("unit__location").prefetch_related("blocks")
    for i in range(0, len(schedule_ids), 200):
        with transaction.atomic():
            for schedule in qs.filter(pk__in=schedule_ids[i : i + 200]):
                created += generate_slots(schedule, start_day=today, end_day=end_day).created
    if in_child:
        connections.close_all()
    return created, peak_rss_mb()


class Command(BaseCommand):
    help = "Generate load-test data: providers, practitioners, schedules and slots."

    def add_arguments(self, parser):
        parser.add_argument("--providers", type=int, default=10)
        parser.add_argument("--practitioners", type=int, default=100)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--jobs", type=int, default=1, help="processes generating slots in parallel")

    @system_task
    def handle(self, *args, providers: int, practitioners: int, days: int, seed: int, jobs: int, **options):
        rng = random.Random(seed)
        today = clock.local_today()
        specs = list(ensure_specializations().values())
        tag = f"load-{int(time.time())}"
        t0 = time.perf_counter()
        with transaction.atomic():
            provs = Provider.objects.bulk_create(
                Provider(name=f"Placówka testowa {i + 1}", slug=f"{tag}-{i}") for i in range(providers)
            )
            terms = legal.in_force("provider", clock.now())
            TermsAcceptance.objects.bulk_create(
                TermsAcceptance(document=terms, provider_ref=p.pk, channel="load-data", accepted_at=clock.now())
                for p in provs
            )
            Subscription.unscoped.bulk_create(
                Subscription(
                    provider=p,
                    kind="full",
                    quantity=500,
                    status="active",
                    valid_from=today,
                    valid_to=today + dt.timedelta(days=365),
                    ordered_at=clock.now(),
                    activated_at=clock.now(),
                )
                for p in provs
            )
            locs = Location.objects.bulk_create(
                Location(
                    provider=p,
                    number=1,
                    name=p.name,
                    street=f"ul. Testowa {i + 1}",
                    postal_code="00-001",
                    city=CITIES[i % len(CITIES)],
                    voivodeship=CITY_VOIVODESHIP[CITIES[i % len(CITIES)]],
                )
                for i, p in enumerate(provs)
            )
            units = Unit.objects.bulk_create(
                Unit(
                    provider=p,
                    location=loc,
                    code=f"U{k}",
                    department_code="1100",
                    name=f"Poradnia {specs[(i + k) % len(specs)].name.lower()}",
                )
                for i, (p, loc) in enumerate(zip(provs, locs, strict=True))
                for k in range(4)
            )
        units_by_provider: dict[int, list[Unit]] = {}
        for unit in units:
            units_by_provider.setdefault(unit.provider_id, []).append(unit)

        schedule_ids: list[int] = []
        for start in range(0, practitioners, BATCH):
            count = min(BATCH, practitioners - start)
            with transaction.atomic():
                batch = [
                    Practitioner(
                        provider=provs[(start + j) % providers],
                        title="lek.",
                        first_name=rng.choice(FIRST),
                        last_name=rng.choice(LAST),
                        pwz=make_pwz(100_000 + start + j),
                    )
                    for j in range(count)
                ]
                Practitioner.objects.bulk_create(batch)
                through_spec = Practitioner.specializations.through
                through_unit = Practitioner.units.through
                spec_rows, unit_rows, schedules, chosen_units = [], [], [], []
                for p in batch:
                    for s in rng.sample(specs, rng.choice([1, 1, 2])):
                        spec_rows.append(through_spec(practitioner_id=p.pk, specialization_id=s.pk))
                    unit = rng.choice(units_by_provider[p.provider_id])
                    chosen_units.append(unit)
                    unit_rows.append(through_unit(practitioner_id=p.pk, unit_id=unit.pk))
                    schedules.append(
                        Schedule(
                            provider_id=p.provider_id,
                            practitioner=p,
                            unit=unit,
                            valid_from=today,
                            description="obciążenie",
                        )
                    )
                through_spec.objects.bulk_create(spec_rows)
                through_unit.objects.bulk_create(unit_rows)
                Schedule.objects.bulk_create(schedules)
                blocks = []
                for schedule in schedules:
                    for weekday in rng.sample(range(6), rng.randint(3, 5)):
                        begin = rng.choice([7, 8, 9, 12, 14])
                        blocks.append(
                            ScheduleBlock(
                                schedule=schedule,
                                weekday=weekday,
                                start_time=dt.time(begin),
                                end_time=dt.time(begin + rng.choice([4, 5, 6])),
                                slot_minutes=rng.choice([15, 15, 20, 30]),
                                financing=rng.choice([Financing.NFZ, Financing.PRIVATE]),
                                first_visit_only=rng.random() < 0.05,
                                callcenter_only=rng.random() < 0.03,
                            )
                        )
                ScheduleBlock.objects.bulk_create(blocks)
                schedule_ids += [s.pk for s in schedules]
        invalidate_lookups()  # bulk_create sends no signals: search's cached lookups must go
        setup_s = time.perf_counter() - t0

        end_day = today + dt.timedelta(days=days - 1)
        t1 = time.perf_counter()
        if jobs > 1:
            connections.close_all()  # each forked process opens its own connection
            chunks = [schedule_ids[i::jobs] for i in range(jobs)]
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                results = pool.starmap(_generate_for, [(c, today, end_day, True) for c in chunks])
            created = sum(r[0] for r in results)
            peak = max(r[1] for r in results)
        else:
            created, peak = _generate_for(schedule_ids, today, end_day)
        gen_s = time.perf_counter() - t1
        self.stdout.write(
            f"providers={providers} practitioners={practitioners} days={days} setup={setup_s:.1f}s\n"
            f"slots={created} generation={gen_s:.1f}s rate={created / gen_s:,.0f} slots/s "
            f"peak_rss={max(peak, peak_rss_mb()):.0f} MB (per process)"
        )
