"""Doctor-centred search results (D1, issue 11 item 5): one card per practitioner (or per
practitioner and unit where the provider groups by units) with a week of free slots, built
from the compact availability read in three queries: the window's slots, the practitioners of
the page with what a card shows, and the units the slots are in."""

import dataclasses
import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Min, Prefetch, Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext

from terminarz.catalog.models import Service
from terminarz.core import clock
from terminarz.providers.models import RegistrationSettings, Unit
from terminarz.scheduling.search import SlotQuery, open_slot_query, search_slots
from terminarz.staff.models import Practitioner

URL_MARK = "987654321"  # a slot id in the booking address, replaced by each slot's
WEEK_DAYS = 7
CARDS_PER_PAGE = 10


@dataclass
class CardSlot:
    pk: int
    start: dt.datetime
    financing: str
    televisit: str
    time: str = ""  # "08:15", local
    label: str = ""  # what a screen reader says for the button
    url: str = ""
    earliest: bool = False


@dataclass
class Card:
    practitioner: Practitioner
    unit: Unit | None
    days: "OrderedDict[dt.date, list[CardSlot]]"
    financing: set[str] = field(default_factory=set)
    televisit: set[str] = field(default_factory=set)
    price_from: object = None


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
    """The week's cards, a page at a time: the database ranks the practitioners (or
    practitioner and unit pairs) by their earliest open slot in the week and counts them; only
    the page's practitioners' slots are read. A name typed in the box filters in SQL."""
    today = clock.local_today()
    first, last = week_of(query, today, week)
    window = dataclasses.replace(query, date_from=first, date_to=last)
    qs = open_slot_query(window, now=clock.now(), portal=True)
    if qs is not None and text:
        named = Practitioner.objects.filter(
            Q(last_name__icontains=text) | Q(first_name__icontains=text) | Q(title__icontains=text)
        )
        qs = qs.filter(practitioner_id__in=named.values("pk"))
    # One card per practitioner, or per practitioner and unit when the provider searched for
    # groups its practitioners by units (registration setting; read, never created here).
    by_unit = bool(
        query.provider and RegistrationSettings.objects.filter(provider_id=query.provider, group_by_units=True).exists()
    )
    group = ("unit_id", "practitioner_id") if by_unit else ("practitioner_id",)
    ranked = (
        qs.values(*group)
        .annotate(earliest=Min("start"))
        .order_by(*(("unit_id",) if by_unit else ()), "earliest", "practitioner_id")
        if qs is not None
        else None
    )
    total = ranked.count() if ranked is not None else 0
    pages = max(1, -(-total // CARDS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown: list[tuple[int, int | None]] = (
        [
            (r["practitioner_id"], r["unit_id"] if by_unit else None)
            for r in ranked[(page - 1) * CARDS_PER_PAGE : page * CARDS_PER_PAGE]
        ]
        if ranked is not None
        else []
    )
    keyed: OrderedDict[tuple[int, int | None], list[tuple]] = OrderedDict((k, []) for k in shown)
    if shown and qs is not None:
        rows = (
            qs.filter(practitioner_id__in={k[0] for k in shown})
            .order_by("start", "pk")
            .values_list("pk", "start", "end", "unit_id", "financing", "televisit", "practitioner_id")
        )
        for pk, start, end, unit_id, financing, televisit, practitioner_id in rows:
            key = (practitioner_id, unit_id if by_unit else None)
            if key in keyed:
                keyed[key].append((pk, start.astimezone(clock.WARSAW), end, unit_id, financing, televisit))
    keys = list(keyed) if total else []
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
    label_text = gettext("Umów wizytę: %(name)s, %(date)s, godz. %(time)s")
    tele_text = gettext("(teleporada)")
    book_url = reverse("portal:book", args=[URL_MARK])
    unit_ids = {slot[3] for k in shown for slot in keyed[k]}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids).select_related("location")}
    cards = []
    for practitioner_id, card_unit_id in shown:
        practitioner = practitioners.get(practitioner_id)
        if practitioner is None:
            continue
        slots = keyed[(practitioner_id, card_unit_id)]
        if not slots:  # booked by someone between the two reads
            continue
        days: OrderedDict[dt.date, list[CardSlot]] = OrderedDict(
            (first + dt.timedelta(days=i), []) for i in range((last - first).days + 1)
        )
        # Labels made here, once per day and slot: a template tag per slot button cost more
        # than the page's queries together.
        day_names = {day: date_format(day, "l, j E").lower() for day in days}
        name = practitioner.full_name
        for pk, start, _end, _unit, financing, televisit in slots:
            time = f"{start:%H:%M}"
            label = label_text % {"name": name, "date": day_names[start.date()], "time": time}
            if televisit == "only":
                label = f"{label} {tele_text}"
            url = book_url.replace(URL_MARK, str(pk))
            days[start.date()].append(CardSlot(pk, start, financing, televisit, time, label, url))
        first_slot = next((s for day_slots in days.values() for s in day_slots), None)
        if first_slot is not None:
            first_slot.earliest = True
        prices = [s.price for s in practitioner.procedures.all() if s.price]
        card_unit = units.get(card_unit_id) if card_unit_id else units.get(slots[0][3])
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
