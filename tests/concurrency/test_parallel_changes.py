"""Races beyond a plain booking, on PostgreSQL with one connection per thread: a move against a
booking of its target slot, two confirmations of one held booking, and the exclusion
constraint (practitioner × time) as the only guard between two overlapping bookings."""

import datetime as dt
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection

from terminarz.booking import capacity
from terminarz.booking import services as booking
from terminarz.booking.errors import SlotTaken
from terminarz.booking.models import ACTIVE_STATUSES, Appointment, AppointmentTransition
from terminarz.core import locks
from terminarz.notifications.models import Message
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.services import generate_slots
from tests.concurrency.parallel import run_lined_up
from tests.conftest import require_postgres
from tests.factories import PATIENT, clinic, every_day, make_schedule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def day_slots(schedule, day: dt.date) -> list[Slot]:
    return list(Slot.objects.filter(schedule=schedule, day=day).order_by("start"))


def active_on(slot: Slot) -> list[int]:
    return sorted(Appointment.objects.filter(slot=slot, status__in=ACTIVE_STATUSES).values_list("pk", flat=True))


def test_move_against_booking_of_the_target_slot_exactly_one_wins(today):
    """Four visits are moved by the registrar to four free slots while four other patients book
    exactly those slots, all at once: each target slot goes to one of the two, the loser gets
    "Ten termin jest już zajęty.", and slot states follow the active visits."""
    require_postgres(connection)
    _, _, _, schedule = clinic(today=today, days=3)
    slots = day_slots(schedule, today + dt.timedelta(days=1))  # 08:00-12:00, 16 slots
    sources, targets = slots[:4], slots[8:12]
    visits = [booking.book_appointment(s.pk, {**PATIENT, "email": f"v{i}@example.com"}) for i, s in enumerate(sources)]
    registrar = get_user_model().objects.create_user("rejestracja", password="x")

    calls = []
    for i, (visit, target) in enumerate(zip(visits, targets, strict=True)):
        calls.append(lambda visit=visit, target=target: booking.move_appointment(visit, target.pk, actor=registrar))
        calls.append(
            lambda i=i, target=target: booking.book_appointment(target.pk, {**PATIENT, "email": f"n{i}@example.com"})
        )
    outcomes = run_lined_up(calls)

    booking_wins = 0
    for i, (visit, source, target) in enumerate(zip(visits, sources, targets, strict=True)):
        moved, booked = outcomes[2 * i], outcomes[2 * i + 1]
        move_won = isinstance(moved, Appointment)
        winner, loser = (moved, booked) if move_won else (booked, moved)
        assert isinstance(winner, Appointment), outcomes
        assert type(loser) is SlotTaken, outcomes
        assert loser.message == "Ten termin jest już zajęty."
        visit.refresh_from_db()
        source.refresh_from_db()
        target.refresh_from_db()
        if move_won:
            # The visit is on the target; its old slot is free again; nobody else got the target.
            assert (visit.slot_id, visit.status) == (target.pk, "confirmed")
            assert (source.state, target.state) == (SlotState.FREE, SlotState.BOOKED)
            assert (active_on(source), active_on(target)) == ([], [visit.pk])
        else:
            # The booking won: the visit stays where it was, untouched.
            assert (visit.slot_id, visit.status, visit.start) == (source.pk, "confirmed", source.start)
            assert (source.state, target.state) == (SlotState.BOOKED, SlotState.BOOKED)
            assert (active_on(source), active_on(target)) == ([visit.pk], [booked.pk])
            booking_wins += 1
    # The losing bookings stored nothing.
    assert Appointment.objects.count() == len(visits) + booking_wins
    # Whatever the order: no slot with two active visits, and every booked slot has one.
    for slot in Slot.objects.filter(schedule=schedule):
        assert len(active_on(slot)) == (1 if slot.state == SlotState.BOOKED else 0), slot


def test_two_confirmations_of_one_held_booking_confirm_it_once(today):
    """D3 multi-step: the patient's confirmation link is opened twice at the same moment (double
    click, two devices) for four held bookings: each is confirmed once, with one transition
    record and one confirmation e-mail."""
    require_postgres(connection)
    provider, _, _, schedule = clinic(today=today, days=3)
    rules = settings_for(provider.pk)
    rules.multi_step = True
    rules.hold_minutes = 15
    rules.save()
    slots = day_slots(schedule, today + dt.timedelta(days=1))[:4]
    held = [booking.book_appointment(s.pk, {**PATIENT, "email": f"h{i}@example.com"}) for i, s in enumerate(slots)]
    assert [a.status for a in held] == ["held"] * 4

    calls = [lambda a=a: booking.confirm_held_booking(a.pk, a.cancel_token) for a in held for _ in range(2)]
    outcomes = run_lined_up(calls)

    assert [(type(o).__name__, o.pk, o.status) for o in outcomes] == [
        ("Appointment", a.pk, "confirmed") for a in held for _ in range(2)
    ]
    for appointment, slot in zip(held, slots, strict=True):
        transitions = AppointmentTransition.objects.filter(appointment=appointment)
        assert list(transitions.values_list("from_status", "to_status")) == [("", "held"), ("held", "confirmed")]
        emails = Message.objects.filter(kind="booking_confirmation", recipient=appointment.email)
        assert emails.count() == 1
        slot.refresh_from_db()
        assert (slot.state, slot.hold_until) == (SlotState.BOOKED, None)


def test_exclusion_constraint_alone_stops_overlapping_bookings_from_two_connections(today, monkeypatch):
    """Two schedules of one practitioner with overlapping slots (08:00-08:15 and 08:05-08:20):
    with the booking pipeline's overlap query and practitioner lock switched off, two
    connections book one slot each. Only the PostgreSQL exclusion constraint is left: one
    visit is stored, the other insert is refused by the constraint and that patient gets
    "Ten termin jest już zajęty."

    The second connection inserts while the first one's visit is inserted but not committed
    (both transactions open, each holding its slot), so its insert waits on the first and is
    refused when that commits. (Inserting at the very same instant instead ends in a deadlock
    inside the constraint check – the reason for the practitioner lock.)"""
    require_postgres(connection)
    provider, unit, practitioner, schedule = clinic(today=today, days=3)
    settings_for(provider.pk)  # created up front, not raced for by the two threads
    other = make_schedule(
        practitioner, unit, valid_from=today, blocks=every_day(dt.time(8, 5), dt.time(12), slot_minutes=15)
    )
    generate_slots(other, start_day=today, end_day=today + dt.timedelta(days=2))
    tomorrow = today + dt.timedelta(days=1)
    a, b = day_slots(schedule, tomorrow)[0], day_slots(other, tomorrow)[0]
    assert a.start < b.start < a.end  # they overlap

    # Bypass the application: no overlap query; instead of the practitioner lock the second
    # booking waits until the first has inserted its visit (still uncommitted).
    first_inserted = threading.Event()
    second = threading.local()
    monkeypatch.setattr(capacity, "practitioner_busy", lambda *a, **kw: False)

    def no_locks(*keys, **kw):
        if getattr(second, "waits", False):
            first_inserted.wait(timeout=30)
        return "", []  # the practitioner and person locks of take_slot's statement: none

    monkeypatch.setattr(locks, "lock_calls", no_locks)
    refused: list[str] = []

    def watch_inserts(execute, sql, params, many, context):
        inserting = sql.startswith('INSERT INTO "booking_appointment"')
        try:
            result = execute(sql, params, many, context)
        except IntegrityError as exc:
            if inserting:
                refused.append(str(exc))
            raise
        if inserting:
            first_inserted.set()
        return result

    def book(slot: Slot, email: str, *, waits: bool):
        second.waits = waits
        with connection.execute_wrapper(watch_inserts):  # this thread's connection
            return booking.book_appointment(slot.pk, {**PATIENT, "email": email})

    outcomes = run_lined_up(
        [lambda: book(a, "a@example.com", waits=False), lambda: book(b, "b@example.com", waits=True)]
    )

    first, later = outcomes
    assert isinstance(first, Appointment), outcomes
    assert type(later) is SlotTaken, outcomes
    assert later.message == "Ten termin jest już zajęty."
    assert len(refused) == 1, refused
    assert "appointment_no_practitioner_overlap" in refused[0]
    assert list(Appointment.objects.values_list("pk", flat=True)) == [first.pk]
    # The loser's transaction rolled back whole: it had taken its slot, which is free again.
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, b.state) == (SlotState.BOOKED, SlotState.FREE)
