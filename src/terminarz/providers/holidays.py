"""Public holidays and the provider's own closure days (C3): the days on which schedules make
no slots.

Polish statutory holidays (ustawa o dniach wolnych od pracy) come from the maintained
`holidays` package, with their Polish names. A provider may mark a holiday as a working day
(`ClosureDay.Kind.OPEN`) or close on any other day for all its practitioners at once
(`ClosureDay.Kind.CLOSED`)."""

import datetime as dt
import functools

import holidays as holiday_calendars

from .models import ClosureDay


@functools.lru_cache(maxsize=16)
def _year(year: int) -> dict[dt.date, str]:
    return dict(holiday_calendars.country_holidays("PL", years=year, language="pl").items())


def public_holidays(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Polish public holidays from `start` to `end` (inclusive), with their names."""
    found: dict[dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        found.update({day: name for day, name in _year(year).items() if start <= day <= end})
    return dict(sorted(found.items()))


def closed_days(provider_id: int, start: dt.date, end: dt.date) -> frozenset[dt.date]:
    """The days from `start` to `end` on which the provider's schedules make no slots."""
    days = set(public_holidays(start, end))
    for day, kind in ClosureDay.objects.filter(provider_id=provider_id, date__range=(start, end)).values_list(
        "date", "kind"
    ):
        if kind == ClosureDay.Kind.OPEN:
            days.discard(day)
        else:
            days.add(day)
    return frozenset(days)
