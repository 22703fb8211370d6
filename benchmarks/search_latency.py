"""Search latency: GET /api/v1/slots by specialization + city + 14-day window against gunicorn.

Usage: python benchmarks/search_latency.py [--database-url URL] [--requests 500]
Reports p50/p95 of the server-side time (Server-Timing header) and of the client round trip,
and the SQL floor: the statements one request runs (captured in-process for the same requests),
executed again straight through the database driver on a warm connection; the ratio says how
much of a request is above PostgreSQL."""

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
    parser.add_argument(
        "--cold",
        action="store_true",
        help="do not warm search's shared id lookups for every specialization x city first (a server "
        "that has run a while has them in Redis; a cold one resolves each pair on first use)",
    )
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

    queries = [query() for _ in range(30 + args.requests)]
    with running_server(args.database_url) as base, httpx.Client(base_url=base, timeout=10) as client:
        for params in queries[:30]:  # warm-up
            client.get("/api/v1/slots", params=params)
        if not args.cold:
            for spec in specs:
                for city in cities:
                    client.get("/api/v1/slots", params={**queries[0], "specialization": spec, "city": city})
        print(f"id lookups: {'cold (resolved on first use)' if args.cold else 'warm (every pair asked once first)'}")
        server_ms, client_ms, found = [], [], 0
        for params in queries[30:]:
            t0 = time.perf_counter()
            response = client.get("/api/v1/slots", params=params)
            client_ms.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
            found += bool(response.json()["items"])
            server_ms.append(float(response.headers["Server-Timing"].split("dur=")[1]))
    print(f"requests={args.requests} with results={found}")
    p50, p95, p99 = (percentile(server_ms, p) for p in (50, 95, 99))
    print(f"server-side  p50={p50:.1f} ms  p95={p95:.1f} ms  p99={p99:.1f} ms")
    print(f"round trip   p50={percentile(client_ms, 50):.1f} ms  p95={percentile(client_ms, 95):.1f} ms")
    floor_ms = sql_floor(queries[30:])
    f50, f95 = percentile(floor_ms, 50), percentile(floor_ms, 95)
    ratios = f"server-side / floor: p50 ×{p50 / f50:.1f}, p95 ×{p95 / f95:.1f}"
    print(f"SQL floor    p50={f50:.1f} ms  p95={f95:.1f} ms  ({ratios})")


def sql_floor(queries: list[dict]) -> list[float]:
    """Per request: its statements (captured from an in-process request with the same
    parameters, so cached lookups are skipped as on the server) executed again through the
    driver, timed from the second run."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    floor = []
    for params in queries:
        statements: list[tuple[str, tuple]] = []

        def capture(execute, sql, sql_params, many, context, statements=statements):
            statements.append((sql, sql_params))
            return execute(sql, sql_params, many, context)

        with connection.execute_wrapper(capture):
            assert client.get("/api/v1/slots", params).status_code == 200
        raw = connection.connection.cursor()
        for _run in range(2):
            t0 = time.perf_counter()
            for sql, sql_params in statements:
                raw.execute(sql, sql_params, prepare=False)  # as the server runs them (core.db.unprepared)
                raw.fetchall()
            elapsed = (time.perf_counter() - t0) * 1000
        floor.append(elapsed)
    return floor


if __name__ == "__main__":
    main()
