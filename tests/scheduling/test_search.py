import datetime as dt

import pytest

from terminarz.booking.services import book_appointment
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.search import SlotQuery, search_slots
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, every_day

pytestmark = pytest.mark.django_db


def test_earliest_first_and_only_future(today, frozen):
    clinic(today=today, days=2)
    slots, _ = search_slots(SlotQuery(), limit=3)
    assert [s.start.strftime("%H:%M") for s in slots] == ["09:15", "09:30", "09:45"]  # UTC; now is 10:00 Warsaw
    assert slots == sorted(slots, key=lambda s: s.start)


def test_filters_specialization_city_financing_and_dates(today):
    clinic(today=today, days=3, spec="kardiologia", city="Kraków")
    _, _, derm, _ = clinic(
        today=today,
        days=3,
        spec="dermatologia",
        city="Wieliczka",
        blocks=every_day(dt.time(8), dt.time(12), financing="private"),
    )
    found, _ = search_slots(SlotQuery(specialization="Dermatologia i wenerologia"), limit=50)
    assert {s.practitioner_id for s in found} == {derm.pk}
    found, _ = search_slots(SlotQuery(specialization="dermatologia", city="kraków"), limit=50)
    assert found == []
    found, _ = search_slots(SlotQuery(city="Wieliczka", financing="nfz"), limit=50)
    assert found == []
    found, _ = search_slots(SlotQuery(date_from=today + dt.timedelta(days=2)), limit=100)
    assert {s.day for s in found} == {today + dt.timedelta(days=2)}


def test_call_center_only_never_on_portal(today):
    clinic(today=today, days=2, blocks=every_day(dt.time(8), dt.time(12), callcenter_only=True))
    assert search_slots(SlotQuery())[0] == []
    assert search_slots(SlotQuery(), portal=False)[0] != []


def test_unpublished_schedule_and_hidden_practitioner_not_on_portal(today):
    _, _, practitioner, schedule = clinic(today=today, days=2)
    practitioner.is_visible_online = False
    practitioner.save()
    assert search_slots(SlotQuery())[0] == []


def test_visit_kind_answer_filters_first_and_followup_blocks(today):
    blocks = [
        {"weekday": d, "start_time": dt.time(10), "end_time": dt.time(11), "first_visit_only": True} for d in range(7)
    ] + [{"weekday": d, "start_time": dt.time(11), "end_time": dt.time(12), "followup_only": True} for d in range(7)]
    clinic(today=today, days=2, blocks=blocks)
    first, _ = search_slots(SlotQuery(visit_kind="first"), limit=100)
    follow, _ = search_slots(SlotQuery(visit_kind="followup"), limit=100)
    assert first and all(s.first_visit_only for s in first)
    assert follow and all(s.followup_only for s in follow)


def test_first_free_only_offers_just_the_earliest_open_slot_of_the_day(today, frozen):
    _, _, _, schedule = clinic(today=today, days=2, blocks=every_day(dt.time(12), dt.time(14), first_free_only=True))
    found, _ = search_slots(SlotQuery(), limit=100)
    assert [s.start.strftime("%d %H:%M") for s in found] == ["20 11:00", "21 11:00"]
    book_appointment(found[0].pk, PATIENT)
    found, _ = search_slots(SlotQuery(), limit=100)
    assert [s.start.strftime("%d %H:%M") for s in found] == ["20 11:15", "21 11:00"]


def test_cursor_pagination_walks_all_slots_without_repeats(today):
    clinic(today=today, days=2)
    clinic(today=today, days=2)
    seen, cursor = [], None
    while True:
        page, cursor = search_slots(SlotQuery(), limit=7, cursor=cursor)
        seen += [s.pk for s in page]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 2 * (7 + 16)  # today's 10:00 slot starts now: not offered


def test_expired_hold_counts_as_free_at_once(today, frozen):
    clinic(today=today, days=1)
    slot = Slot.objects.order_by("start").filter(start__gt=FROZEN_NOW).first()
    Slot.objects.filter(pk=slot.pk).update(state=SlotState.HELD, hold_until=FROZEN_NOW + dt.timedelta(minutes=5))
    assert slot.pk not in [s.pk for s in search_slots(SlotQuery(), limit=100)[0]]
    frozen.shift(dt.timedelta(minutes=6))
    assert slot.pk in [s.pk for s in search_slots(SlotQuery(), limit=100)[0]]
