"""Parsing FHIR search parameter values: tokens, references, dates with prefixes. Bad values
raise `SearchError` (answered as a 400 OperationOutcome), never anything else."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
DEFAULT_COUNT = 50
MAX_COUNT = 500
# Bounds on one query's size: repeats of a parameter, a value's length, ids in `_id`.
MAX_REPEATS = 4
MAX_VALUE = 200
MAX_IDS = 100
IGNORED = frozenset({"_format", "_pretty", "_count", "_offset"})
PREFIXES = ("eq", "ge", "gt", "le", "lt")
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class SearchError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def token_code(value: str) -> tuple[str, str]:
    """ "system|code" or "code" → (system, code); "" for no system."""
    system, bar, code = value.partition("|")
    if not bar:
        system, code = "", value
    code = code.strip()
    if not code or len(code) > 64:
        raise SearchError("invalid_param", f"Nieprawidłowa wartość „{value[:40]}”.")
    return system.strip(), code


def reference_id(value: str, kind: str) -> int:
    """ "Kind/123", a full URL ending in it, or "123" → 123."""
    raw = value.strip().rstrip("/")
    marker = f"{kind}/"
    if marker in raw:
        raw = raw.rsplit(marker, 1)[1]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) < 2**31:
        raise SearchError("invalid_param", f"Nieprawidłowe odwołanie do {kind}: „{value[:40]}”.")
    return int(raw)


def _period(text: str) -> tuple[dt.datetime, dt.datetime]:
    """The instant range a date value covers: a year, a month, a day (Warsaw time) or a second."""
    match = DATE.match(text)
    try:
        if match:
            year, month, day = (int(part) if part else None for part in match.groups())
            assert year is not None
            if month is None:
                start = dt.datetime(year, 1, 1, tzinfo=WARSAW)
                return start, start.replace(year=year + 1)
            if day is None:
                start = dt.datetime(year, month, 1, tzinfo=WARSAW)
                end = start.replace(year=year + 1, month=1) if month == 12 else start.replace(month=month + 1)
                return start, end
            start = dt.datetime(year, month, day, tzinfo=WARSAW)
            return start, (start + dt.timedelta(days=1)).replace(tzinfo=WARSAW)
        moment = dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise SearchError("invalid_param", f"Nieprawidłowa data „{text[:40]}”.") from None
    if moment.tzinfo is None:
        raise SearchError("invalid_param", f"Podaj strefę czasową w „{text[:40]}” (np. +01:00).")
    try:
        return moment, moment + dt.timedelta(seconds=1)
    except OverflowError:
        raise SearchError("invalid_param", f"Nieprawidłowa data „{text[:40]}”.") from None


def date_bounds(value: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """A date parameter ("ge2026-12-01", "lt2026-12-08T00:00:00+01:00", "2026-12-01") as
    [lower, upper) instants; None where open."""
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    start, end = _period(text.strip())
    if prefix == "eq":
        return start, end
    if prefix == "ge":
        return start, None
    if prefix == "gt":
        return end, None
    if prefix == "lt":
        return None, start
    return None, end  # le


def checked_values(request, allowed: dict[str, str], kind: str):
    """(name, values) of each search parameter sent, refused when unknown, too many, too long
    or holding control characters."""
    for name in request.GET:
        if name in IGNORED:
            continue
        if name not in allowed:
            raise SearchError("unknown_param", f"Parametr „{name}” nie jest obsługiwany dla {kind}.")
        values = request.GET.getlist(name)
        if any(ch < " " for value in values for ch in value):
            raise SearchError("invalid_param", f"„{name}”: usuń znaki sterujące z wartości.")
        if len(values) > MAX_REPEATS or any(len(value) > MAX_VALUE for value in values):
            raise SearchError(
                "too_complex", f"„{name}”: najwyżej {MAX_REPEATS} wartości po {MAX_VALUE} znaków w jednym zapytaniu."
            )
        yield name, values


def ids(value: str) -> list[int]:
    if any(len(part.strip()) > 10 for part in value.split(",")[: MAX_IDS + 1]):
        raise SearchError("invalid_param", f"Nieprawidłowy identyfikator „{value[:40]}”.")
    try:
        found = [int(part) for part in value.split(",")[: MAX_IDS + 1]]
    except ValueError:
        raise SearchError("invalid_param", f"Nieprawidłowy identyfikator „{value[:40]}”.") from None
    if any(not 0 < number < 2**31 for number in found):
        raise SearchError("invalid_param", f"Nieprawidłowy identyfikator „{value[:40]}”.")
    if len(found) > MAX_IDS:
        raise SearchError("too_complex", f"Najwyżej {MAX_IDS} identyfikatorów w jednym zapytaniu.")
    return found


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(WARSAW).date()
