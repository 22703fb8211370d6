"""No double booking under real parallel connections (PostgreSQL in CI; SQLite serialized)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from terminarz.booking import capacity
from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment
from terminarz.core import clock
from terminarz.scheduling.models import Slot, SlotState
from tests.concurrency.parallel import BarrierBroken, run_lined_up, run_parallel
from tests.conftest import require_postgres
from tests.factories import PATIENT, clinic, every_day

pytestmark = pytest.mark.django_db(transaction=True)


def tomorrow_slots(schedule):
    tomorrow = clock.local_today() + dt.timedelta(days=1)
    return list(Slot.objects.filter(schedule=schedule, day__gte=tomorrow).order_by("start"))


def test_a_broken_barrier_fails_the_run_instead_of_running_it_sequentially():
    """Three jobs on two threads: the third thread waits alone and its barrier breaks."""
    ran = []
    with pytest.raises(BarrierBroken, match="1 of 3 threads saw a broken barrier"):
        run_parallel(2, [1, 2, 3], ran.append, barrier_timeout=0.5)
    assert sorted(ran) == [1, 2]


def test_fifty_parallel_requests_for_one_slot_exactly_one_wins():
    _, _, _, schedule = clinic(today=clock.local_today(), days=3)
    slot = tomorrow_slots(schedule)[0]
    results = run_parallel(
        50,
        list(range(50)),
        lambda i: book_appointment(slot.pk, {**PATIENT, "email": f"p{i}@example.com"}) and "ok",
    )
    assert results.count("ok") == 1, results
    assert results.count("taken") == 49, results
    assert Appointment.objects.filter(slot=slot, status="confirmed").count() == 1
    slot.refresh_from_db()
    assert slot.state == SlotState.BOOKED


def test_database_constraint_stops_double_booking_even_if_the_conditional_update_is_bypassed(monkeypatch):
    _, _, _, schedule = clinic(today=clock.local_today(), days=3)
    slot = tomorrow_slots(schedule)[0]
    monkeypatch.setattr(capacity, "take_slot", lambda *a, **kw: True)  # a broken primitive
    # and no overlap check (capacity.practitioner_busy; on PostgreSQL the pipeline leaves it to
    # the constraint anyway): only the database is left
    monkeypatch.setattr(capacity, "practitioner_busy", lambda *a, **kw: False)
    refused_inserts = []

    def count_refusals(execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        except IntegrityError:
            if sql.startswith('INSERT INTO "booking_appointment"'):
                refused_inserts.append(sql)
            raise

    def book(i):
        with connection.execute_wrapper(count_refusals):  # this thread's connection
            return book_appointment(slot.pk, {**PATIENT, "email": f"p{i}@example.com"}) and "ok"

    results = run_parallel(20, list(range(20)), book)
    assert results.count("ok") == 1, results
    assert results.count("taken") == 19, results
    assert len(refused_inserts) == 19  # every loser was stopped by the database, not the application


def test_thousand_distinct_slots_from_eight_threads_without_errors():
    _, _, _, schedule = clinic(today=clock.local_today(), days=70, blocks=every_day(dt.time(8), dt.time(12)))
    slots = tomorrow_slots(schedule)[:1000]
    assert len(slots) == 1000
    results = run_parallel(
        8,
        [s.pk for s in slots],
        lambda pk: book_appointment(pk, {**PATIENT, "email": f"p{pk}@example.com"}) and "ok",
    )
    assert results.count("ok") == 1000, [r for r in results if r != "ok"][:5]
    assert Appointment.objects.filter(status="confirmed").count() == 1000


@pytest.mark.postgres
def test_exclusion_constraint_refuses_overlapping_visits_of_one_practitioner():
    require_postgres(connection)
    provider, unit, practitioner, schedule = clinic(today=clock.local_today(), days=3)
    a, b = tomorrow_slots(schedule)[:2]
    first = book_appointment(a.pk, PATIENT)
    with pytest.raises(IntegrityError, match="appointment_no_practitioner_overlap"):
        with transaction.atomic():
            Appointment.objects.create(
                provider=provider,
                slot=b,
                practitioner=practitioner,
                unit=unit,
                patient=first.patient,
                start=a.start + dt.timedelta(minutes=5),
                end=a.end + dt.timedelta(minutes=5),
                status="confirmed",
                source="api",
                reference="OVERLAP1",
                first_name="X",
                last_name="Y",
                email="x@example.com",
            )


def test_parallel_bookings_of_overlapping_slots_of_two_schedules_one_wins():
    _, unit, practitioner, schedule = clinic(today=clock.local_today(), days=3)
    from terminarz.scheduling.services import generate_slots
    from tests.factories import make_schedule

    other = make_schedule(
        practitioner,
        unit,
        valid_from=clock.local_today(),
        blocks=every_day(dt.time(8, 5), dt.time(12), slot_minutes=15),
    )
    generate_slots(other, start_day=clock.local_today(), end_day=clock.local_today() + dt.timedelta(days=2))
    a = tomorrow_slots(schedule)[0]  # 08:00-08:15
    b = tomorrow_slots(other)[0]  # 08:05-08:20
    jobs = [a.pk, b.pk] * 10
    results = run_parallel(
        20, jobs, lambda pk: book_appointment(pk, {**PATIENT, "email": f"x{pk}@example.com"}) and "ok"
    )
    assert results.count("ok") == 1, results
    assert results.count("taken") == 19, results


@pytest.mark.postgres
def test_one_visit_per_specialization_holds_under_parallel_requests():
    """D5 by racing: eight requests of one person (same PESEL) for slots of four practitioners
    of the same specialization – exactly one is booked, the rest are refused by the rule."""
    from terminarz.booking.errors import BookingRefused
    from terminarz.providers.models import settings_for
    from tests.factories import VALID_PESEL

    require_postgres(connection)
    from terminarz.scheduling.services import generate_slots
    from tests.factories import make_practitioner, make_schedule

    today = clock.local_today()
    provider, unit, _, schedule = clinic(today=today, days=3)
    rules = settings_for(provider.pk)
    rules.one_visit_per_specialization = True
    rules.pesel_required = True
    rules.save()
    slots = tomorrow_slots(schedule)[:2]
    for _ in range(3):  # other cardiologists: bookings of different practitioners run in parallel
        other = make_practitioner(provider, unit, spec="kardiologia")
        other_schedule = make_schedule(other, unit, valid_from=today, blocks=every_day(dt.time(8), dt.time(12)))
        generate_slots(other_schedule, start_day=today, end_day=today + dt.timedelta(days=2))
        slots += tomorrow_slots(other_schedule)[:2]

    def attempt(slot):
        try:
            book_appointment(slot.pk, {**PATIENT, "pesel": VALID_PESEL})
            return "ok"
        except BookingRefused:
            return "refused"

    results = run_parallel(8, slots, attempt)
    assert results.count("ok") == 1, results
    assert results.count("refused") == 7, results
    assert Appointment.objects.filter(status="confirmed").count() == 1
    assert Slot.objects.filter(pk__in=[s.pk for s in slots], state=SlotState.BOOKED).count() == 1


@pytest.mark.postgres
def test_the_same_form_sent_twice_at_once_books_once_and_both_get_that_booking():
    """A double click sends the form twice at the same moment: one booking, and the second
    request waits for it and answers with it instead of "taken" (issue 11 item 6)."""
    require_postgres(connection)
    _, _, _, schedule = clinic(today=clock.local_today(), days=2)
    slot = tomorrow_slots(schedule)[0]
    results = run_lined_up(
        [lambda: book_appointment(slot.pk, PATIENT, submission_key="dwuklik-1").pk for _ in range(2)]
    )
    made = Appointment.objects.get(slot=slot)
    assert results == [made.pk, made.pk]
