"""Expanding schedules into Slot rows (C1, C3, C5)."""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from terminarz.core import clock

from .models import Schedule, ScheduleBlock, Slot, SlotState

SLOT_OPTION_FIELDS = ("financing", "first_visit_only", "followup_only", "callcenter_only", "first_free_only")


@dataclass(frozen=True)
class PlannedSlot:
    start: dt.datetime
    end: dt.datetime
    day: dt.date
    block_id: int
    financing: str
    first_visit_only: bool
    followup_only: bool
    callcenter_only: bool
    first_free_only: bool


@dataclass
class GenerationResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    # Booked or held slots that no longer fit the schedule: the registrar must move or cancel.
    conflicts: list[Slot] = field(default_factory=list)


def _days(start_day: dt.date, end_day: dt.date) -> Iterator[dt.date]:
    day = start_day
    while day <= end_day:
        yield day
        day += dt.timedelta(days=1)


def plan_slots(
    blocks: Iterable[ScheduleBlock],
    start_day: dt.date,
    end_day: dt.date,
    tz: ZoneInfo,
) -> list[PlannedSlot]:
    """Pure expansion of weekly blocks into slots, day by day in local wall-clock time.

    A wall-clock time that does not exist (spring-forward) yields no slot; an ambiguous one
    (fall-back) yields one slot at its first occurrence. Durations are real minutes."""
    by_weekday: dict[int, list[ScheduleBlock]] = {}
    for block in blocks:
        by_weekday.setdefault(block.weekday, []).append(block)
    planned: list[PlannedSlot] = []
    for day in _days(start_day, end_day):
        for block in by_weekday.get(day.weekday(), ()):
            length = dt.timedelta(minutes=block.slot_minutes)
            wall = dt.datetime.combine(day, block.start_time)
            wall_end = dt.datetime.combine(day, block.end_time)
            while wall + length <= wall_end:
                start = clock.local_datetime(day, wall.time(), tz)
                if start is not None:
                    start_utc = start.astimezone(dt.UTC)
                    planned.append(
                        PlannedSlot(
                            start=start_utc,
                            end=start_utc + length,
                            day=day,
                            block_id=block.pk,
                            financing=block.financing,
                            first_visit_only=block.first_visit_only,
                            followup_only=block.followup_only,
                            callcenter_only=block.callcenter_only,
                            first_free_only=block.first_free_only,
                        )
                    )
                wall += length
    return planned


def _schedule_window(schedule: Schedule, start_day: dt.date, end_day: dt.date):
    first = max(start_day, schedule.valid_from)
    last = min(end_day, schedule.valid_to) if schedule.valid_to else end_day
    return first, last


def generate_slots(
    schedule: Schedule,
    *,
    start_day: dt.date,
    end_day: dt.date,
    batch_size: int = 2000,
) -> GenerationResult:
    """Make the schedule's slots between two local days match its blocks.

    Free slots that no longer fit are deleted; booked or held ones are kept and reported."""
    result = GenerationResult()
    tz = ZoneInfo(schedule.unit.location.timezone)
    first, last = _schedule_window(schedule, start_day, end_day)
    blocks = list(schedule.blocks.all())
    planned = plan_slots(blocks, first, last, tz) if first <= last else []
    portal = schedule.is_published_online

    with transaction.atomic():
        existing = {
            s.start: s
            for s in Slot.objects.filter(schedule=schedule, day__gte=start_day, day__lte=end_day)
        }
        to_create: list[Slot] = []
        to_update: list[Slot] = []
        wanted_starts = set()
        for p in planned:
            wanted_starts.add(p.start)
            slot = existing.get(p.start)
            if slot is None:
                to_create.append(
                    Slot(
                        provider_id=schedule.provider_id,
                        practitioner_id=schedule.practitioner_id,
                        unit_id=schedule.unit_id,
                        schedule_id=schedule.pk,
                        block_id=p.block_id,
                        start=p.start,
                        end=p.end,
                        day=p.day,
                        financing=p.financing,
                        first_visit_only=p.first_visit_only,
                        followup_only=p.followup_only,
                        callcenter_only=p.callcenter_only,
                        first_free_only=p.first_free_only,
                        portal=portal and not p.callcenter_only,
                    )
                )
                continue
            changed = False
            new_values = {
                "block_id": p.block_id,
                "end": p.end,
                "portal": portal and not p.callcenter_only,
                "out_of_schedule": False,
                **{f: getattr(p, f) for f in SLOT_OPTION_FIELDS},
            }
            if slot.state in (SlotState.BOOKED, SlotState.HELD) and slot.end != p.end:
                # The booked visit keeps its time; the new length applies to free slots only.
                new_values.pop("end")
            for name, value in new_values.items():
                if getattr(slot, name) != value:
                    setattr(slot, name, value)
                    changed = True
            if changed:
                to_update.append(slot)

        stale_free: list[int] = []
        for start, slot in existing.items():
            if start in wanted_starts:
                continue
            if slot.state in (SlotState.FREE, SlotState.BLOCKED):
                stale_free.append(slot.pk)
            else:
                if not slot.out_of_schedule:
                    slot.out_of_schedule = True
                    to_update.append(slot)
                result.conflicts.append(slot)

        if stale_free:
            # Free slots with past (cancelled) visits stay as history but can't be booked.
            with_history = set(
                Slot.objects.filter(pk__in=stale_free, appointments__isnull=False)
                .values_list("pk", flat=True)
                .distinct()
            )
            if with_history:
                Slot.objects.filter(pk__in=with_history).update(
                    state=SlotState.BLOCKED, out_of_schedule=True, portal=False
                )
            result.deleted = Slot.objects.filter(pk__in=set(stale_free) - with_history).delete()[0]
        if to_update:
            Slot.objects.bulk_update(
                to_update,
                ["block_id", "end", "portal", "out_of_schedule", *SLOT_OPTION_FIELDS],
                batch_size=batch_size,
            )
            result.updated = len(to_update)
        if to_create:
            Slot.objects.bulk_create(to_create, batch_size=batch_size)
            result.created = len(to_create)
        if schedule.generated_until is None or schedule.generated_until < end_day:
            Schedule.objects.filter(pk=schedule.pk).update(generated_until=end_day)
            schedule.generated_until = end_day
    return result


def horizon_end(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=settings.SLOT_HORIZON_DAYS - 1)


def regenerate_schedule(schedule: Schedule, *, today: dt.date | None = None) -> GenerationResult:
    """After a schedule change: rebuild its slots from today to the horizon."""
    today = today or clock.local_today()
    end = max(horizon_end(today), schedule.generated_until or today)
    return generate_slots(schedule, start_day=today, end_day=end)


def extend_horizon(*, today: dt.date | None = None) -> int:
    """Generate slots for every schedule up to the rolling horizon; returns slots created."""
    today = today or clock.local_today()
    end = horizon_end(today)
    created = 0
    schedules = Schedule.objects.select_related("unit__location").filter(
        valid_from__lte=end
    ).exclude(valid_to__lt=today)
    for schedule in schedules.iterator(chunk_size=200):
        if schedule.generated_until and schedule.generated_until >= end:
            continue
        start = max(today, (schedule.generated_until or today - dt.timedelta(days=1)) + dt.timedelta(days=1))
        created += generate_slots(schedule, start_day=start, end_day=end).created
    return created
