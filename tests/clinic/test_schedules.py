"""Schedule editor (C1–C3): blocks, validation naming conflicts, regeneration, days off, blocking."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking.errors import InvalidBooking, SlotTaken
from terminarz.booking.services import book_appointment
from terminarz.core.models import AuditEntry
from terminarz.scheduling.models import Schedule, Slot
from terminarz.scheduling.search import SlotQuery, search_slots
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, make_practitioner, make_provider, make_unit

pytestmark = pytest.mark.django_db


def block(i, weekday, start, end, **extra):
    data = {
        f"bloki-{i}-weekday": weekday,
        f"bloki-{i}-start_time": start,
        f"bloki-{i}-end_time": end,
        f"bloki-{i}-slot_minutes": extra.pop("minutes", 20),
        f"bloki-{i}-financing": extra.pop("financing", "nfz"),
        f"bloki-{i}-televisit": extra.pop("televisit", "no"),
    }
    data.update({f"bloki-{i}-{k}": v for k, v in extra.items()})
    return data


def schedule_post(practitioner, unit, *blocks, initial=0, **fields):
    data = {
        "practitioner": practitioner.pk,
        "unit": unit.pk,
        "valid_from": "2026-11-20",
        "valid_to": "",
        "description": fields.get("description", "Podstawowy"),
        "is_published_online": "on",
        "bloki-TOTAL_FORMS": len(blocks),
        "bloki-INITIAL_FORMS": initial,
        "bloki-MIN_NUM_FORMS": 0,
        "bloki-MAX_NUM_FORMS": 1000,
    }
    for b in blocks:
        data.update(b)
    if fields.get("unpublish"):
        data.pop("is_published_online")
    return data


@pytest.fixture
def editor(today, client):
    provider = make_provider()
    unit = make_unit(provider)
    practitioner = make_practitioner(provider, unit)
    alice = make_user("alice", provider, "admin")
    client.force_login(alice)
    return {"provider": provider, "unit": unit, "practitioner": practitioner, "alice": alice}


def create(client, editor, *blocks, **fields):
    return client.post(
        reverse("clinic:schedule-create"), schedule_post(editor["practitioner"], editor["unit"], *blocks, **fields)
    )


def test_new_schedule_generates_slots_that_the_portal_shows(client, editor):
    response = create(client, editor, block(0, 0, "08:00", "10:00"), block(1, 4, "10:00", "12:00", minutes=30))
    assert response.status_code == 302
    schedule = Schedule.objects.get()
    assert Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 23)).count() == 6  # Monday 08-10 / 20 min
    found, _ = search_slots(SlotQuery(practitioner=editor["practitioner"].pk), limit=5)
    assert found and found[0].start == dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)  # Fri 10:30 local


@pytest.mark.parametrize(
    "blocks, message",
    [
        (
            [block(0, 0, "08:00", "12:00"), block(1, 0, "11:00", "13:00")],
            "Blok poniedziałek 11:00–13:00 nakłada się na blok poniedziałek 08:00–12:00",
        ),
        ([block(0, 1, "12:00", "10:00")], "kończy się przed rozpoczęciem"),
        ([block(0, 1, "10:00", "10:15", minutes=30)], "wizyta jest dłuższa niż cały blok"),
        ([block(0, 2, "10:00", "12:00", first_visit_only="on", followup_only="on")], "zaznaczono jednocześnie"),
    ],
)
def test_bad_blocks_are_refused_with_the_block_named_and_nothing_saved(client, editor, blocks, message):
    response = create(client, editor, *blocks)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Schedule.objects.exists() and not Slot.objects.exists()


def test_block_overlapping_another_schedule_of_the_practitioner_is_refused(client, editor):
    other_unit = make_unit(editor["provider"], name="Poradnia POZ")
    editor["practitioner"].units.add(other_unit)
    create(client, editor, block(0, 0, "08:00", "12:00"), description="Kardiologia")
    response = client.post(
        reverse("clinic:schedule-create"),
        schedule_post(editor["practitioner"], other_unit, block(0, 0, "11:30", "14:00"), description="POZ"),
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert (
        "nakłada się na blok poniedziałek 08:00–12:00 w harmonogramie „Kardiologia” (Poradnia kardiologiczna)" in html
    )
    assert Schedule.objects.count() == 1


def test_shortening_keeps_booked_visit_and_lists_it(client, editor):
    create(client, editor, block(0, 0, "08:00", "12:00"))
    schedule = Schedule.objects.get()
    late = Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 23)).order_by("-start").first()
    visit = book_appointment(late.pk, PATIENT)
    blocks_id = schedule.blocks.get().pk
    data = schedule_post(editor["practitioner"], editor["unit"], block(0, 0, "08:00", "10:00", id=blocks_id), initial=1)
    data["bloki-0-schedule"] = schedule.pk
    response = client.post(reverse("clinic:schedule", args=[schedule.pk]), data)
    html = response.content.decode()
    assert "Wizyty poza nowym harmonogramem" in html and visit.reference in html
    assert reverse("clinic:move-visit", args=[visit.pk]) in html
    late.refresh_from_db()
    assert late.state == "booked" and late.out_of_schedule
    assert not Slot.objects.filter(
        schedule=schedule, day=dt.date(2026, 11, 23), state="free", start__gte=late.start
    ).exists()


def test_unpublishing_hides_slots_from_portal(client, editor):
    create(client, editor, block(0, 0, "08:00", "10:00"))
    schedule = Schedule.objects.get()
    block_id = schedule.blocks.get().pk
    data = schedule_post(
        editor["practitioner"], editor["unit"], block(0, 0, "08:00", "10:00", id=block_id), initial=1, unpublish=True
    )
    data["bloki-0-schedule"] = schedule.pk
    client.post(reverse("clinic:schedule", args=[schedule.pk]), data)
    assert search_slots(SlotQuery(practitioner=editor["practitioner"].pk))[0] == []
    assert search_slots(SlotQuery(practitioner=editor["practitioner"].pk), portal=False)[0] != []


def test_day_off_blocks_free_slots_and_warns_about_visits(client, editor):
    create(client, editor, block(0, 0, "08:00", "10:00"))
    schedule = Schedule.objects.get()
    monday = dt.date(2026, 11, 23)
    first = Slot.objects.filter(schedule=schedule, day=monday).order_by("start").first()
    book_appointment(first.pk, PATIENT)
    response = client.post(reverse("clinic:schedule-day-off", args=[schedule.pk]), {"day": "2026-11-23"}, follow=True)
    assert "pozostała – przenieś ją lub odwołaj" in response.content.decode()
    states = set(Slot.objects.filter(schedule=schedule, day=monday).values_list("state", flat=True))
    assert states == {"booked", "blocked"}


def test_single_slot_blocked_and_unblocked(client, editor, frozen):
    create(client, editor, block(0, 0, "08:00", "10:00"))
    slot = Slot.objects.filter(start__gt=FROZEN_NOW).order_by("start").first()
    client.post(reverse("clinic:slot-block", args=[slot.pk]), {"blocked": "1"})
    slot.refresh_from_db()
    assert slot.state == "blocked"
    with pytest.raises((InvalidBooking, SlotTaken)):
        book_appointment(slot.pk, PATIENT)
    client.post(reverse("clinic:slot-block", args=[slot.pk]), {"blocked": "0"})
    slot.refresh_from_db()
    assert slot.state == "free"


def test_registrar_sees_schedules_but_cannot_change_them(client, editor):
    create(client, editor, block(0, 0, "08:00", "10:00"))
    client.force_login(make_user("rachel", editor["provider"], "registrar"))
    assert client.get(reverse("clinic:schedules")).status_code == 200
    schedule = Schedule.objects.get()
    assert client.get(reverse("clinic:schedule", args=[schedule.pk])).status_code == 403
    assert client.post(reverse("clinic:schedule-day-off", args=[schedule.pk]), {"day": "2026-11-23"}).status_code == 403


def test_block_options_for_televisit_and_children_reach_the_slots_and_the_portal(client, editor):
    create(
        client,
        editor,
        block(0, 0, "08:00", "09:00", televisit="only", financing="private"),
        block(1, 1, "08:00", "09:00", children="sick", financing="private"),
    )
    televisit = Slot.objects.filter(day=dt.date(2026, 11, 23)).first()
    children = Slot.objects.filter(day=dt.date(2026, 11, 24)).first()
    assert (televisit.televisit, televisit.children, televisit.portal) == ("only", "", True)
    # Seed 000: healthy/sick children's blocks go only to insurers' systems, never to the portal.
    assert (children.children, children.portal) == ("sick", False)
    page = client.get(reverse("portal:search"), {"practitioner": editor["practitioner"].pk}).content.decode()
    assert "tylko teleporada" in page
    assert "dzieci chore" not in page
    assert client.get(reverse("portal:book", args=[children.pk])).status_code == 404
    day = client.get(reverse("clinic:calendar"), {"lekarz": editor["practitioner"].pk, "dzien": "2026-11-24"})
    assert "dzieci chore" in day.content.decode()


def test_copy_block_with_its_options_to_other_weekdays(client, editor):
    create(client, editor, block(0, 0, "08:00", "10:00", minutes=30, first_visit_only="on", televisit="possible"))
    schedule = Schedule.objects.get()
    source = schedule.blocks.get()
    response = client.post(
        reverse("clinic:schedule-block-copy", args=[schedule.pk]), {"block": source.pk, "weekdays": ["1", "3"]}
    )
    assert response.status_code == 302
    copies = schedule.blocks.exclude(pk=source.pk).order_by("weekday")
    assert [b.weekday for b in copies] == [1, 3]
    assert all(b.first_visit_only and b.televisit == "possible" and b.slot_minutes == 30 for b in copies)
    tuesday = Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 24))
    assert tuesday.count() == 4 and all(s.first_visit_only for s in tuesday)
    assert AuditEntry.objects.filter(action="schedule.block_copied").exists()


def test_copy_onto_an_overlapping_block_is_refused_and_saves_nothing(client, editor):
    create(client, editor, block(0, 0, "08:00", "10:00"), block(1, 2, "09:00", "11:00"))
    schedule = Schedule.objects.get()
    monday = schedule.blocks.get(weekday=0)
    response = client.post(
        reverse("clinic:schedule-block-copy", args=[schedule.pk]),
        {"block": monday.pk, "weekdays": ["1", "2"]},
        follow=True,
    )
    assert "nakłada się na blok środa 09:00–11:00" in response.content.decode()
    assert schedule.blocks.count() == 2
    assert not Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 24)).exists()


def test_extra_hours_on_one_day_and_their_removal(client, editor):
    create(client, editor, block(0, 0, "08:00", "10:00"))
    schedule = Schedule.objects.get()
    url = reverse("clinic:schedule-extra", args=[schedule.pk])
    extra = {
        "date": "2026-11-29",
        "start_time": "10:00",
        "end_time": "11:00",
        "slot_minutes": 20,
        "financing": "nfz",
        "televisit": "no",
    }
    assert client.post(url, extra).status_code == 302
    sunday = Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 29))
    assert sunday.count() == 3
    assert not Slot.objects.filter(schedule=schedule, day=dt.date(2026, 12, 6)).exists()  # next Sunday: none
    added = schedule.blocks.get(date=dt.date(2026, 11, 29))
    assert added.weekday == 6

    # Overlapping the regular Monday hours, or outside validity: refused, named, nothing saved.
    overlap = client.post(url, {**extra, "date": "2026-11-30", "start_time": "09:00"}, follow=True)
    assert "Blok 30.11.2026 09:00–11:00 nakłada się na blok poniedziałek 08:00–10:00" in overlap.content.decode()
    missing = client.post(url, {**extra, "date": ""}, follow=True)
    assert "Dzień" in missing.content.decode() and "To pole jest wymagane" in missing.content.decode()
    assert schedule.blocks.count() == 2

    # Removing extra hours keeps a booked visit and says so.
    visit = book_appointment(sunday.order_by("start").first().pk, PATIENT)
    response = client.post(reverse("clinic:schedule-extra-remove", args=[schedule.pk, added.pk]), follow=True)
    assert "pozostała poza harmonogramem" in response.content.decode()
    assert Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 29)).count() == 1
    visit.refresh_from_db()
    assert visit.is_active


def test_saving_the_weekly_grid_keeps_extra_hours(client, editor):
    create(client, editor, block(0, 0, "08:00", "10:00"))
    schedule = Schedule.objects.get()
    client.post(
        reverse("clinic:schedule-extra", args=[schedule.pk]),
        {
            "date": "2026-11-29",
            "start_time": "10:00",
            "end_time": "11:00",
            "slot_minutes": 20,
            "financing": "nfz",
            "televisit": "no",
        },
    )
    weekly = schedule.blocks.get(date__isnull=True)
    data = schedule_post(editor["practitioner"], editor["unit"], block(0, 0, "08:00", "10:00", id=weekly.pk), initial=1)
    data["bloki-0-schedule"] = schedule.pk
    page = client.get(reverse("clinic:schedule", args=[schedule.pk])).content.decode()
    assert "29.11.2026 10:00–11:00" in page and 'name="bloki-TOTAL_FORMS" value="2"' in page
    assert client.post(reverse("clinic:schedule", args=[schedule.pk]), data).status_code == 302
    assert Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 29)).count() == 3
