"""The compact availability read (D1, issue 10): the free slots of many practitioners at once.

What a doctor-centred search card or another system's "availability" needs: per practitioner,
every open slot in a date window, on the online channel, by the same filters and rules as the
paged search (`search.open_slot_query`, so both return the same slots). One query, no model
instances. On PostgreSQL the database groups the rows and writes the JSON itself (local times
with their offset, as the rest of the API), so no row becomes a Python object: turning
thousands of timestamps into Python datetimes cost more than the query. Elsewhere rows come
back as tuples and are grouped here. The API embeds the JSON as it is (orjson.Fragment).
"""

import datetime as dt
from dataclasses import dataclass, field

import orjson
from django.db import connection

from terminarz.core import clock
from terminarz.core.db import unprepared

from .search import SlotQuery, open_slot_query

MAX_DAYS = 31
MAX_SLOTS = 20_000
SLOT_FIELDS = ("id", "start", "end", "unit", "financing", "televisit")


@dataclass
class PractitionerAvailability:
    id: int
    name: str
    slots: list[tuple] = field(default_factory=list)


@dataclass
class Availability:
    date_from: dt.date
    date_to: dt.date
    practitioners_json: bytes  # [{"id", "name", "slots": [[id, start, end, unit, financing, televisit], …]}, …]
    truncated: bool

    @property
    def practitioners(self) -> list[PractitionerAvailability]:
        """The same, as Python values (for tests and Python callers; the API sends the JSON)."""
        return [
            PractitionerAvailability(
                p["id"],
                p["name"],
                [
                    (pk, dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end), unit, financing, televisit)
                    for pk, start, end, unit, financing, televisit in p["slots"]
                ],
            )
            for p in orjson.loads(self.practitioners_json)
        ]

    def as_dict(self) -> dict:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "slot_fields": list(SLOT_FIELDS),
            "practitioners": orjson.Fragment(self.practitioners_json),
            "truncated": self.truncated,
        }


def offset_stretches(date_from: dt.date, date_to: dt.date) -> list[tuple[dt.datetime | None, dt.timedelta]]:
    """Warsaw's UTC offset over the local days of a window, as (from instant, offset) stretches:
    one stretch, or two when the window holds a change to or from summer time (the first
    stretch has no start). Offsets change on the hour, UTC."""
    tz = clock.WARSAW
    midnights = [
        dt.datetime.combine(date_from + dt.timedelta(days=n), dt.time(), tz).astimezone(dt.UTC)
        for n in range((date_to - date_from).days + 2)
    ]
    stretches: list[tuple[dt.datetime | None, dt.timedelta]] = [(None, _offset(midnights[0]))]
    for day_start, day_end in zip(midnights, midnights[1:], strict=False):
        if _offset(day_end) == stretches[-1][1]:
            continue
        instant = day_start
        while _offset(instant) == stretches[-1][1]:
            instant += dt.timedelta(hours=1)
        stretches.append((instant, _offset(instant)))
    return stretches


def _offset(instant: dt.datetime) -> dt.timedelta:
    offset = instant.astimezone(clock.WARSAW).utcoffset()
    assert offset is not None
    return offset


def _local_iso(column: str, stretches) -> tuple[str, list]:
    """SQL writing a timestamp as the API does: local time, ISO 8601, with the offset
    ("2026-12-01T08:00:00+01:00"). A fixed offset per stretch of the window (`AT TIME ZONE
    INTERVAL`) costs less than converting through the zone rules row by row."""

    def text(offset: dt.timedelta) -> str:
        minutes = int(offset.total_seconds()) // 60
        return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    def written(offset: dt.timedelta) -> str:
        return f"replace(({column} AT TIME ZONE INTERVAL '{text(offset)}')::text, ' ', 'T') || '{text(offset)}'"

    if len(stretches) == 1:
        return written(stretches[0][1]), []
    cases = " ".join(
        f"WHEN {column} < %s THEN {written(offset)}"
        for (_, offset), (until, _) in zip(stretches, stretches[1:], strict=False)
    )
    return f"CASE {cases} ELSE {written(stretches[-1][1])} END", [until for until, _ in stretches[1:]]


def _json_on_postgres(qs, limit: int, stretches, *, earliest: bool) -> tuple[bytes, int]:
    """The JSON of `limit` rows at most, and how many rows it holds. `earliest`: the first rows
    by practitioner and time (sorting costs; without it any rows, enough to tell whether the
    window holds more than the cap)."""
    rows = qs.order_by("practitioner_id", "start", "pk") if earliest else qs.order_by()
    rows = rows.values_list("practitioner_id", "pk", "start", "end", "unit_id", "financing", "televisit")[:limit]
    sql, params = rows.query.sql_with_params()
    # Text concatenation instead of json_build_array: the values are numbers, ISO times and
    # fixed codes (nothing to escape), and building JSON values row by row cost more than the
    # query. Only names go through to_json (escaping).
    start, start_params = _local_iso("start", stretches)
    end, end_params = _local_iso('"end"', stretches)
    query = f"""
        WITH r (practitioner_id, id, start, "end", unit_id, financing, televisit) AS ({sql}),
        grouped AS (
            SELECT practitioner_id,
                   string_agg('[' || id || ',"' || {start} || '","' || {end} || '",' || unit_id
                              || ',"' || financing || '","' || televisit || '"]', ',' ORDER BY start, id) AS slots
            FROM r GROUP BY practitioner_id
        )
        SELECT '[' || coalesce(string_agg(
                   '{{"id":' || g.practitioner_id
                   || ',"name":' || to_json(concat_ws(' ', nullif(p.title, ''), p.first_name, p.last_name))::text
                   || ',"slots":[' || g.slots || ']}}', ',' ORDER BY g.practitioner_id), '') || ']',
               (SELECT count(*) FROM r)
        FROM grouped g JOIN staff_practitioner p ON p.id = g.practitioner_id
    """
    with unprepared(), connection.cursor() as cursor:
        cursor.execute(query, [*params, *start_params, *end_params])
        text, count = cursor.fetchone()
    return text.encode(), count


def availability(query: SlotQuery, *, now: dt.datetime | None = None, max_slots: int = MAX_SLOTS) -> Availability:
    """Open slots per practitioner, earliest first, in [date_from, date_to] (local days).
    `truncated` says the window held more than `max_slots` slots (the rest is left out)."""
    now = now or clock.now()
    assert query.date_from is not None and query.date_to is not None
    qs = open_slot_query(query, now=now, portal=True)
    if qs is None:
        return Availability(query.date_from, query.date_to, b"[]", False)
    if connection.vendor == "postgresql":
        stretches = offset_stretches(query.date_from, query.date_to)
        # One statement: the whole window, capped one row above the limit. Only a window over the
        # cap (rare: narrow the filters) is read again, the earliest slots up to the limit.
        text, count = _json_on_postgres(qs, max_slots + 1, stretches, earliest=False)
        truncated = count > max_slots
        if truncated:
            text, _count = _json_on_postgres(qs, max_slots, stretches, earliest=True)
        return Availability(query.date_from, query.date_to, text, truncated)
    rows = list(
        qs.order_by("practitioner_id", "start", "pk").values_list(
            "practitioner_id",
            "practitioner__title",
            "practitioner__first_name",
            "practitioner__last_name",
            "pk",
            "start",
            "end",
            "unit_id",
            "financing",
            "televisit",
        )[: max_slots + 1]
    )
    truncated = len(rows) > max_slots
    grouped: dict[int, dict] = {}
    tz = clock.WARSAW
    for practitioner_id, title, first, last, pk, start, end, unit_id, financing, televisit in rows[:max_slots]:
        entry = grouped.get(practitioner_id)
        if entry is None:
            name = " ".join(part for part in (title, first, last) if part)
            entry = grouped[practitioner_id] = {"id": practitioner_id, "name": name, "slots": []}
        entry["slots"].append((pk, start.astimezone(tz), end.astimezone(tz), unit_id, financing, televisit))
    return Availability(query.date_from, query.date_to, orjson.dumps(list(grouped.values())), truncated)
