"""Waiting list in a real browser: two patients wait for a full practitioner; a visit is
cancelled; both get the offer; the first to accept books it, the other sees it is gone."""

import re

import pytest
from playwright.sync_api import expect

from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment, cancel_appointment_by_patient
from terminarz.core import clock
from terminarz.notifications.models import Message
from terminarz.scheduling.models import Slot
from tests.factories import PATIENT, clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def offer_link(email: str) -> str:
    message = Message.objects.filter(kind="waitlist_offer", channel="email", recipient=email).get()
    return re.search(r"/lista-rezerwowa/oferta/[^\s]+/", message.body).group(0)


def join(page, base_url, practitioner, first_name, email):
    page.goto(f"{base_url}/lekarz/{practitioner.pk}/")
    page.get_by_role("link", name="Zapisz się na listę rezerwową").click()
    page.get_by_label("Imię").fill(first_name)
    page.get_by_label("Nazwisko").fill("Czekająca")
    page.get_by_label("Adres e-mail").fill(email)
    page.get_by_role("button", name="Zapisz mnie na listę").click()
    expect(page.get_by_role("heading", name="Jesteś na liście rezerwowej")).to_be_visible()


def test_first_of_two_waiting_patients_to_accept_gets_the_slot(page, browser, live_server, settings, ticking):
    settings.SITE_URL = live_server.url
    _, _, practitioner, schedule = clinic(today=clock.local_today(), days=2)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=clock.now()).order_by("start"))
    visits = [book_appointment(s.pk, {**PATIENT, "email": f"p{i}@example.com"}) for i, s in enumerate(slots)]

    join(page, live_server.url, practitioner, "Ala", "ala@example.com")
    join(page, live_server.url, practitioner, "Ola", "ola@example.com")

    freed = visits[1]
    cancel_appointment_by_patient(freed.pk, freed.cancel_token)
    assert Slot.objects.get(pk=freed.slot_id).state == "held"

    # Ola (second in line) clicks first and gets it.
    page.goto(live_server.url + offer_link("ola@example.com"))
    expect(page.get_by_role("heading", name="Zwolnił się termin")).to_be_visible()
    expect(page.get_by_label("Imię")).to_have_value("Ola")
    page.get_by_role("button", name="Rezerwuję ten termin").click()
    expect(page.get_by_role("heading", name="Twoja wizyta została zarezerwowana")).to_be_visible()
    assert Appointment.objects.get(slot_id=freed.slot_id, status="confirmed").email == "ola@example.com"

    # Ala, in her own browser, is told it is gone.
    other = browser.new_context(locale="pl-PL").new_page()
    other.goto(live_server.url + offer_link("ala@example.com"))
    expect(other.get_by_role("heading", name="Ten termin został już zajęty")).to_be_visible()
    assert Message.objects.filter(kind="waitlist_gone", recipient="ala@example.com").exists()
    other.context.close()
