"""Key journey in a real browser: search → card → book → confirmation → cancel via e-mail link."""

import re

import pytest
from playwright.sync_api import expect

from terminarz.booking.models import Appointment
from terminarz.core import clock
from terminarz.notifications.models import Message
from terminarz.scheduling.models import Slot
from tests.browser.flows import book_from_form, to_review
from tests.factories import clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_patient_books_and_cancels_from_the_email_link(page, live_server, settings):
    settings.SITE_URL = live_server.url
    _, _, practitioner, _ = clinic(today=clock.local_today(), days=7)

    page.goto(live_server.url + "/")
    # The free-text box names a specialization; the folded filters add the city.
    page.get_by_label("Lekarz, specjalizacja, placówka lub miejscowość").fill("Kardiologia")
    page.get_by_role("button", name="Szukaj", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("^Wolne terminy"))).to_be_visible()
    page.get_by_text("Więcej filtrów").click()
    expect(page.get_by_label("Specjalizacja", exact=True)).to_have_value("kardiologia")
    page.get_by_label("Miejscowość", exact=True).select_option("Kraków")
    page.get_by_role("button", name="Szukaj terminów").click()
    expect(page.get_by_role("heading", name=practitioner.full_name)).to_be_visible()

    page.get_by_role("link", name=practitioner.full_name).first.click()
    expect(page.get_by_role("heading", name=practitioner.full_name)).to_be_visible()
    page.locator("a.kostka").first.click()

    expect(page.get_by_role("heading", name="Rezerwacja wizyty")).to_be_visible()
    page.get_by_label("Imię").fill("Jan")
    page.get_by_label("Nazwisko").fill("Kowalski")
    page.get_by_label("Adres e-mail").fill("jan@example")
    page.get_by_label("PESEL").fill("12345678901")
    to_review(page)
    expect(page.get_by_text("Nieprawidłowy numer PESEL")).to_be_visible()
    expect(page.get_by_text("Podaj poprawny adres e-mail")).to_be_visible()

    page.get_by_label("Adres e-mail").fill("jan.kowalski@example.com")
    page.get_by_label("PESEL").fill("44051401359")
    page.get_by_label("Chcę przesłać lekarzowi dodatkową informację").fill("<b>Proszę o skierowanie</b>")
    book_from_form(page)
    expect(page.get_by_role("heading", name="Twoja wizyta została zarezerwowana")).to_be_visible()
    appointment = Appointment.objects.get()
    expect(page.get_by_text(appointment.reference)).to_be_visible()

    # The e-mail went through the outbox; the demo mailbox shows it with its links.
    message = Message.objects.get(kind="booking_confirmation")
    assert message.status == "sent"
    page.goto(live_server.url + "/dev/poczta/")
    page.get_by_role("link", name=re.compile(appointment.reference)).click()
    page.get_by_role("link", name=re.compile("odwolaj")).click()

    expect(page.get_by_role("heading", name="Odwołanie wizyty")).to_be_visible()
    page.get_by_label("Powód odwołania").fill("Wyjazd")
    page.get_by_role("button", name="Odwołuję wizytę").click()
    expect(page.get_by_role("heading", name="Wizyta została odwołana")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert Slot.objects.get(pk=appointment.slot_id).state == "free"
