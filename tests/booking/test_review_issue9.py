"""Regressions from the security review of issue 9: what the online channels may book equals
what search offers (a deactivated provider, a waiting-list offer whose slot left the portal),
a visit that took place cannot be moved, ids typed as Unicode digits never crash a page, and
erasing an account ends its waiting-list offers."""

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from terminarz.accounts.services import erase_patient_account
from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment, cancel_appointment_by_patient
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.search import SlotQuery, search_slots
from terminarz.waiting import services as waiting
from terminarz.waiting.models import WaitlistEntry, WaitlistOffer
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db
NOT_ONLINE = "Ten termin nie jest dostępny w rejestracji online."


def future(schedule):
    return list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))


def in_search(slot) -> bool:
    slots, _ = search_slots(SlotQuery(practitioner=slot.practitioner_id), now=FROZEN_NOW, limit=500)
    return slot.pk in [s.pk for s in slots]


def test_a_deactivated_providers_slot_is_neither_found_nor_booked_online(client, today, frozen):
    provider, _, _, schedule = clinic(today=today, days=2)
    provider.is_active = False
    provider.save(update_fields=["is_active"])
    slot = future(schedule)[0]
    assert in_search(slot) is False
    body = {"slot": slot.pk, "patient": {k: v for k, v in PATIENT.items() if k != "note"}}
    response = client.post("/api/v1/appointments", json.dumps(body), content_type="application/json")
    assert (response.status_code, response.json()["errors"]) == (422, {"slot": [NOT_ONLINE]})
    assert client.get(reverse("portal:book", args=[slot.pk])).status_code == 404
    assert Appointment.objects.count() == 0


@pytest.fixture
def offer(today, frozen, django_capture_on_commit_callbacks):
    provider, _, practitioner, schedule = clinic(today=today, days=1)
    visits = [book_appointment(s.pk, {**PATIENT, "email": f"p{i}@example.com"}) for i, s in enumerate(future(schedule))]
    waiting.join_waitlist(
        provider,
        practitioner=practitioner,
        data={
            "action": "confirm",
            "accept_terms": "on",
            "terms_version": "1.0",
            "first_name": "Ala",
            "last_name": "Nowak",
            "email": "ala@example.com",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(visits[0].pk, visits[0].cancel_token)
    return WaitlistOffer.objects.get()


def _payers_only(offer):
    offer.slot.practitioner.online_booking_for = "payers"
    offer.slot.practitioner.save()


def _practitioner_hidden(offer):
    offer.slot.practitioner.is_visible_online = False
    offer.slot.practitioner.save()


def _provider_inactive(offer):
    offer.slot.provider.is_active = False
    offer.slot.provider.save()


def _unit_hidden(offer):
    offer.slot.unit.is_visible = False
    offer.slot.unit.save()


def _unpublished(offer):
    Slot.objects.filter(pk=offer.slot_id).update(portal=False)


@pytest.mark.parametrize("change", [_payers_only, _practitioner_hidden, _provider_inactive, _unit_hidden, _unpublished])
def test_an_offer_whose_slot_left_the_portal_books_nothing(client, offer, change):
    change(offer)
    response = client.post(reverse("waitlist-offer", args=[offer.token]), {**PATIENT, "accept_requirements": "on"})
    assert response.status_code == 422
    assert NOT_ONLINE in response.content.decode()
    assert not Appointment.objects.filter(slot=offer.slot, status="confirmed").exists()
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.OFFERED


def patient_account(username: str):
    user = get_user_model().objects.create_user(
        username, f"{username}@example.com", "haslo-pacjenta-123", first_name="Ewa", last_name="Nowak"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_a_visit_that_took_place_cannot_be_moved(client, today, frozen):
    _, _, _, schedule = clinic(today=today, days=5)
    slots = future(schedule)
    ewa = patient_account("ewa")
    visit = book_appointment(slots[0].pk, {**PATIENT, "email": "ewa@example.com"}, account=ewa)
    client.force_login(ewa, backend="django.contrib.auth.backends.ModelBackend")
    frozen.move_to(visit.end + dt.timedelta(minutes=5))
    response = client.post(reverse("account-reschedule", args=[visit.pk]), {"slot": slots[-1].pk})
    assert response.status_code == 422
    assert "Tej wizyty nie można już zmienić." in response.content.decode()
    visit.refresh_from_db()
    assert visit.slot_id == slots[0].pk


@pytest.mark.parametrize(
    "query", ["?lekarz=%C2%B2", "?specjalizacja=kardiologia&placowka=%C2%B2", "?lekarz=99999999999999999999999"]
)
def test_waitlist_join_with_a_unicode_digit_id_is_not_found(client, today, query):
    clinic(today=today, days=1)
    assert client.get(reverse("waitlist-join") + query).status_code == 404


def test_switching_to_a_unicode_digit_account_acts_for_oneself(client, today):
    ewa = patient_account("ewa")
    client.force_login(ewa, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(reverse("account-switch"), {"account": "²"}).status_code == 302
    assert "acting_account_id" not in client.session


def test_switching_the_clinic_to_a_unicode_digit_provider_keeps_the_current_one(client, today):
    provider, _, _, _ = clinic(today=today, days=1)
    client.force_login(make_user("rita", provider, "registrar"))
    response = client.post(reverse("clinic:switch-provider"), {"provider": "²"})
    assert (response.status_code, response.url) == (302, reverse("clinic:home"))


def test_erasing_an_account_ends_its_offers_and_frees_the_held_slot(offer, django_capture_on_commit_callbacks):
    ala = patient_account("ala")
    WaitlistEntry.objects.filter(pk=offer.entry_id).update(account=ala)
    with django_capture_on_commit_callbacks(execute=True):
        erase_patient_account(ala)
    offer.refresh_from_db()
    entry = WaitlistEntry.objects.get(pk=offer.entry_id)
    assert (offer.status, entry.status, entry.email, entry.account_id) == ("gone", "cancelled", "", None)
    slot = Slot.objects.get(pk=offer.slot_id)
    assert (slot.state, slot.hold_until) == (SlotState.FREE, None)
