"""The calendar as a time grid (F1): columns (a practitioner's days, or a unit's practitioners
on one day) of slots placed by their time, so a registrar reads the day as she would on paper.
Rows are 5-minute steps; a slot spans its length. Pure layout: the views load the slots and
visits, this module only places them."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from terminarz.core import clock

STEP_MINUTES = 5
DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR = 8, 16


@dataclass
class Item:
    slot: Any  # scheduling.models.Slot (or anything with start, end and state)
    visit: Any  # booking.models.Appointment or None
    past: bool
    row: int  # 1-based grid row of the start
    span: int  # rows it covers

    @property
    def state(self) -> str:
        """What the registrar should read: a visit, free, past (a free slot that is over),
        blocked or held."""
        if self.visit is not None:
            return "booked"
        if self.slot.state == "free":
            return "past" if self.past else "free"
        return self.slot.state


@dataclass
class Column:
    key: str
    label: str
    sublabel: str = ""
    day: dt.date | None = None
    practitioner: object = None
    items: list[Item] = field(default_factory=list)


@dataclass
class Grid:
    columns: list[Column]
    first_hour: int
    last_hour: int
    now_row: int | None  # the now-line's row when the grid shows today, else None

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * 60 // STEP_MINUTES

    @property
    def hours(self) -> list[tuple[int, int]]:
        """(hour, its grid row) for the labels on the time axis."""
        return [(h, (h - self.first_hour) * 60 // STEP_MINUTES + 1) for h in range(self.first_hour, self.last_hour)]


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(clock.WARSAW)


def build(columns: list[Column], entries: dict[str, list[tuple]], *, now: dt.datetime, today: dt.date) -> Grid:
    """`entries`: column key → [(slot, visit or None)]. The hours shown cover every slot (at
    least 8:00–16:00)."""
    starts = [_local(s.start) for rows in entries.values() for s, _v in rows]
    ends = [_local(s.end) for rows in entries.values() for s, _v in rows]
    first = min([DEFAULT_FIRST_HOUR, *(t.hour for t in starts)])
    last = max([DEFAULT_LAST_HOUR, *(t.hour + (1 if t.minute or t.second else 0) for t in ends)])
    last = min(max(last, first + 1), 24)
    for column in columns:
        for slot, visit in entries.get(column.key, []):
            start, end = _local(slot.start), _local(slot.end)
            minutes = (start.hour - first) * 60 + start.minute
            length = max(int((end - start).total_seconds() // 60), STEP_MINUTES)
            column.items.append(
                Item(
                    slot=slot,
                    visit=visit,
                    past=slot.start <= now,
                    row=minutes // STEP_MINUTES + 1,
                    span=max(1, length // STEP_MINUTES),
                )
            )
    now_row = None
    if any(c.day == today for c in columns):
        local_now = _local(now)
        if first <= local_now.hour < last:
            now_row = ((local_now.hour - first) * 60 + local_now.minute) // STEP_MINUTES + 1
    return Grid(columns=columns, first_hour=first, last_hour=last, now_row=now_row)
