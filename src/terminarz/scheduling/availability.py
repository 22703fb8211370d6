"""The compact availability read (D1, issue 10): the free slots of many practitioners at once.

What a doctor-centred search card or another system's "availability" needs: per practitioner,
every open slot in a date window, on the online channel, by the same filters and rules as the
paged search (`search.open_slot_query`, so both return the same slots). One query, rows as
tuples (no model instances), grouped here; the API serializes the result with orjson.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Value
from django.db.models.functions import Concat

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
    practitioners: list[PractitionerAvailability]
    truncated: bool

    def as_dict(self) -> dict:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "slot_fields": list(SLOT_FIELDS),
            "practitioners": [{"id": p.id, "name": p.name, "slots": p.slots} for p in self.practitioners],
            "truncated": self.truncated,
        }


def availability(query: SlotQuery, *, now: dt.datetime | None = None, max_slots: int = MAX_SLOTS) -> Availability:
    """Open slots per practitioner, earliest first, in [date_from, date_to] (local days).
    `truncated` says the window held more than `max_slots` slots (the rest is left out)."""
    now = now or clock.now()
    assert query.date_from is not None and query.date_to is not None
    qs = open_slot_query(query, now=now, portal=True)
    if qs is None:
        return Availability(query.date_from, query.date_to, [], False)
    rows = list(
        qs.order_by("practitioner_id", "start", "pk").values_list(
            "practitioner_id",
            Concat(
                F("practitioner__title"),
                Value(" "),
                F("practitioner__first_name"),
                Value(" "),
                F("practitioner__last_name"),
            ),
            "pk",
            "start",
            "end",
            "unit_id",
            "financing",
            "televisit",
        )[: max_slots + 1]
    )
    truncated = len(rows) > max_slots
    by_practitioner: dict[int, PractitionerAvailability] = {}
    tz = clock.WARSAW
    for practitioner_id, name, pk, start, end, unit_id, financing, televisit in rows[:max_slots]:
        entry = by_practitioner.get(practitioner_id)
        if entry is None:
            entry = by_practitioner[practitioner_id] = PractitionerAvailability(practitioner_id, name.strip())
        entry.slots.append((pk, start.astimezone(tz), end.astimezone(tz), unit_id, financing, televisit))
    return Availability(query.date_from, query.date_to, list(by_practitioner.values()), truncated)
