"""Search latency: GET /api/v1/slots by specialization + city + 14-day window against gunicorn.

Usage: python benchmarks/search_latency.py [--database-url URL] [--requests 500]
Reports p50/p95 of the server-side time (Server-Timing header) and of the client round trip."""

import argparse
import datetime as dt
import random
import time

import httpx

from _server import percentile, running_server, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/terminarz_bench"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    setup_django(args.database_url)
    from terminarz.catalog.models import Specialization
    from terminarz.providers.models import Location
    from terminarz.scheduling.models import Slot

    specs = list(Specialization.objects.values_list("code", flat=True))
    cities = sorted(set(Location.objects.values_list("city", flat=True)))
    print(f"slots in database: {Slot.objects.count():,}; {len(specs)} specializations, {len(cities)} cities")
    rng = random.Random(args.seed)
    today = dt.date.today()

    def query():
        start = today + dt.timedelta(days=rng.randint(0, 70))
        return {
            "specialization": rng.choice(specs),
            "city": rng.choice(cities),
            "date_from": start.isoformat(),
            "date_to": (start + dt.timedelta(days=13)).isoformat(),
            "limit": 20,
        }

    with running_server(args.database_url) as base, httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(30):  # warm-up
            client.get("/api/v1/slots", params=query())
        server_ms, client_ms, found = [], [], 0
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = client.get("/api/v1/slots", params=query())
            client_ms.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
            found += bool(response.json()["items"])
            server_ms.append(float(response.headers["Server-Timing"].split("dur=")[1]))
    print(f"requests={args.requests} with results={found}")
    p50, p95, p99 = (percentile(server_ms, p) for p in (50, 95, 99))
    print(f"server-side  p50={p50:.1f} ms  p95={p95:.1f} ms  p99={p99:.1f} ms")
    print(f"round trip   p50={percentile(client_ms, 50):.1f} ms  p95={percentile(client_ms, 95):.1f} ms")


if __name__ == "__main__":
    main()
