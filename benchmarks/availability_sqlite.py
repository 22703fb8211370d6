"""The availability read on SQLite: 100 practitioners × 14 days, half of the slots booked, in
one request through Django's test client (in-process, no network): median and p95.

Usage: python benchmarks/availability_sqlite.py [--requests 25]
Makes a fresh SQLite database under var/ (var/bench-availability.sqlite3)."""

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "var" / "bench-availability.sqlite3"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=25)
    args = parser.parse_args()
    env = {**os.environ, "SQLITE_PATH": str(DB), "DJANGO_SETTINGS_MODULE": "terminarz.settings.dev"}
    env.pop("DATABASE_URL", None)
    DB.parent.mkdir(exist_ok=True)
    DB.unlink(missing_ok=True)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [*manage, "generate_load_data", "--providers", "10", "--practitioners", "100", "--days", "14", "--jobs", "1"],
        env=env,
        check=True,
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.test import Client

    from terminarz.core.tenancy import system_scope
    from terminarz.scheduling.models import Slot

    with system_scope():
        ids = list(Slot.objects.values_list("pk", flat=True))
        random.Random(1).shuffle(ids)
        Slot.objects.filter(pk__in=ids[: len(ids) // 2]).update(state="booked")
    client = Client(HTTP_HOST="localhost")
    today = dt.date.today()
    params = {"date_from": today.isoformat(), "date_to": (today + dt.timedelta(days=13)).isoformat()}
    for _ in range(3):  # warm-up
        client.get("/api/v1/availability", params)
    times = []
    for _ in range(args.requests):
        t0 = time.perf_counter()
        response = client.get("/api/v1/availability", params)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content[:300]
    slots = sum(len(p["slots"]) for p in response.json()["practitioners"])
    ordered = sorted(times)
    print(
        f"SQLite availability: {slots:,} free slots of 100 practitioners x 14 days; "
        f"median {statistics.median(times):.1f} ms, p95 {ordered[round(0.95 * (len(ordered) - 1))]:.1f} ms "
        f"({args.requests} requests, load {' '.join(open('/proc/loadavg').read().split()[:3])})"
    )


if __name__ == "__main__":
    main()
