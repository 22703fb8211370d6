"""One place to read the current time, so rules can take the clock as a parameter."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

WARSAW = ZoneInfo("Europe/Warsaw")


def now() -> dt.datetime:
    return timezone.now()


def local_today(tz: ZoneInfo = WARSAW, at: dt.datetime | None = None) -> dt.date:
    return (at or now()).astimezone(tz).date()


def local_datetime(day: dt.date, wall: dt.time, tz: ZoneInfo = WARSAW) -> dt.datetime | None:
    """Aware datetime for a wall-clock time on a day, or None when that time does not exist
    (spring-forward gap). Ambiguous times (autumn fall-back) take the first occurrence."""
    naive = dt.datetime.combine(day, wall)
    aware = naive.replace(tzinfo=tz, fold=0)
    roundtrip = aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if roundtrip != naive:
        return None
    return aware


def local_text(moment: dt.datetime, tz: ZoneInfo = WARSAW) -> str:
    """A moment as people here read it: "01.12.2026 09:00" in Polish local time."""
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


# Days a calendar page may be asked for: far enough for any real use, and away from the ends of
# the date type, where a week or a day either side overflows.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)


def parse_day(value: str | None) -> dt.date:
    """A day from a query parameter (YYYY-MM-DD); today when it is missing, malformed or out
    of range."""
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return local_today()
    return day if FIRST_DAY <= day <= LAST_DAY else local_today()
