"""Doctor-centred search results (D1, issue 11 item 5): one card per practitioner (or per
practitioner and unit where the provider groups by units) with a week of free slots, built
from the compact availability read in three queries: the window's slots, the practitioners of
the page with what a card shows, and the units the slots are in."""

import dataclasses
import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from terminarz.catalog.models import Service
from terminarz.core import clock
from terminarz.providers.models import Unit, settings_for
from terminarz.scheduling.availability import availability
from terminarz.scheduling.search import SlotQuery, search_slots
from terminarz.staff.models import Practitioner

WEEK_DAYS = 7
CARDS_PER_PAGE = 10


@dataclass
class CardSlot:
    pk: int
    start: dt.datetime
    financing: str
    televisit: str


@dataclass
class Card:
    practitioner: Practitioner
    unit: Unit | None
    days: "OrderedDict[dt.date, list[CardSlot]]"
    financing: set[str] = field(default_factory=set)
    televisit: set[str] = field(default_factory=set)
    price_from: object = None

    @property
    def first_slot(self) -> CardSlot | None:
        return next((s for slots in self.days.values() for s in slots), None)


@dataclass
class Results:
    week_start: dt.date
    week_end: dt.date
    cards: list[Card]
    groups: list[tuple[Unit | None, list[Card]]]
    page: int
    pages: int
    next_free: dt.datetime | None  # the earliest free slot after this week, when the week has none
    previous_week: dt.date | None
    next_week: dt.date


def week_of(query: SlotQuery, today: dt.date, start: dt.date | None) -> tuple[dt.date, dt.date]:
    first = max(start or query.date_from or today, today)
    last = first + dt.timedelta(days=WEEK_DAYS - 1)
    if query.date_to is not None:
        last = max(first, min(last, query.date_to))
    return first, last


def search_cards(query: SlotQuery, *, text: str = "", week: dt.date | None = None, page: int = 1) -> Results:
    today = clock.local_today()
    first, last = week_of(query, today, week)
    window = dataclasses.replace(query, date_from=first, date_to=last)
    found = availability(window).practitioners
    if text:
        wanted = text.casefold()
        found = [p for p in found if wanted in p.name.casefold()]
    # One card per practitioner, or per practitioner and unit when the provider searched for
    # groups its practitioners by units (registration setting).
    by_unit = bool(query.provider and settings_for(query.provider).group_by_units)
    keyed: OrderedDict[tuple[int, int | None], list[tuple]] = OrderedDict()
    for p in sorted(found, key=lambda p: p.slots[0][1]):
        for slot in p.slots:
            keyed.setdefault((p.id, slot[3] if by_unit else None), []).append(slot)
    keys = list(keyed)
    if by_unit:
        keys.sort(key=lambda k: k[1] or 0)  # stable: earliest first within a unit
    pages = max(1, -(-len(keys) // CARDS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = keys[(page - 1) * CARDS_PER_PAGE : page * CARDS_PER_PAGE]
    practitioners = {
        p.pk: p
        for p in Practitioner.objects.filter(pk__in={k[0] for k in shown})
        .select_related("provider")
        .prefetch_related(
            "specializations",
            "units__location",
            Prefetch("procedures", queryset=Service.objects.filter(is_active=True, self_service=True)),
        )
    }
    unit_ids = {slot[3] for k in shown for slot in keyed[k]}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids).select_related("location")}
    cards = []
    for practitioner_id, unit_id in shown:
        practitioner = practitioners.get(practitioner_id)
        if practitioner is None:
            continue
        slots = keyed[(practitioner_id, unit_id)]
        days: OrderedDict[dt.date, list[CardSlot]] = OrderedDict(
            (first + dt.timedelta(days=i), []) for i in range((last - first).days + 1)
        )
        for pk, start, _end, _unit, financing, televisit in slots:
            days[start.date()].append(CardSlot(pk, start, financing, televisit))
        prices = [s.price for s in practitioner.procedures.all() if s.price]
        card_unit = units.get(unit_id) if unit_id else units.get(slots[0][3])
        cards.append(
            Card(
                practitioner=practitioner,
                unit=card_unit,
                days=days,
                financing={s[4] for s in slots},
                televisit={s[5] for s in slots},
                price_from=min(prices) if prices else None,
            )
        )
    groups: list[tuple[Unit | None, list[Card]]] = []
    if by_unit:
        for card in cards:
            if groups and groups[-1][0] == card.unit:
                groups[-1][1].append(card)
            else:
                groups.append((card.unit, [card]))
    else:
        groups = [(None, cards)]
    next_free = None
    if not keys and not text:
        later, _cursor = search_slots(dataclasses.replace(query, date_from=last + dt.timedelta(days=1)), limit=1)
        next_free = later[0].start if later else None
    return Results(
        week_start=first,
        week_end=last,
        cards=cards,
        groups=groups,
        page=page,
        pages=pages,
        next_free=next_free,
        previous_week=max(first - dt.timedelta(days=WEEK_DAYS), today) if first > today else None,
        next_week=first + dt.timedelta(days=WEEK_DAYS),
    )
