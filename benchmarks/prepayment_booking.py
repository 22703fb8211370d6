"""Booking throughput with a prepayment rule on, side by side with the same bookings without it.

Usage: .venv/bin/python benchmarks/prepayment_booking.py [--rounds 3] [--bookings 300] [--clients 8] [--workers 3]

A fresh database (`terminarz_bench_payments`) gets two providers with the same 40 practitioners'
private schedules over 30 days: "bez płatności" (payments off) and "z przedpłatą" (payments on,
a mandatory full prepayment on every visit, a priced service per practitioner). One server
(gunicorn, production settings) serves both; rounds alternate (off, on, off, on, …), each round
books `--bookings` distinct free slots with `--clients` concurrent clients through
`POST /api/v1/appointments`. Every booking must succeed (201); the prepayment ones must end held
for payment. Reports bookings/s per round, the medians, the ratio on/off and the load average."""

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx

from _server import ROOT, bench_env, fresh_database, percentile, running_server, setup_django

DB = os.environ.get("BENCH_PAYMENTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/terminarz_bench_payments")


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=bench_env(DB), check=True)


def build(practitioners: int, days: int) -> dict[str, list[int]]:
    from terminarz.catalog.models import Service
    from terminarz.catalog.services import ensure_specializations
    from terminarz.payments.models import DeadlineKind, PaymentRule, PaymentSettings, Requirement
    from terminarz.providers.models import Location, Provider, Unit
    from terminarz.scheduling.models import Schedule, ScheduleBlock, Slot
    from terminarz.scheduling.services import generate_slots
    from terminarz.staff.models import Practitioner

    specs = ensure_specializations()
    today = dt.date.today()
    slots: dict[str, list[int]] = {}
    for key, name in (("off", "bez płatności"), ("on", "z przedpłatą")):
        provider = Provider.objects.create(name=f"Przychodnia {name}", slug=f"bench-{key}")
        location = Location.objects.create(
            provider=provider, number=1, name=provider.name, street="ul. Długa 1", postal_code="31-000", city="Kraków"
        )
        unit = Unit.objects.create(
            provider=provider, location=location, code="K", department_code="1100", name="Poradnia"
        )
        service = Service.objects.create(
            provider=provider, code="KONS", name="Konsultacja", price=Decimal("200.00"), self_service=True
        )
        if key == "on":
            PaymentSettings.objects.create(provider=provider, enabled=True, gateway="przelewy24")
            PaymentRule.objects.create(
                provider=provider,
                requirement=Requirement.MANDATORY,
                deadline_kind=DeadlineKind.AFTER_BOOKING,
                hours_after_booking=24,
                hours_before_visit=2,
            )
        for i in range(practitioners):
            practitioner = Practitioner.objects.create(provider=provider, first_name="Anna", last_name=f"Nowak{i}")
            practitioner.specializations.set([specs["kardiologia"]])
            practitioner.units.set([unit])
            practitioner.procedures.add(service)
            schedule = Schedule.objects.create(
                provider=provider, practitioner=practitioner, unit=unit, valid_from=today
            )
            ScheduleBlock.objects.bulk_create(
                ScheduleBlock(
                    schedule=schedule,
                    weekday=wd,
                    start_time=dt.time(8),
                    end_time=dt.time(16),
                    slot_minutes=15,
                    financing="private",
                )
                for wd in range(7)
            )
            generate_slots(schedule, start_day=today + dt.timedelta(days=2), end_day=today + dt.timedelta(days=days))
        ids = list(Slot.objects.filter(provider=provider, state="free").values_list("pk", flat=True))
        random.Random(7).shuffle(ids)
        slots[key] = ids
    return slots


def run_round(base: str, slot_ids: list[int], clients: int, tag: str) -> tuple[float, list[float]]:
    pool_clients = [httpx.Client(base_url=base, timeout=30) for _ in range(clients)]
    for c in pool_clients:
        c.get("/api/v1/openapi.json")

    def book(i_and_slot):
        i, slot_id = i_and_slot
        body = {
            "slot": slot_id,
            "patient": {"first_name": "Jan", "last_name": f"{tag}{i}", "email": f"{tag}{slot_id}@example.com"},
        }
        t0 = time.perf_counter()
        response = pool_clients[i % clients].post("/api/v1/appointments", json=body)
        return response.status_code, (time.perf_counter() - t0) * 1000

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(book, enumerate(slot_ids)))
    elapsed = time.perf_counter() - t0
    for c in pool_clients:
        c.close()
    codes = sorted({r[0] for r in results})
    if codes != [201]:
        raise RuntimeError(f"round {tag}: not every booking succeeded: {codes}")
    return len(results) / elapsed, [r[1] for r in results]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--practitioners", type=int, default=40)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()

    fresh_database(DB)
    manage("migrate", "--no-input", "-v0")
    setup_django(DB)
    slots = build(args.practitioners, args.days)
    needed = args.rounds * args.bookings
    assert min(len(v) for v in slots.values()) >= needed, "not enough free slots: raise --days or --practitioners"

    rates: dict[str, list[float]] = {"off": [], "on": []}
    latencies: dict[str, list[float]] = {"off": [], "on": []}
    with running_server(DB, workers=args.workers) as base:
        for r in range(args.rounds):
            for key in ("off", "on"):
                batch = slots[key][r * args.bookings : (r + 1) * args.bookings]
                rate, lat = run_round(base, batch, args.clients, f"{key}{r}")
                rates[key].append(rate)
                latencies[key].extend(lat)
                print(f"round {r + 1} {key:>3}: {rate:.0f} bookings/s")

    from terminarz.booking.models import Appointment
    from terminarz.payments.models import Payment

    held = Appointment.objects.filter(provider__slug="bench-on", status="held", hold_reason="payment").count()
    payments = Payment.objects.filter(provider__slug="bench-on").count()
    if not held == payments == args.rounds * args.bookings:
        raise RuntimeError(f"prepayment bookings not held for payment: held={held} payments={payments}")
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    print(
        f"without prepayment: median {off:.0f} bookings/s, p50 {percentile(latencies['off'], 50):.1f} ms, "
        f"p95 {percentile(latencies['off'], 95):.1f} ms"
    )
    print(
        f"with prepayment:    median {on:.0f} bookings/s, p50 {percentile(latencies['on'], 50):.1f} ms, "
        f"p95 {percentile(latencies['on'], 95):.1f} ms"
    )
    print(f"ratio with/without: {on / off:.2f}   load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
