"""C3 for a whole provider: public holidays and the provider's own closure days.

Schedules make no slots on public holidays and closure days (`providers.holidays`). Here a
provider closes a day for all its practitioners at once, marks a holiday as a working day, or
takes such a change back; each change regenerates that day of every schedule it has, so free
slots go or come at once, and visits already booked on a day that closes are kept and returned
as conflicts for the registrar to move or cancel."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.providers.holidays import public_holidays
from terminarz.providers.models import ClosureDay, Provider

from .models import Schedule, Slot, SlotState
from .services import generate_slots

AHEAD = dt.timedelta(days=366)
REASON_MAX = 200


class ClosureError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class DayEntry:
    """One day of the list: a public holiday or the provider's own closure."""

    day: dt.date
    holiday: str  # the holiday's name, "" for an own closure
    closed: bool  # whether the schedules make no slots that day
    reason: str = ""
    conflicts: int = 0  # booked visits kept on a closed day


@dataclass
class DayChange:
    day: dt.date
    created: int = 0
    deleted: int = 0
    conflicts: list[Slot] = field(default_factory=list)


def days_ahead(provider: Provider, *, today: dt.date | None = None) -> list[DayEntry]:
    """Public holidays and own closures of the next twelve months, earliest first."""
    today = today or clock.local_today()
    end = today + AHEAD
    overrides = {row.date: row for row in ClosureDay.objects.filter(provider=provider, date__range=(today, end))}
    holidays = public_holidays(today, end)
    entries = []
    for day in sorted(set(holidays) | set(overrides)):
        override = overrides.get(day)
        closed = override.kind == ClosureDay.Kind.CLOSED if override else True
        entries.append(DayEntry(day, holidays.get(day, ""), closed, reason=override.reason if override else ""))
    counts = dict(
        Slot.objects.filter(
            Q(state=SlotState.BOOKED) | Q(state=SlotState.HELD, hold_until__gt=clock.now()),
            provider=provider,
            day__in=[e.day for e in entries if e.closed],
        )
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    for entry in entries:
        entry.conflicts = counts.get(entry.day, 0)
    return entries


def close_day(provider: Provider, day: dt.date, *, reason: str, actor, today: dt.date | None = None) -> DayChange:
    """The provider is closed that day: no slots for any practitioner."""
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ClosureError(_("Powód może mieć najwyżej %(n)d znaków.") % {"n": REASON_MAX})
    return _change(provider, day, ClosureDay.Kind.CLOSED, reason, actor=actor, today=today)


def open_holiday(provider: Provider, day: dt.date, *, actor, today: dt.date | None = None) -> DayChange:
    """A public holiday on which the provider works: its schedules make slots as on any day."""
    if day not in public_holidays(day, day):
        raise ClosureError(_("Ten dzień nie jest świętem – nie trzeba go oznaczać jako dnia pracy."))
    return _change(provider, day, ClosureDay.Kind.OPEN, "", actor=actor, today=today)


def restore_day(provider: Provider, day: dt.date, *, actor, today: dt.date | None = None) -> DayChange:
    """Take back a closure or a working holiday: the day is as the calendar makes it."""
    return _change(provider, day, None, "", actor=actor, today=today)


def _change(provider: Provider, day: dt.date, kind: str | None, reason: str, *, actor, today) -> DayChange:
    today = today or clock.local_today()
    if day < today:
        raise ClosureError(_("Nie można zmienić dnia, który już minął."))
    if day > today + AHEAD:
        raise ClosureError(_("Dni wolne można ustawiać najwyżej rok naprzód."))
    with transaction.atomic():
        # One change of a provider's days at a time (two at once would both insert the row).
        Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk").first()
        ClosureDay.objects.filter(provider=provider, date=day).delete()
        if kind is not None:
            ClosureDay.objects.create(provider=provider, date=day, kind=kind, reason=reason)
        change = DayChange(day)
        schedules = Schedule.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
            provider=provider,
            valid_from__lte=day,
            generated_until__gte=day,
        ).select_related("unit__location")
        for schedule in schedules:
            result = generate_slots(schedule, start_day=day, end_day=day)
            change.created += result.created
            change.deleted += result.deleted
            change.conflicts += [slot for slot in result.conflicts if _waits_for_someone(slot)]
        record_audit(
            provider_id=provider.pk,
            action=_ACTIONS[kind],
            target=provider,
            summary=_("Dzień %(d)s: %(what)s") % {"d": day.strftime("%d.%m.%Y"), "what": _describe(kind)},
            actor=actor,
            changes={"created": change.created, "deleted": change.deleted, "conflicts": len(change.conflicts)},
        )
    return change


_ACTIONS: dict[str | None, str] = {
    None: "closure.restored",
    ClosureDay.Kind.CLOSED: "closure.closed",
    ClosureDay.Kind.OPEN: "closure.opened",
}


def _waits_for_someone(slot: Slot) -> bool:
    """A booked visit, or a hold that still runs (not one that ran out)."""
    return slot.state == SlotState.BOOKED or (slot.hold_until is not None and slot.hold_until > clock.now())


def _describe(kind: str | None) -> str:
    if kind == ClosureDay.Kind.CLOSED:
        return _("placówka nieczynna")
    if kind == ClosureDay.Kind.OPEN:
        return _("dzień pracy mimo święta")
    return _("jak w kalendarzu")
