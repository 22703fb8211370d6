"""A double click on the booking button (issue 11 item 6): one booking, and the patient sees
its confirmation, never "Ten termin jest już zajęty"."""

import pytest
from playwright.sync_api import expect

from terminarz.booking.models import Appointment
from terminarz.core import clock
from terminarz.scheduling.models import Slot
from tests.factories import clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_double_click_books_once_and_shows_the_confirmation(page, live_server, ticking):
    _, _, _, schedule = clinic(today=clock.local_today(), days=3)
    slot = Slot.objects.filter(schedule=schedule, start__gt=clock.now()).order_by("start").first()
    page.goto(f"{live_server.url}/rezerwacja/{slot.pk}/")
    page.get_by_label("Imię").fill("Jan")
    page.get_by_label("Nazwisko").fill("Kowalski")
    page.get_by_label("Adres e-mail").fill("jan.kowalski@example.com")
    # Two sends of the form as fast as a double click makes them (the first navigation is
    # replaced by the second; the server gets both).
    page.evaluate(
        """() => { const form = document.querySelector('form[method=post]:has(button[type=submit])');
                   const button = form.querySelector('button[type=submit]');
                   form.requestSubmit(button); setTimeout(() => form.requestSubmit(button), 30); }"""
    )
    expect(page.get_by_text("Twoja wizyta została zarezerwowana")).to_be_visible()
    expect(page.get_by_text("Ten termin jest już zajęty")).to_have_count(0)
    assert Appointment.objects.filter(slot=slot).count() == 1
