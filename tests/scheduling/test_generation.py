import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from terminarz.booking.services import book_appointment
from terminarz.scheduling.models import ScheduleBlock, Slot, SlotState
from terminarz.scheduling.services import extend_horizon, generate_slots, plan_slots, regenerate_schedule
from tests.factories import PATIENT, clinic, every_day

WARSAW = ZoneInfo("Europe/Warsaw")


def block(weekday, start, end, minutes=30, pk=1):
    return ScheduleBlock(pk=pk, weekday=weekday, start_time=start, end_time=end, slot_minutes=minutes, financing="nfz")


def test_block_expands_into_slots_of_its_length():
    day = dt.date(2026, 11, 23)  # Monday
    planned = plan_slots([block(0, dt.time(8), dt.time(10), 20)], day, day, WARSAW)
    assert [p.start.astimezone(WARSAW).strftime("%H:%M") for p in planned] == [
        "08:00",
        "08:20",
        "08:40",
        "09:00",
        "09:20",
        "09:40",
    ]
    assert all(p.end - p.start == dt.timedelta(minutes=20) for p in planned)


def test_a_slot_that_does_not_fit_the_block_end_is_not_made():
    day = dt.date(2026, 11, 23)
    planned = plan_slots([block(0, dt.time(8), dt.time(9), 25)], day, day, WARSAW)
    assert len(planned) == 2  # 08:00, 08:25; 08:50 would end after 09:00


def test_spring_forward_day_keeps_wall_clock_and_skips_missing_hour():
    day = dt.date(2026, 3, 29)  # Sunday, 02:00 -> 03:00 in Warsaw
    planned = plan_slots([block(6, dt.time(1), dt.time(4), 30)], day, day, WARSAW)
    local = [p.start.astimezone(WARSAW).strftime("%H:%M") for p in planned]
    assert local == ["01:00", "01:30", "03:00", "03:30"]
    morning = plan_slots([block(6, dt.time(8), dt.time(9), 30)], day, day, WARSAW)
    assert morning[0].start == dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)  # CEST, UTC+2


def test_fall_back_day_makes_each_wall_clock_slot_once():
    day = dt.date(2026, 10, 25)  # Sunday, 03:00 -> 02:00 in Warsaw
    planned = plan_slots([block(6, dt.time(1), dt.time(4), 30)], day, day, WARSAW)
    local = [p.start.astimezone(WARSAW).strftime("%H:%M") for p in planned]
    assert local == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert len({p.start for p in planned}) == len(planned)
    morning = plan_slots([block(6, dt.time(8), dt.time(9), 30)], day, day, WARSAW)
    assert morning[0].start == dt.datetime(2026, 10, 25, 7, 0, tzinfo=dt.UTC)  # CET, UTC+1


def test_week_across_dst_change_keeps_8am_local_every_day():
    blocks = [block(d, dt.time(8), dt.time(8, 30), 30, pk=d + 1) for d in range(7)]
    planned = plan_slots(blocks, dt.date(2026, 10, 22), dt.date(2026, 10, 28), WARSAW)
    assert {p.start.astimezone(WARSAW).time() for p in planned} == {dt.time(8)}
    offsets = {p.day: p.start.astimezone(WARSAW).utcoffset() for p in planned}
    assert offsets[dt.date(2026, 10, 24)] == dt.timedelta(hours=2)
    assert offsets[dt.date(2026, 10, 26)] == dt.timedelta(hours=1)


@pytest.mark.django_db
def test_generation_is_idempotent_and_respects_validity(today):
    provider, unit, practitioner, schedule = clinic(today=today, days=7)
    assert Slot.objects.filter(schedule=schedule).count() == 7 * 16
    again = generate_slots(schedule, start_day=today, end_day=today + dt.timedelta(days=6))
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    schedule.valid_to = today + dt.timedelta(days=2)
    schedule.save()
    result = regenerate_schedule(schedule, today=today)
    assert result.deleted == 4 * 16
    assert not Slot.objects.filter(schedule=schedule, day__gt=schedule.valid_to).exists()


@pytest.mark.django_db
def test_regeneration_keeps_booked_slots_and_reports_conflicts(today):
    provider, unit, practitioner, schedule = clinic(today=today, days=7)
    slot = Slot.objects.filter(schedule=schedule, day=today + dt.timedelta(days=1)).order_by("start").last()
    appointment = book_appointment(slot.pk, PATIENT)
    # The practitioner now works only until 10:00: the 11:45 visit no longer fits.
    schedule.blocks.update(end_time=dt.time(10))
    result = regenerate_schedule(schedule, today=today)
    assert [s.pk for s in result.conflicts] == [slot.pk]
    slot.refresh_from_db()
    assert slot.state == SlotState.BOOKED and slot.out_of_schedule
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    assert not Slot.objects.filter(schedule=schedule, state="free", day=slot.day, start__gte=slot.start).exists()


@pytest.mark.django_db
def test_changing_slot_length_rebuilds_free_slots(today):
    provider, unit, practitioner, schedule = clinic(today=today, days=2)
    schedule.blocks.update(slot_minutes=30)
    result = regenerate_schedule(schedule, today=today)
    window = Slot.objects.filter(schedule=schedule, day__lt=today + dt.timedelta(days=2))
    assert window.count() == 2 * 8
    assert result.deleted >= 2 * 8 and result.created >= 2 * 8


@pytest.mark.django_db
def test_block_options_reach_slots(today):
    blocks = every_day(dt.time(8), dt.time(9), callcenter_only=True, financing="private")
    provider, unit, practitioner, schedule = clinic(today=today, days=1, blocks=blocks)
    slot = Slot.objects.filter(schedule=schedule).first()
    assert slot.callcenter_only and not slot.portal and slot.financing == "private"


@pytest.mark.django_db
def test_extend_horizon_fills_to_90_days_and_is_idempotent(today):
    provider, unit, practitioner, schedule = clinic(today=today, days=1)
    created = extend_horizon(today=today)
    # 89 days ahead of 2026-11-20 hold five public holidays (24-26 Dec, 1 and 6 Jan): no slots
    assert created == (89 - 5) * 16
    assert extend_horizon(today=today) == 0
    assert extend_horizon(today=today + dt.timedelta(days=1)) == 16
    schedule.refresh_from_db()
    assert schedule.generated_until == today + dt.timedelta(days=90)
