"""Booking throughput: 8 concurrent clients book distinct slots through POST /api/v1/appointments.

Usage: python benchmarks/booking_throughput.py [--database-url URL] [--bookings 2000] [--clients 8]
Reports bookings/s and errors; every booking must succeed (distinct free slots)."""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from _server import percentile, running_server, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/terminarz_bench"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    setup_django(args.database_url)
    from django.utils import timezone

    from terminarz.scheduling.models import Slot

    slot_ids = list(
        Slot.objects.filter(state="free", portal=True, first_free_only=False, start__gt=timezone.now())
        .exclude(block__requirement_text__gt="")
        .order_by("?")
        .values_list("pk", flat=True)[: args.bookings]
    )
    assert len(slot_ids) == args.bookings, "not enough free slots: run generate_load_data first"

    with running_server(args.database_url, workers=args.workers) as base:

        def book(i_and_slot):
            i, slot_id = i_and_slot
            body = {
                "slot": slot_id,
                "patient": {"first_name": "Jan", "last_name": f"Test{i}", "email": f"bench{i}@example.com"},
            }
            t0 = time.perf_counter()
            response = clients[i % args.clients].post("/api/v1/appointments", json=body)
            return response.status_code, (time.perf_counter() - t0) * 1000

        clients = [httpx.Client(base_url=base, timeout=30) for _ in range(args.clients)]
        for c in clients:
            c.get("/api/v1/openapi.json")
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(book, enumerate(slot_ids)))
        elapsed = time.perf_counter() - t0
    codes = [r[0] for r in results]
    errors = len([c for c in codes if c != 201])
    latencies = [r[1] for r in results]
    print(
        f"bookings={len(results)} clients={args.clients} server_workers={args.workers} errors={errors} "
        f"codes={sorted(set(codes))}"
    )
    print(
        f"throughput={len(results) / elapsed:.0f} bookings/s  latency p50={percentile(latencies, 50):.1f} ms "
        f"p95={percentile(latencies, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
