"""Availability of 100 practitioners over 14 days, side by side in one run on the same data:
Terminarz's `GET /api/v1/availability` (one request, real server) against a peer that computes
availability from rules, django-appointment 3.12.0 (its `get_available_slots_for_staff`, the
function its own booking views call, once per staff member and day).

Usage: .venv/bin/python benchmarks/availability_peer.py [--requests 20] [--peer-repeats 3]
       [--practitioners 100] [--days 14] [--peer-db postgres|sqlite]

Our side: a fresh PostgreSQL database (`terminarz_bench_peer`), `generate_load_data` with 10
providers, 100 practitioners and 14 days; each schedule's blocks then get one slot length (the
peer has one slot length per staff member) and the slots are regenerated; half of all slots,
drawn at random, are set booked. Then the real server (gunicorn, production settings) answers the
whole window N times: server-side time (Server-Timing) and round trip, median and p95.

The peer: its own virtual environment (benchmarks/.peer-venv: django-appointment 3.12.0, the same
Django version as ours, psycopg), a standalone settings module in a temp dir and its own fresh
database (PostgreSQL `terminarz_bench_peer_appointment` by default, same server). The same shape
of data: a staff member per practitioner with that practitioner's slot length, a working-hours
row per weekday of each block offered online (call-center-only blocks are not offered online), a
service of that slot length, and an appointment for every booked online slot. Timed in one process:
`get_available_slots_for_staff(day, staff, weekday, service=...)` for every staff member and day
of the window, repeated; median. The free slots both sides found are compared one by one.

Prints both medians, the ratio peer / ours, the free slots each found and the load average at
start and end. Fails loudly when our server does not start or the peer cannot be installed."""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".peer-venv"
PEER_DIST, PEER_VERSION = "django-appointment", "3.12.0"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/terminarz_bench_peer"
PEER_PG_DB = "postgres://postgres@127.0.0.1:5432/terminarz_bench_peer_appointment"

PEER_SETTINGS = """\
import json
SECRET_KEY = "benchmark-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Europe/Warsaw"
LANGUAGE_CODE = "en"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "phonenumber_field",
    "appointment",
]
DATABASES = {{"default": json.loads({database!r})}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MIGRATION_MODULES = {{"appointment": "peer_appointment_migrations"}}
APPOINTMENT_BUFFER_TIME = 0
APPOINTMENT_WEBSITE_NAME = "Terminarz benchmark"
LOGGING = {{"version": 1, "disable_existing_loggers": False, "root": {{"level": "WARNING"}}}}
"""


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kwargs)


def peer_python() -> str:
    return str(PEER_VENV / "bin" / "python")


def ensure_peer(django_version: str, psycopg_version: str) -> str:
    """The peer's venv with django-appointment 3.12.0 on our Django version; made when missing.
    Any failure stops the run (SystemExit), the benchmark never runs without its peer."""
    check = [
        peer_python(),
        "-c",
        "from importlib.metadata import version as v; print(v('django-appointment'), v('Django'))",
    ]
    wanted = f"{PEER_VERSION} {django_version}"
    try:
        if PEER_VENV.exists() and run(check, capture_output=True, text=True).stdout.strip() == wanted:
            return wanted
    except subprocess.CalledProcessError:
        pass
    print(f"installing {PEER_DIST}=={PEER_VERSION} into {PEER_VENV} ...", file=sys.stderr)
    try:
        run(["python3", "-m", "venv", "--clear", str(PEER_VENV)])
        run(
            [
                peer_python(),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                f"{PEER_DIST}=={PEER_VERSION}",
                f"Django=={django_version}",
                f"psycopg[binary]=={psycopg_version}",
            ]
        )
        got = run(check, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"FAILED: could not install the peer {PEER_DIST}=={PEER_VERSION}: {exc}") from exc
    if got != wanted:
        raise SystemExit(f"FAILED: peer venv has {got!r}, wanted {wanted!r}")
    return got


def prepare_ours(args) -> dict:
    """Fresh database, load data, one slot length per schedule, half of the slots booked.
    Returns the peer's spec: per practitioner its slot length, online working hours, bookings."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from terminarz.core import clock
    from terminarz.scheduling.models import Schedule, ScheduleBlock, Slot, SlotState
    from terminarz.scheduling.services import generate_slots

    call_command("migrate", verbosity=0)
    call_command("generate_load_data", providers=10, practitioners=args.practitioners, days=args.days, seed=args.seed)
    today = clock.local_today()
    end_day = today + dt.timedelta(days=args.days - 1)
    # The peer knows one slot length per staff member: each schedule keeps its first block's.
    schedules = list(Schedule.objects.select_related("unit__location").prefetch_related("blocks").order_by("pk"))
    changed = 0
    with transaction.atomic():
        for schedule in schedules:
            blocks = sorted(schedule.blocks.all(), key=lambda b: (b.weekday, b.start_time))
            length = blocks[0].slot_minutes
            if ScheduleBlock.objects.filter(schedule=schedule).exclude(slot_minutes=length).update(slot_minutes=length):
                changed += 1
                schedule = (
                    Schedule.objects.select_related("unit__location").prefetch_related("blocks").get(pk=schedule.pk)
                )
                generate_slots(schedule, start_day=today, end_day=end_day)
    ids = list(Slot.unscoped.order_by("pk").values_list("pk", flat=True))
    booked = random.Random(args.seed).sample(ids, len(ids) // 2)
    Slot.unscoped.filter(pk__in=booked).update(state=SlotState.BOOKED)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"ours: {len(schedules)} practitioners, {changed} schedules set to one slot length; "
        f"{len(ids):,} slots, {len(booked):,} booked",
        file=sys.stderr,
    )

    practitioners = []
    for schedule in schedules:
        blocks = list(ScheduleBlock.objects.filter(schedule=schedule).order_by("weekday"))
        online = [b for b in blocks if not b.callcenter_only]
        practitioners.append(
            {
                "id": schedule.practitioner_id,
                "slot_minutes": blocks[0].slot_minutes,
                # Python's Monday=0 .. Saturday=5; the peer's day_of_week is Sunday=0, Monday=1 ..
                "hours": [
                    [(b.weekday + 1) % 7, b.start_time.strftime("%H:%M"), b.end_time.strftime("%H:%M")] for b in online
                ],
            }
        )
    tz = clock.WARSAW
    bookings = [
        [pid, start.astimezone(tz).strftime("%Y-%m-%dT%H:%M"), end.astimezone(tz).strftime("%H:%M")]
        for pid, start, end in Slot.unscoped.filter(state=SlotState.BOOKED, portal=True)
        .order_by("practitioner_id", "start")
        .values_list("practitioner_id", "start", "end")
    ]
    return {"today": today.isoformat(), "days": args.days, "practitioners": practitioners, "bookings": bookings}


def measure_ours(args, spec: dict) -> dict:
    import httpx

    from _server import percentile, running_server

    today = dt.date.fromisoformat(spec["today"])
    params = {"date_from": today.isoformat(), "date_to": (today + dt.timedelta(days=args.days - 1)).isoformat()}
    server_ms, client_ms = [], []
    with running_server(args.database_url) as base, httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(3):  # warm-up: both workers, connections, caches
            client.get("/api/v1/availability", params=params).raise_for_status()
        for _ in range(args.requests):
            t0 = time.perf_counter()
            response = client.get("/api/v1/availability", params=params)
            client_ms.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
            server_ms.append(float(response.headers["Server-Timing"].split("dur=")[1]))
        body = response.json()
    assert not body["truncated"], "the answer was truncated: fewer practitioners or days"
    slots = {(p["id"], s[1][:16]) for p in body["practitioners"] for s in p["slots"]}
    return {
        "server_ms": server_ms,
        "client_ms": client_ms,
        "slots": slots,
        "bytes": len(response.content),
        "p": percentile,
    }


def measure_peer(args, spec: dict) -> dict:
    import dj_database_url

    with tempfile.TemporaryDirectory(prefix="peer-bench-") as tmp:
        if args.peer_db == "sqlite":
            database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(Path(tmp) / "peer.sqlite3")}
        else:
            from _server import fresh_database

            fresh_database(PEER_PG_DB)
            cfg = dj_database_url.parse(PEER_PG_DB)
            database = {k: cfg[k] for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")}
            database["ENGINE"] = "django.db.backends.postgresql"
        Path(tmp, "peer_appointment_migrations").mkdir()
        Path(tmp, "peer_appointment_migrations", "__init__.py").write_text("")
        Path(tmp, "peer_bench_settings.py").write_text(PEER_SETTINGS.format(database=json.dumps(database)))
        spec_file, out_file = Path(tmp, "spec.json"), Path(tmp, "out.json")
        spec_file.write_text(json.dumps({**spec, "repeats": args.peer_repeats}))
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
        env.update({"PYTHONPATH": tmp, "DJANGO_SETTINGS_MODULE": "peer_bench_settings", "LC_ALL": "C.UTF-8"})
        run([peer_python(), __file__, "--peer-worker", str(spec_file), str(out_file)], env=env, cwd=tmp)
        result = json.loads(out_file.read_text())
    result["slots"] = {(pid, start) for pid, start in result["slots"]}
    return result


def peer_worker(spec_file: str, out_file: str) -> None:
    """Runs in the peer's venv: its data from the spec, then its availability function timed."""
    import django

    django.setup()
    from importlib.metadata import version

    from appointment.models import Appointment, AppointmentRequest, Config, Service, StaffMember, WorkingHours
    from appointment.services import get_available_slots_for_staff
    from appointment.utils.db_helpers import get_weekday_num_from_date
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    spec = json.loads(Path(spec_file).read_text())
    # The wheel ships no migrations (its docs say: makemigrations appointment, then migrate);
    # they are made into the temp dir (MIGRATION_MODULES).
    call_command("makemigrations", "appointment", verbosity=0)
    call_command("migrate", verbosity=0)
    hhmm = dt.time.fromisoformat
    User = get_user_model()
    with transaction.atomic():
        Config(slot_duration=30, lead_time=dt.time(7), finish_time=dt.time(20), appointment_buffer_time=0).save()
        services = {
            n: Service.objects.create(name=f"Wizyta {n} min", duration=dt.timedelta(minutes=n), price=0)
            for n in sorted({p["slot_minutes"] for p in spec["practitioners"]})
        }
        users = User.objects.bulk_create(
            [User(username=f"p{p['id']}", first_name="lek.", last_name=str(p["id"])) for p in spec["practitioners"]]
        )
        client = User.objects.create(username="patient", email="patient@example.com")
        staff = StaffMember.objects.bulk_create(
            [
                StaffMember(
                    user=u,
                    slot_duration=p["slot_minutes"],
                    appointment_buffer_time=0,
                    work_on_saturday=any(h[0] == 6 for h in p["hours"]),
                )
                for u, p in zip(users, spec["practitioners"], strict=True)
            ]
        )
        by_practitioner = {p["id"]: (sm, p) for sm, p in zip(staff, spec["practitioners"], strict=True)}
        StaffMember.services_offered.through.objects.bulk_create(
            [
                StaffMember.services_offered.through(staffmember=sm, service=services[p["slot_minutes"]])
                for sm, p in by_practitioner.values()
            ]
        )
        WorkingHours.objects.bulk_create(
            [
                WorkingHours(staff_member=sm, day_of_week=day, start_time=hhmm(a), end_time=hhmm(b))
                for sm, p in by_practitioner.values()
                for day, a, b in p["hours"]
            ]
        )
        requests = AppointmentRequest.objects.bulk_create(
            [
                AppointmentRequest(
                    date=dt.date.fromisoformat(start[:10]),
                    start_time=hhmm(start[11:]),
                    end_time=hhmm(end),
                    service=services[by_practitioner[pid][1]["slot_minutes"]],
                    staff_member=by_practitioner[pid][0],
                    id_request=f"bench{i}",
                )
                for i, (pid, start, end) in enumerate(spec["bookings"])
            ],
            batch_size=1000,
        )
        Appointment.objects.bulk_create(
            [
                Appointment(client=client, appointment_request=r, phone="", amount_to_pay=0, id_request=r.id_request)
                for r in requests
            ],
            batch_size=1000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    today = dt.date.fromisoformat(spec["today"])
    days = [today + dt.timedelta(days=d) for d in range(spec["days"])]
    members = list(StaffMember.objects.select_related("user").order_by("pk"))
    service_of = {sm.pk: services[sm.slot_duration] for sm in members}
    times, found = [], []
    for _ in range(spec["repeats"]):
        found = []
        t0 = time.perf_counter()
        for sm in members:
            for day in days:
                slots = get_available_slots_for_staff(
                    day, sm, get_weekday_num_from_date(day), service=service_of[sm.pk]
                )
                found.append((sm, slots))
        times.append(time.perf_counter() - t0)
    # Untimed: the SQL queries of one staff member's 14 days (the peer asks per staff member and day).
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        for day in days:
            get_available_slots_for_staff(
                day, members[0], get_weekday_num_from_date(day), service=service_of[members[0].pk]
            )
    slots = [[int(sm.user.username[1:]), s.strftime("%Y-%m-%dT%H:%M")] for sm, day_slots in found for s in day_slots]
    Path(out_file).write_text(
        json.dumps(
            {
                "times_s": times,
                "slots": slots,
                "calls": len(members) * len(days),
                "appointments": len(requests),
                "queries_per_staff": len(captured.captured_queries),
                "versions": f"django-appointment {version('django-appointment')}, Django {django.get_version()}",
                "database": connection.vendor,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--peer-repeats", type=int, default=3)
    parser.add_argument("--practitioners", type=int, default=100)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--peer-db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--peer-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_worker:
        peer_worker(*args.peer_worker)
        return

    load_start = loadavg()
    import django
    import psycopg

    ensure_peer(django.get_version(), psycopg.__version__)
    from _server import fresh_database, setup_django

    fresh_database(args.database_url)
    setup_django(args.database_url)
    spec = prepare_ours(args)
    ours = measure_ours(args, spec)
    peer = measure_peer(args, spec)
    load_end = loadavg()

    p = ours["p"]
    ours_ms = statistics.median(ours["server_ms"])
    peer_ms = statistics.median(peer["times_s"]) * 1000
    print(f"data: {args.practitioners} practitioners x {args.days} days from {spec['today']}, half of the slots booked")
    print(
        f"Terminarz  GET /api/v1/availability ({args.requests} requests, {ours['bytes']:,} bytes): "
        f"server-side median {ours_ms:.1f} ms, p95 {p(ours['server_ms'], 95):.1f} ms; "
        f"round trip median {statistics.median(ours['client_ms']):.1f} ms, p95 {p(ours['client_ms'], 95):.1f} ms"
    )
    print(
        f"peer       {peer['versions']} on {peer['database']}, get_available_slots_for_staff x {peer['calls']} "
        f"({args.peer_repeats} runs, {peer['appointments']:,} appointments, "
        f"{peer['queries_per_staff']} SQL queries for one staff member's {args.days} days): median {peer_ms:.0f} ms "
        f"(runs: {', '.join(f'{t:.2f} s' for t in peer['times_s'])})"
    )
    print(
        f"ratio peer / ours: {peer_ms / ours_ms:,.0f}x server-side, "
        f"{peer_ms / statistics.median(ours['client_ms']):,.0f}x round trip"
    )
    only_ours, only_peer = ours["slots"] - peer["slots"], peer["slots"] - ours["slots"]
    print(
        f"free slots found: ours {len(ours['slots']):,}, peer {len(peer['slots']):,}; "
        f"only ours {len(only_ours)}, only peer {len(only_peer)}"
    )
    if only_ours or only_peer:
        print(f"  e.g. only ours {sorted(only_ours)[:3]}, only peer {sorted(only_peer)[:3]}")
    print(f"load average at start {load_start}, at end {load_end}")


if __name__ == "__main__":
    main()
