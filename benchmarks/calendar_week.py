"""Back-office calendar render time: unit week view and practitioner week/day views, rendered
server-side through Django's test client (no network) against PostgreSQL.

Usage:
  python benchmarks/calendar_week.py --demo-scale 10 [--requests 60]
      fresh database terminarz_demo_bench with the demo data scaled ×10 (seed_demo --scale 10:
      a unit has 10–20 practitioners, every third slot of the coming week booked)
  python benchmarks/calendar_week.py [--database-url URL] [--requests 60]
      on the load data of benchmarks/slot_generation.sh (a unit there has ~25–36 practitioners)"""

import argparse
import datetime as dt
import time

from _server import fresh_database, percentile, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/terminarz_bench"
DEMO_DB = "postgres://postgres@127.0.0.1:5432/terminarz_demo_bench"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--demo-scale", type=int, default=0, help="seed a fresh DB with the demo data × N")
    args = parser.parse_args()
    if args.demo_scale:
        args.database_url = DEMO_DB if args.database_url == DEFAULT_DB else args.database_url
        fresh_database(args.database_url)
    setup_django(args.database_url)
    if args.demo_scale:
        from django.core.management import call_command as run

        run("migrate", verbosity=0)
        run("seed_demo", scale=args.demo_scale)
    import os

    os.environ["ALLOWED_HOSTS"] = "testserver"
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    from django.core.management import call_command
    from django.db.models import Count

    call_command("collectstatic", interactive=False, verbosity=0)  # production static storage needs its manifest
    from django.test import Client

    from terminarz.accounts.models import User
    from terminarz.providers.models import Membership, Unit
    from terminarz.scheduling.models import Schedule

    units = Unit.objects.annotate(n=Count("schedules__practitioner", distinct=True))
    unit = units.filter(n__gte=10).order_by("-n").first()
    assert unit is not None, "run benchmarks/slot_generation.sh first, or use --demo-scale 10"
    practitioner_id = Schedule.objects.filter(unit=unit).values_list("practitioner_id", flat=True).first()
    user, _ = User.objects.get_or_create(username="bench-registrar")
    Membership.objects.get_or_create(user=user, provider_id=unit.provider_id, defaults={"role": "registrar"})
    client = Client()
    client.force_login(user)
    from terminarz.core import clock

    today = clock.local_today()
    monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 if args.demo_scale else 7 - today.weekday())
    cases = {
        f"unit week ({unit.n} practitioners)": ("/gabinet/terminarz/tydzien/", {"poradnia": unit.pk, "od": monday}),
        "practitioner week": ("/gabinet/terminarz/tydzien/", {"lekarz": practitioner_id, "od": monday}),
        "practitioner day": ("/gabinet/terminarz/", {"lekarz": practitioner_id, "dzien": monday}),
    }
    for name, (url, params) in cases.items():
        for _ in range(5):
            assert client.get(url, params).status_code == 200
        times = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            client.get(url, params)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{name:40s} p50={percentile(times, 50):6.1f} ms  p95={percentile(times, 95):6.1f} ms")


if __name__ == "__main__":
    main()
