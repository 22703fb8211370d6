"""Schedule editing rules (C1–C3): validation of blocks, saving with slot regeneration."""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from terminarz.core import audit, clock
from terminarz.core.audit import record_audit
from terminarz.providers.holidays import closed_days

from . import publication
from .models import Schedule, ScheduleBlock, Slot, SlotState
from .services import GenerationResult, horizon_end, plan_slots, regenerate_schedule


def _overlaps(a_start: dt.time, a_end: dt.time, b_start: dt.time, b_end: dt.time) -> bool:
    return a_start < b_end and b_start < a_end


def _validity_overlaps(a: Schedule, b: Schedule) -> bool:
    a_end = a.valid_to or dt.date.max
    b_end = b.valid_to or dt.date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def _valid_on(schedule: Schedule, day: dt.date) -> bool:
    return schedule.valid_from <= day and (schedule.valid_to is None or day <= schedule.valid_to)


def _share_a_day(a: ScheduleBlock, a_schedule: Schedule, b: ScheduleBlock, b_schedule: Schedule) -> bool:
    """Whether two blocks can fall on the same day (weekly blocks by weekday within the
    schedules' validity; extra-hours blocks on their date)."""
    if a.date and b.date:
        return a.date == b.date
    if a.date:
        return a.date.weekday() == b.weekday and _valid_on(b_schedule, a.date)
    if b.date:
        return b.date.weekday() == a.weekday and _valid_on(a_schedule, b.date)
    return a.weekday == b.weekday and _validity_overlaps(a_schedule, b_schedule)


def describe_block(block) -> str:
    when = f"{block.date:%d.%m.%Y}" if block.date else ScheduleBlock.Weekday(block.weekday).label
    return f"{when} {block.start_time:%H:%M}–{block.end_time:%H:%M}"


def check_blocks(schedule: Schedule, blocks: list[ScheduleBlock]) -> list[str]:
    """Errors that stop saving, each naming the conflicting block."""
    errors = []
    for i, block in enumerate(blocks):
        if block.end_time <= block.start_time:
            errors.append(_("Blok %(b)s kończy się przed rozpoczęciem.") % {"b": describe_block(block)})
            continue
        minutes = dt.datetime.combine(dt.date.min, block.end_time) - dt.datetime.combine(dt.date.min, block.start_time)
        if block.slot_minutes > minutes.total_seconds() / 60:
            errors.append(_("W bloku %(b)s wizyta jest dłuższa niż cały blok.") % {"b": describe_block(block)})
        if block.first_visit_only and block.followup_only:
            errors.append(
                _(
                    "Blok %(b)s: zaznaczono jednocześnie „tylko wizyty pierwszorazowe” i „tylko wizyty kolejne” – "
                    "żaden termin nie byłby dostępny. Zostaw jedną z tych opcji."
                )
                % {"b": describe_block(block)}
            )
        if block.date is not None and not _valid_on(schedule, block.date):
            errors.append(
                _("Dodatkowe godziny %(b)s wypadają poza okresem obowiązywania harmonogramu.")
                % {"b": describe_block(block)}
            )
        for other in blocks[:i]:
            if _share_a_day(block, schedule, other, schedule) and _overlaps(
                block.start_time, block.end_time, other.start_time, other.end_time
            ):
                errors.append(
                    _("Blok %(b)s nakłada się na blok %(o)s.")
                    % {"b": describe_block(block), "o": describe_block(other)}
                )
    others = (
        ScheduleBlock.objects.filter(schedule__practitioner_id=schedule.practitioner_id)
        .exclude(schedule_id=schedule.pk)
        .select_related("schedule__unit")
    )
    for block in blocks:
        for other in others:
            if _share_a_day(block, schedule, other, other.schedule) and _overlaps(
                block.start_time, block.end_time, other.start_time, other.end_time
            ):
                errors.append(
                    _("Blok %(b)s nakłada się na blok %(o)s w harmonogramie „%(s)s” (%(u)s).")
                    % {
                        "b": describe_block(block),
                        "o": describe_block(other),
                        "s": other.schedule.description or _("bez opisu"),
                        "u": other.schedule.unit.name,
                    }
                )
    return errors


def save_schedule(
    schedule: Schedule, formset: "forms.BaseInlineFormSet[Any, Any, Any] | None", *, actor, actor_label: str = ""
) -> GenerationResult:
    """Save a schedule and its blocks, then regenerate its slots, all in one transaction.
    Booked visits that no longer fit are kept and returned as conflicts. Without a formset
    (a clinic system's new schedule) the blocks stay as they are (its hours come as slots)."""
    created = schedule.pk is None
    with transaction.atomic():
        before = audit.stored_snapshot(schedule, SCHEDULE_FIELDS)
        blocks_before = block_texts(schedule)
        # A schedule takes a published place while it is published and not over; one that
        # starts taking a place (new, switched on, or extended from the past) asks the guards,
        # e.g. the subscription's quota (raises PublicationRefused).
        today = clock.local_today()
        if publication.takes_place(schedule, today):
            stored = None if created else Schedule.objects.filter(pk=schedule.pk).first()
            if stored is None or not publication.takes_place(stored, today):
                publication.check(schedule)
        schedule.save()
        if formset is not None:
            formset.instance = schedule
            formset.save()
        # Offered online: published, not call-center-only, not a children's block. Only the
        # slots whose offer changes are written (and marked changed).
        slots = Slot.objects.filter(schedule=schedule)
        never = Q(callcenter_only=True) | ~Q(children="")
        slots.exclude(never).exclude(portal=schedule.is_published_online).update(
            portal=schedule.is_published_online, changed_at=clock.now()
        )
        slots.filter(never, portal=True).update(portal=False, changed_at=clock.now())
        result = regenerate_schedule(schedule)
        record_audit(
            provider_id=schedule.provider_id,
            action="schedule.created" if created else "schedule.changed",
            target=schedule,
            summary=_("Harmonogram %(p)s – %(u)s: terminy dodane %(c)d, zmienione %(m)d, usunięte %(d)d, kolizje %(k)d")
            % {
                "p": schedule.practitioner.full_name,
                "u": schedule.unit.name,
                "c": result.created,
                "m": result.updated,
                "d": result.deleted,
                "k": len(result.conflicts),
            },
            actor=actor,
            actor_label=actor_label,
            changes=_schedule_changes(before, blocks_before, schedule),
        )
    return result


SCHEDULE_FIELDS = ("practitioner", "unit", "valid_from", "valid_to", "description", "is_published_online")
BLOCK_FLAGS = ("first_visit_only", "followup_only", "callcenter_only", "first_free_only")
FLAG_LABELS = {flag: str(getattr(ScheduleBlock._meta.get_field(flag), "verbose_name", flag)) for flag in BLOCK_FLAGS}


def block_texts(schedule: Schedule) -> list[str]:
    """A schedule's blocks as the audit log reads them, e.g. "poniedziałek 08:00–12:00 · 15 min
    · NFZ · tylko w gabinecie" (in order of the week, then the dated ones)."""
    if schedule.pk is None:
        return []
    texts = []
    blocks = ScheduleBlock.objects.filter(schedule_id=schedule.pk).prefetch_related("payers")
    for block in sorted(blocks, key=lambda b: (b.date is not None, b.date or dt.date.min, b.weekday, b.start_time)):
        parts = [str(block), f"{block.slot_minutes} min", block.get_financing_display(), block.get_televisit_display()]
        parts += [FLAG_LABELS[flag] for flag in BLOCK_FLAGS if getattr(block, flag)]
        if block.children:
            parts.append(block.get_children_display())
        parts += [payer.name for payer in block.payers.all()]
        texts.append(" · ".join(str(part) for part in parts))
    return texts


def _schedule_changes(before: dict, blocks_before: list[str], schedule: Schedule) -> dict:
    changes: dict[str, Any] = audit.diff(before, audit.snapshot(schedule, SCHEDULE_FIELDS))
    blocks_after = block_texts(schedule)
    added = [text for text in blocks_after if text not in blocks_before]
    removed = [text for text in blocks_before if text not in blocks_after]
    if added:
        changes["blocks_added"] = added
    if removed:
        changes["blocks_removed"] = removed
    return changes


def _audit_change(
    schedule: Schedule, action: str, what: str, result: GenerationResult, actor, actor_label: str = ""
) -> None:
    record_audit(
        provider_id=schedule.provider_id,
        action=action,
        target=schedule,
        summary=_("Harmonogram %(p)s – %(u)s: %(w)s; terminy dodane %(c)d, usunięte %(d)d, kolizje %(k)d")
        % {
            "p": schedule.practitioner.full_name,
            "u": schedule.unit.name,
            "w": what,
            "c": result.created,
            "d": result.deleted,
            "k": len(result.conflicts),
        },
        actor=actor,
        actor_label=actor_label,
    )


MAX_EXTRA_BLOCKS_A_DAY = 48


def add_blocks(
    schedule: Schedule, new_blocks: list[ScheduleBlock], *, actor, action: str, what: str, actor_label: str = ""
):
    """Add blocks (copies of a block, or extra hours on a day) and generate their slots, under
    the schedule's row lock (two sends at once are checked one after the other).
    Returns (errors, result): errors name each conflicting block and nothing is saved."""
    with transaction.atomic():
        Schedule.objects.select_for_update().filter(pk=schedule.pk).first()
        days = {block.date for block in new_blocks if block.date is not None}
        for day in sorted(days):
            if ScheduleBlock.objects.filter(schedule=schedule, date=day).count() >= MAX_EXTRA_BLOCKS_A_DAY:
                return [
                    _("Dzień %(d)s ma już %(n)d bloków dodatkowych godzin – połącz je w dłuższe bloki.")
                    % {"d": day.strftime("%d.%m.%Y"), "n": MAX_EXTRA_BLOCKS_A_DAY}
                ], None
        errors = check_blocks(schedule, [*schedule.blocks.all(), *new_blocks])
        if errors:
            return errors, None
        for block in new_blocks:
            block.schedule = schedule
            if block.date is not None:
                block.weekday = block.date.weekday()
            block.save()
        result = regenerate_schedule(schedule)
        _audit_change(schedule, action, what, result, actor, actor_label)
    return [], result


def copy_block(schedule: Schedule, block: ScheduleBlock, weekdays: list[int], *, actor):
    """Copy a weekly block with all its options to other weekdays (C1 "kopiuj blok")."""
    copies = []
    for weekday in sorted(set(weekdays) - {block.weekday}):
        copy = ScheduleBlock(
            **{
                f.attname: getattr(block, f.attname)
                for f in ScheduleBlock._meta.concrete_fields
                if f.attname not in ("id", "schedule_id")
            }
        )
        copy.weekday = weekday
        copies.append(copy)
    days = ", ".join(str(ScheduleBlock.Weekday(d).label) for d in sorted(set(weekdays) - {block.weekday}))
    return add_blocks(
        schedule,
        copies,
        actor=actor,
        action="schedule.block_copied",
        what=f"skopiowano {describe_block(block)}: {days}",
    )


def remove_block(schedule: Schedule, block: ScheduleBlock, *, actor) -> GenerationResult:
    """Remove a block (e.g. extra hours); booked visits in it are kept and returned as conflicts."""
    with transaction.atomic():
        what = f"usunięto {describe_block(block)}"
        block.delete()
        result = regenerate_schedule(schedule)
        _audit_change(schedule, "schedule.block_removed", what, result, actor)
    return result


@dataclass
class Preview:
    """What saving would do to the slots from today to the horizon (C1 editor, issue 11
    item 4): slots made, free slots removed, booked ones left outside the schedule."""

    created: int
    removed: int
    kept: int
    conflicts: list[Slot]
    first_day: dt.date
    last_day: dt.date
    by_weekday: list[tuple[int, int, int]]  # (weekday, created, removed)


def preview_schedule(schedule: Schedule, blocks: list[ScheduleBlock], *, today: dt.date) -> Preview:
    """The slots a changed schedule would make, compared with the ones it has (nothing is
    written): the same expansion as `generate_slots`, holidays and closures included."""
    start, end = today, horizon_end(today)
    first = max(start, schedule.valid_from)
    last = min(end, schedule.valid_to) if schedule.valid_to else end
    planned = set()
    if first <= last:
        tz = ZoneInfo(schedule.unit.location.timezone)
        skip = closed_days(schedule.provider_id, first, last)
        planned = {p.start for p in plan_slots(blocks, first, last, tz, skip_days=skip)}
    existing = (
        list(Slot.objects.filter(schedule=schedule, day__gte=start, day__lte=end).prefetch_related("appointments"))
        if schedule.pk
        else []
    )
    have = {s.start for s in existing}
    created_starts = planned - have
    removed = [s for s in existing if s.start not in planned and s.state in (SlotState.FREE, SlotState.BLOCKED)]
    conflicts = [s for s in existing if s.start not in planned and s.state in (SlotState.BOOKED, SlotState.HELD)]
    weekday_of = {s.start: s.day.weekday() for s in existing}
    by_weekday = []
    for weekday in range(7):
        made = sum(1 for t in created_starts if t.astimezone(clock.WARSAW).weekday() == weekday)
        gone = sum(1 for s in removed if weekday_of[s.start] == weekday)
        by_weekday.append((weekday, made, gone))
    return Preview(
        created=len(created_starts),
        removed=len(removed),
        kept=len(have & planned),
        conflicts=sorted(conflicts, key=lambda s: s.start),
        first_day=start,
        last_day=end,
        by_weekday=by_weekday,
    )
