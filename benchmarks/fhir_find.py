"""FHIR `Appointment/$find` at scale, side by side with the REST API's slot search: the same
specialization + city + 14-day window asked of both, alternating, against gunicorn (production
settings) on the load data of `slot_generation.sh`.

Usage: python benchmarks/fhir_find.py [--database-url URL] [--requests 500]
Reports the server-side time (Server-Timing) p50/p95 of each, the ratio $find / search, how
many $find answers held slots, and the load average. Fails if any request is not a 200."""

import argparse
import datetime as dt
import os
import random

import httpx

from _server import percentile, running_server, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/terminarz_bench"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    setup_django(args.database_url)
    from terminarz.catalog.models import Specialization
    from terminarz.providers.models import Location
    from terminarz.scheduling.models import Slot
    from terminarz.staff.models import Practitioner

    specs = list(Specialization.objects.values_list("code", flat=True))
    cities = sorted(set(Location.objects.values_list("city", flat=True)))
    print(
        f"slots in database: {Slot.objects.count():,}; practitioners: {Practitioner.objects.count():,}; "
        f"{len(specs)} specializations, {len(cities)} cities"
    )
    rng = random.Random(args.seed)
    today = dt.date.today()

    def pair():
        start = today + dt.timedelta(days=rng.randint(0, 3))
        spec, city = rng.choice(specs), rng.choice(cities)
        find = {
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=13)).isoformat(),
            "specialty": spec,
            "address-city": city,
            "_count": "20",
        }
        search = {
            "specialization": spec,
            "city": city,
            "date_from": start.isoformat(),
            "date_to": (start + dt.timedelta(days=13)).isoformat(),
            "limit": 20,
        }
        return find, search

    pairs = [pair() for _ in range(30 + args.requests)]
    find_ms, search_ms, with_slots = [], [], 0
    with running_server(args.database_url) as base, httpx.Client(base_url=base, timeout=10) as client:
        for spec in specs:  # the shared id lookups warm for every pair (a running server has them)
            for city in cities:
                client.get("/api/v1/slots", params={**pairs[0][1], "specialization": spec, "city": city})
        for index, (find, search) in enumerate(pairs):
            first = client.get("/fhir/r4/Appointment/$find", params=find)
            second = client.get("/api/v1/slots", params=search)
            assert first.status_code == 200, first.text
            assert second.status_code == 200, second.text
            if index < 30:
                continue  # warm-up
            find_ms.append(float(first.headers["Server-Timing"].split("dur=")[1]))
            search_ms.append(float(second.headers["Server-Timing"].split("dur=")[1]))
            with_slots += bool(first.json()["entry"])
    load = os.getloadavg()
    print(f"requests={args.requests} each; $find answers with slots: {with_slots}")
    f50, f95 = percentile(find_ms, 50), percentile(find_ms, 95)
    s50, s95 = percentile(search_ms, 50), percentile(search_ms, 95)
    print(f"$find         server-side p50={f50:.1f} ms  p95={f95:.1f} ms")
    print(f"/api/v1/slots server-side p50={s50:.1f} ms  p95={s95:.1f} ms")
    print(f"ratio $find / search: p50 ×{f50 / s50:.2f}, p95 ×{f95 / s95:.2f}")
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
