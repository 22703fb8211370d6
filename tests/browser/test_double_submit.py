"""The booking's last step (issue 11 item 6): a double click on "Potwierdzam rezerwację"
books once and shows the confirmation, never "Ten termin jest już zajęty"; the patient who
loses a real race for the slot keeps what they typed and books another slot with it."""

import pytest
from playwright.sync_api import expect

from terminarz.booking.models import Appointment
from terminarz.core import clock
from terminarz.legal.models import TermsAcceptance
from terminarz.scheduling.models import Slot
from tests.browser.flows import confirm_on_review, to_review
from tests.factories import clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill(page, first: str, last: str, email: str) -> None:
    page.get_by_label("Imię").fill(first)
    page.get_by_label("Nazwisko").fill(last)
    page.get_by_label("Adres e-mail").fill(email)


def test_a_double_click_books_once_and_shows_the_confirmation(page, live_server, ticking):
    _, _, _, schedule = clinic(today=clock.local_today(), days=3)
    slot = Slot.objects.filter(schedule=schedule, start__gt=clock.now()).order_by("start").first()
    page.goto(f"{live_server.url}/rezerwacja/{slot.pk}/")
    fill(page, "Jan", "Kowalski", "jan.kowalski@example.com")
    to_review(page)
    expect(page.get_by_text("jan.kowalski@example.com")).to_be_visible()
    page.get_by_label("Akceptuję regulamin serwisu Terminarz (wersja 1.0)").check()
    # Two sends of the form as fast as a double click makes them (the first navigation is
    # replaced by the second; the server gets both).
    page.evaluate(
        """() => { const button = [...document.querySelectorAll('button')]
                     .find(b => b.textContent.trim() === 'Potwierdzam rezerwację');
                   button.form.requestSubmit(button); setTimeout(() => button.form.requestSubmit(button), 30); }"""
    )
    expect(page.get_by_text("Twoja wizyta została zarezerwowana")).to_be_visible()
    expect(page.get_by_text("Ten termin jest już zajęty")).to_have_count(0)
    appointment = Appointment.objects.get(slot=slot)
    assert TermsAcceptance.objects.get(provider_ref__isnull=True).booking_reference == appointment.reference


def test_the_loser_of_a_race_keeps_the_data_typed_and_books_another_slot(browser, live_server, ticking):
    _, _, _, schedule = clinic(today=clock.local_today(), days=3)
    first, second = Slot.objects.filter(schedule=schedule, start__gt=clock.now()).order_by("start")[:2]
    pages = []
    for who in (("Anna", "Szybka", "anna@example.com"), ("Piotr", "Wolny", "piotr@example.com")):
        page = browser.new_context(locale="pl-PL", viewport={"width": 390, "height": 844}).new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/rezerwacja/{first.pk}/")
        fill(page, *who)
        page.get_by_label("Chcę przesłać lekarzowi dodatkową informację").fill(f"Notatka od {who[0]}")
        to_review(page)
        pages.append(page)
    winner, loser = pages
    confirm_on_review(winner)
    expect(winner.get_by_text("Twoja wizyta została zarezerwowana")).to_be_visible()

    confirm_on_review(loser)
    expect(loser.get_by_role("heading", name="Ten termin jest już zajęty")).to_be_visible()
    expect(loser.get_by_text("Twoje dane zostaną zachowane.")).to_be_visible()
    loser.get_by_role("button", name="Wybierz").first.click()
    # The review of the other slot, with everything the patient typed.
    expect(loser.get_by_role("heading", name="Sprawdź i potwierdź rezerwację")).to_be_visible()
    expect(loser.get_by_text("Piotr Wolny")).to_be_visible()
    expect(loser.get_by_text("Notatka od Piotr")).to_be_visible()
    confirm_on_review(loser)
    expect(loser.get_by_text("Twoja wizyta została zarezerwowana")).to_be_visible()
    booked = {a.slot_id: (a.first_name, a.email, a.note) for a in Appointment.objects.all()}
    assert booked == {
        first.pk: ("Anna", "anna@example.com", "Notatka od Anna"),
        second.pk: ("Piotr", "piotr@example.com", "Notatka od Piotr"),
    }
