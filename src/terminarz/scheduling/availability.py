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


# A timestamp as the API writes it: local time, ISO 8601, with the offset
# ("2026-12-01T08:00:00+01:00"). Warsaw is UTC+1 or, in summer, UTC+2; plain casts (cheaper
# than to_char on thousands of rows).
LOCAL = (
    "replace(({c} AT TIME ZONE 'Europe/Warsaw')::text, ' ', 'T') || "
    "CASE WHEN ({c} AT TIME ZONE 'Europe/Warsaw') - ({c} AT TIME ZONE 'UTC') = interval '2 hours' "
    "THEN '+02:00' ELSE '+01:00' END"
)


def _json_on_postgres(qs, max_slots: int) -> tuple[bytes, bool]:
    rows = qs.order_by("practitioner_id", "start", "pk").values_list(
        "practitioner_id", "pk", "start", "end", "unit_id", "financing", "televisit"
    )[: max_slots + 1]
    sql, params = rows.query.sql_with_params()
    # Text concatenation instead of json_build_array: the values are numbers, ISO times and
    # fixed codes (nothing to escape), and building JSON values row by row cost more than the
    # query. Only names go through to_json (escaping).
    start, end = LOCAL.format(c="start"), LOCAL.format(c='"end"')
    query = f"""
        WITH r (practitioner_id, id, start, "end", unit_id, financing, televisit) AS ({sql}),
        kept AS (SELECT * FROM r ORDER BY practitioner_id, start, id LIMIT %s),
        grouped AS (
            SELECT practitioner_id,
                   string_agg('[' || id || ',"' || {start} || '","' || {end} || '",' || unit_id
                              || ',"' || financing || '","' || televisit || '"]', ',' ORDER BY start, id) AS slots
            FROM kept GROUP BY practitioner_id
        )
        SELECT '[' || coalesce(string_agg(
                   '{{"id":' || g.practitioner_id
                   || ',"name":' || to_json(concat_ws(' ', nullif(p.title, ''), p.first_name, p.last_name))::text
                   || ',"slots":[' || g.slots || ']}}', ',' ORDER BY g.practitioner_id), '') || ']',
               (SELECT count(*) FROM r) > %s
        FROM grouped g JOIN staff_practitioner p ON p.id = g.practitioner_id
    """
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, max_slots, max_slots])
        text, truncated = cursor.fetchone()
    return text.encode(), bool(truncated)


def availability(query: SlotQuery, *, now: dt.datetime | None = None, max_slots: int = MAX_SLOTS) -> Availability:
    """Open slots per practitioner, earliest first, in [date_from, date_to] (local days).
    `truncated` says the window held more than `max_slots` slots (the rest is left out)."""
    now = now or clock.now()
    assert query.date_from is not None and query.date_to is not None
    qs = open_slot_query(query, now=now, portal=True)
    if qs is None:
        return Availability(query.date_from, query.date_to, b"[]", False)
    if connection.vendor == "postgresql":
        text, truncated = _json_on_postgres(qs, max_slots)
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
