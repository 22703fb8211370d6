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
    parser.add_argument(
        "--wrk-seconds",
        type=int,
        default=0,
        help="drive the load with wrk (C, light on CPU) for N seconds instead of Python clients",
    )
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

    if args.wrk_seconds:
        with running_server(args.database_url, workers=args.workers) as base:
            return run_wrk(base, slot_ids, args.clients, args.wrk_seconds)

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


WRK_SCRIPT = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter)
  thread:set("step", %(threads)d)
end
function init(args)
  n = offset
end
function request()
  local id = ids[n] or ids[#ids]
  n = n + step
  local body = '{"slot": ' .. id .. ', "patient": {"first_name": "Jan", "last_name": "Wrk", '
    .. '"email": "wrk' .. id .. '@example.com"}}'
  return wrk.format("POST", "/api/v1/appointments", {["Content-Type"] = "application/json"}, body)
end
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  io.write(string.format("wrk: requests=%%d non2xx/3xx=%%d p50=%%.1f ms p95=%%.1f ms\\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def run_wrk(base: str, slot_ids: list[int], clients: int, seconds: int) -> None:
    """wrk posts each slot id once (threads interleave the list); stop before the ids run out."""
    import subprocess
    import tempfile

    threads = 2
    with tempfile.TemporaryDirectory() as tmp:
        ids_file = f"{tmp}/ids.txt"
        with open(ids_file, "w") as fh:
            fh.write("\n".join(map(str, slot_ids)))
        script = f"{tmp}/book.lua"
        with open(script, "w") as fh:
            fh.write(WRK_SCRIPT % {"ids": ids_file, "threads": threads})
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "-s", script, "--latency", base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    for line in out.splitlines():
        if line.startswith("wrk:") or "Requests/sec" in line:
            print(line.strip())


if __name__ == "__main__":
    main()
