"""Expanding schedules into Slot rows (C1, C3, C5)."""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from terminarz.core import clock
from terminarz.providers.holidays import closed_days, public_holidays

from .models import Schedule, ScheduleBlock, Slot, SlotState

SLOT_OPTION_FIELDS = (
    "financing",
    "first_visit_only",
    "followup_only",
    "callcenter_only",
    "first_free_only",
    "children",
    "televisit",
)


class PlannedSlot(NamedTuple):
    start: dt.datetime
    end: dt.datetime
    day: dt.date
    block_id: int
    financing: str
    first_visit_only: bool
    followup_only: bool
    callcenter_only: bool
    first_free_only: bool
    children: str
    televisit: str


# The option fields travel in this order from block to slot (the tuple above is typed).
assert PlannedSlot._fields[4:] == SLOT_OPTION_FIELDS


@dataclass
class GenerationResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    # Booked or held slots that no longer fit the schedule: the registrar must move or cancel.
    conflicts: list[Slot] = field(default_factory=list)


def on_portal(published: bool, planned) -> bool:
    """Offered online (booking.channels): the schedule is published, the block is neither
    call-center-only nor for healthy/sick children (those go to insurers' systems only)."""
    return published and not planned.callcenter_only and not planned.children


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
    skip_days: frozenset[dt.date] = frozenset(),
) -> list[PlannedSlot]:
    """Pure expansion of weekly blocks into slots, day by day in local wall-clock time; weekly
    blocks make nothing on `skip_days` (public holidays and closures:
    `providers.holidays.closed_days`), extra hours on a date still apply.

    A block with a date (extra hours) applies on that day only. A wall-clock time that does
    not exist (spring-forward) yields no slot; an ambiguous one (fall-back) yields one slot at
    its first occurrence. Durations are real minutes."""
    by_weekday: dict[int, list[ScheduleBlock]] = {}
    by_date: dict[dt.date, list[ScheduleBlock]] = {}
    for block in blocks:
        if block.date is not None:
            by_date.setdefault(block.date, []).append(block)
        else:
            by_weekday.setdefault(block.weekday, []).append(block)
    planned: list[PlannedSlot] = []
    append = planned.append
    for day in _days(start_day, end_day):
        weekly = () if day in skip_days else by_weekday.get(day.weekday(), ())
        for block in (*weekly, *by_date.get(day, ())):
            length = dt.timedelta(minutes=block.slot_minutes)
            options = (block.pk, *(getattr(block, name) for name in SLOT_OPTION_FIELDS))
            wall_start = dt.datetime.combine(day, block.start_time)
            count = int((dt.datetime.combine(day, block.end_time) - wall_start) / length)
            first = clock.local_datetime(day, block.start_time, tz)
            last = clock.local_datetime(day, (wall_start + (count - 1) * length).time(), tz) if count else None
            if first is not None and last is not None and first.utcoffset() == last.utcoffset():
                # No DST change inside the block: slots are plain arithmetic in UTC.
                base = first.astimezone(dt.UTC)
                for k in range(count):
                    slot_start = base + k * length
                    append(PlannedSlot(slot_start, slot_start + length, day, *options))
                continue
            for k in range(count):
                local = clock.local_datetime(day, (wall_start + k * length).time(), tz)
                if local is not None:
                    slot_start = local.astimezone(dt.UTC)
                    append(PlannedSlot(slot_start, slot_start + length, day, *options))
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
    batch_size: int = 500,
) -> GenerationResult:
    """Make the schedule's slots between two local days match its blocks.

    No slots on public holidays and the provider's closure days (C3). Free slots that no longer
    fit are deleted; booked or held ones are kept and reported."""
    result = GenerationResult()
    tz = ZoneInfo(schedule.unit.location.timezone)
    first, last = _schedule_window(schedule, start_day, end_day)
    blocks = list(schedule.blocks.all())
    planned = (
        plan_slots(blocks, first, last, tz, skip_days=closed_days(schedule.provider_id, first, last))
        if first <= last
        else []
    )
    portal = schedule.is_published_online

    with transaction.atomic():
        # Local midnights bound the window (no DST change happens at midnight in Europe).
        window_start = dt.datetime.combine(start_day, dt.time(0), tz)
        window_end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(0), tz)
        existing = {
            s.start: s for s in Slot.objects.filter(schedule=schedule, start__gte=window_start, start__lt=window_end)
        }
        to_create: list[PlannedSlot] = []
        to_update: list[Slot] = []
        returning: list[int] = []  # blocked while out of the schedule, fitting again
        wanted_starts = set()
        for p in planned:
            wanted_starts.add(p.start)
            slot = existing.get(p.start)
            if slot is None:
                to_create.append(p)
                continue
            if slot.state == SlotState.BLOCKED and slot.out_of_schedule:
                returning.append(slot.pk)
            changed = False
            new_values = {
                "block_id": p.block_id,
                "end": p.end,
                "portal": on_portal(portal, p),
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
            if slot.state == SlotState.FREE:
                stale_free.append(slot.pk)
            elif slot.state == SlotState.BLOCKED:
                # A day off or a blocked slot: kept, so the block still holds if the day comes back
                # (a closure taken back, a holiday made a working day).
                if not slot.out_of_schedule or slot.portal:
                    slot.out_of_schedule, slot.portal = True, False
                    to_update.append(slot)
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
                    state=SlotState.BLOCKED, out_of_schedule=True, portal=False, changed_at=clock.now()
                )
            result.deleted = Slot.objects.filter(pk__in=set(stale_free) - with_history).delete()[0]
        if returning:
            # Those blocked only because they had left the schedule with a past (cancelled)
            # visit on them are free again; a day off or a blocked slot stays blocked.
            Slot.objects.filter(pk__in=returning, appointments__isnull=False).update(
                state=SlotState.FREE, changed_at=clock.now()
            )
            freed = set(Slot.objects.filter(pk__in=returning, state=SlotState.FREE).values_list("pk", flat=True))
            for slot in to_update:
                if slot.pk in freed:
                    slot.state = SlotState.FREE
        if to_update:
            moment = clock.now()
            for slot in to_update:
                slot.changed_at = moment
            Slot.objects.bulk_update(
                to_update,
                ["block_id", "end", "portal", "out_of_schedule", "changed_at", *SLOT_OPTION_FIELDS],
                batch_size=batch_size,
            )
            result.updated = len(to_update)
        if to_create:
            result.created = _insert_slots(schedule, to_create, portal=portal, batch_size=batch_size)
        if schedule.generated_until is None or schedule.generated_until < end_day:
            Schedule.objects.filter(pk=schedule.pk).update(generated_until=end_day)
            schedule.generated_until = end_day
    return result


SLOT_COLUMNS = (
    "provider_id",
    "practitioner_id",
    "unit_id",
    "schedule_id",
    "block_id",
    "start",
    "end",
    "day",
    *SLOT_OPTION_FIELDS,
    "portal",
    "state",
    "out_of_schedule",
    "changed_at",
)


def _insert_slots(schedule: Schedule, planned: list[PlannedSlot], *, portal: bool, batch_size: int) -> int:
    """Insert new slots. On PostgreSQL through COPY (no model instances: slot generation is
    the bulkiest write we do); elsewhere through bulk_create."""
    fixed = (schedule.provider_id, schedule.practitioner_id, schedule.unit_id, schedule.pk)
    made_at = clock.now()  # the application's clock, as every change of a slot
    if connection.vendor == "postgresql":
        stamp = made_at.isoformat()
        columns = ", ".join(f'"{c}"' for c in SLOT_COLUMNS)
        prefix = "\t".join(str(v) for v in fixed)
        flag = {True: "t", False: "f"}
        option_text: dict[tuple, str] = {}  # one block's options, written once per block

        def options_of(p: PlannedSlot) -> str:
            key = p[4:]
            text = option_text.get(key)
            if text is None:
                values = [flag[v] if isinstance(v, bool) else str(v) for v in key]
                text = option_text[key] = "\t".join([*values, flag[on_portal(portal, p)]])
            return text

        def line(p: PlannedSlot) -> str:
            return (
                f"{prefix}\t{p.block_id}\t{p.start.isoformat()}\t{p.end.isoformat()}\t{p.day.isoformat()}\t"
                f"{options_of(p)}\tfree\tf\t{stamp}\n"
            )

        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {Slot._meta.db_table} ({columns}) FROM STDIN") as copy:
                # Chunks stream while the server indexes the previous ones.
                for i in range(0, len(planned), batch_size):
                    copy.write("".join(map(line, planned[i : i + batch_size])))
        return len(planned)
    Slot.objects.bulk_create(
        (
            Slot(
                provider_id=fixed[0],
                practitioner_id=fixed[1],
                unit_id=fixed[2],
                schedule_id=fixed[3],
                block_id=p.block_id,
                start=p.start,
                end=p.end,
                day=p.day,
                **{name: getattr(p, name) for name in SLOT_OPTION_FIELDS},
                portal=on_portal(portal, p),
                changed_at=made_at,
            )
            for p in planned
        ),
        batch_size=batch_size,
    )
    return len(planned)


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
    schedules = (
        Schedule.objects.select_related("unit__location").filter(valid_from__lte=end).exclude(valid_to__lt=today)
    )
    for schedule in schedules.iterator(chunk_size=200):
        if schedule.generated_until and schedule.generated_until >= end:
            continue
        start = max(today, (schedule.generated_until or today - dt.timedelta(days=1)) + dt.timedelta(days=1))
        created += generate_slots(schedule, start_day=start, end_day=end).created
    _clear_closed_days(today, end)
    return created


def _clear_closed_days(today: dt.date, end: dt.date) -> None:
    """Free slots made on a public holiday before holidays made none (or before a provider took
    back a working holiday) go: that day of the schedule is generated again."""
    holidays = public_holidays(today, end)
    if not holidays:
        return
    stale = (
        Slot.objects.filter(day__in=list(holidays), state=SlotState.FREE, out_of_schedule=False)
        .values_list("schedule_id", "day")
        .distinct()
    )
    for schedule_id, day in list(stale):
        schedule = Schedule.objects.select_related("unit__location").get(pk=schedule_id)
        if day in closed_days(schedule.provider_id, day, day):
            generate_slots(schedule, start_day=day, end_day=day)
