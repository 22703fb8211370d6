"""D6: "Obsługa kolejek oczekujących" (seed 001 Tabela 4) decides whether a provider offers its
NFZ slots online at all, and the first-time NFZ rules apply only to units that require a
queue entry (seed 001 §5.4)."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking.errors import BookingRefused, SlotNotOffered
from terminarz.booking.models import Appointment
from terminarz.booking.rules import NFZ_FIRST_VISIT_REFUSED
from terminarz.booking.services import book_appointment, book_for_patient
from terminarz.patients.services import match_or_create_patient
from terminarz.scheduling.models import Slot
from terminarz.scheduling.search import SlotQuery, search_slots
from terminarz.scheduling.services import generate_slots
from terminarz.waiting.models import QueueEntry
from tests.booking.test_registration_rules import portal_post, set_rules
from tests.clinic.test_access import make_user
from tests.clinic.test_org import unit_data
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic, every_day, make_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(today):
    """NFZ mornings and private afternoons of one practitioner."""
    provider, unit, practitioner, schedule = clinic(today=today, days=3)
    private = make_schedule(
        practitioner,
        unit,
        valid_from=today + dt.timedelta(days=5),
        blocks=every_day(dt.time(14), dt.time(15), financing="private"),
    )
    generate_slots(private, start_day=today + dt.timedelta(days=5), end_day=today + dt.timedelta(days=6))
    nfz = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    return {"provider": provider, "unit": unit, "nfz": nfz, "private": private}


def financing_found(**query) -> set[str]:
    found, _ = search_slots(SlotQuery(**query), limit=100)
    return {slot.financing for slot in found}


def test_queues_off_takes_nfz_slots_off_the_portal_and_refuses_them(client, world):
    assert financing_found() == {"nfz", "private"}
    set_rules(world["provider"], nfz_queues=False)
    assert financing_found() == {"private"}
    api = client.get("/api/v1/slots", {"limit": 100}).json()["items"]
    assert {item["financing"] for item in api} == {"private"}
    practitioner_card = client.get(reverse("portal:practitioner", args=[world["nfz"][0].practitioner_id]))
    assert reverse("portal:book", args=[world["nfz"][0].pk]) not in practitioner_card.content.decode()
    response = portal_post(client, world["nfz"][0])
    assert response.status_code == 404  # as any slot not offered online
    with pytest.raises(SlotNotOffered):
        book_appointment(world["nfz"][1].pk, PATIENT)
    assert not Appointment.objects.exists()


def test_the_desk_still_books_nfz_slots_with_queues_off(world):
    set_rules(world["provider"], nfz_queues=False)
    patient = match_or_create_patient(
        world["provider"], first_name="Jan", last_name="Kowalski", email="", phone="", pesel=VALID_PESEL
    )
    assert book_for_patient(world["nfz"][0].pk, patient, actor=None).status == "confirmed"


def test_first_time_rules_apply_only_to_units_that_require_a_queue_entry(world):
    set_rules(world["provider"], nfz_first_visit_online=False)
    with pytest.raises(BookingRefused) as refused:
        book_appointment(world["nfz"][0].pk, {**PATIENT, "pesel": VALID_PESEL})
    assert str(refused.value.message) == NFZ_FIRST_VISIT_REFUSED
    world["unit"].requires_queue_entry = False
    world["unit"].save()
    appointment = book_appointment(world["nfz"][0].pk, {**PATIENT, "pesel": VALID_PESEL})
    assert (appointment.status, appointment.nfz_first_time) == ("confirmed", False)
    assert not QueueEntry.objects.exists()


def test_a_unit_without_queue_does_not_queue_first_time_patients(world):
    world["unit"].requires_queue_entry = False
    world["unit"].save()
    book_appointment(world["nfz"][0].pk, {**PATIENT, "pesel": VALID_PESEL})
    assert not QueueEntry.objects.exists()
    world["unit"].requires_queue_entry = True
    world["unit"].save()
    book_appointment(world["nfz"][1].pk, {**PATIENT, "pesel": "02070803628"})
    assert QueueEntry.objects.count() == 1


def test_the_setting_and_the_flag_are_on_their_screens(client, world):
    client.force_login(make_user("alice", world["provider"], "admin"))
    settings_page = client.get(reverse("clinic:registration-settings")).content.decode()
    assert "Obsługa kolejek oczekujących" in settings_page
    url = reverse("clinic:unit", args=[world["unit"].pk])
    assert "Wymagany wpis do kolejki oczekujących" in client.get(url).content.decode()
    data = unit_data({"location": world["unit"].location}, code=world["unit"].code)  # flag left unticked
    assert client.post(url, data).status_code == 302
    world["unit"].refresh_from_db()
    assert world["unit"].requires_queue_entry is False


def test_queues_off_keeps_nfz_slots_from_the_waiting_list(world, django_capture_on_commit_callbacks):
    from terminarz.booking.channels import offered
    from terminarz.waiting.services import offer_slot

    set_rules(world["provider"], nfz_queues=False)
    slot = world["nfz"][0]
    assert offered(Slot.objects.get(pk=slot.pk), "portal", now=FROZEN_NOW) is False
    assert offer_slot(slot.pk, now=FROZEN_NOW) == 0
