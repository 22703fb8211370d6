"""Registrar at the front desk, in a real browser: books a patient, moves the visit to another
day, cancels another visit."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from terminarz.booking.models import Appointment
from terminarz.core import clock
from terminarz.patients.services import match_or_create_patient
from terminarz.providers.models import Membership
from tests.factories import VALID_PESEL, clinic, every_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_registrar_books_moves_and_cancels(page, live_server, ticking):
    today = clock.local_today()
    provider, _, practitioner, _ = clinic(today=today, days=4, blocks=every_day(dt.time(8), dt.time(20)))
    match_or_create_patient(
        provider, first_name="Jan", last_name="Kowalski", email="jan@example.com", phone="600100200", pesel=VALID_PESEL
    )
    user = get_user_model().objects.create_user("rejestracja", password="haslo-testowe-123")
    Membership.objects.create(user=user, provider=provider, role="registrar")
    tomorrow = today + dt.timedelta(days=1)
    day_after = today + dt.timedelta(days=2)

    page.goto(live_server.url + "/gabinet/")
    page.get_by_label("Nazwa użytkownika").fill("rejestracja")
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()

    # Book two visits tomorrow for Jan Kowalski, found by PESEL (a scanner would type it).
    for _ in range(2):
        page.goto(f"{live_server.url}/gabinet/terminarz/?lekarz={practitioner.pk}&dzien={tomorrow:%Y-%m-%d}")
        page.locator(".tg-item.state-free a.tg-who").first.click()
        expect(page.get_by_role("heading", name="Umów wizytę")).to_be_visible()
        page.get_by_label("PESEL, nazwisko, imię, telefon lub numer karty").fill(VALID_PESEL)
        page.get_by_label("PESEL, nazwisko, imię, telefon lub numer karty").press("Enter")
        page.get_by_role("button", name="Umów dla: Jan Kowalski").click()
        expect(page.get_by_text("Umówiono wizytę")).to_be_visible()
    first, second = Appointment.objects.order_by("start")
    expect(page.locator(".tg-item.state-booked")).to_have_count(2)

    # Move the first visit to the day after tomorrow: from its panel beside the grid.
    page.locator(".tg-item.state-booked a.tg-who").first.click()
    expect(page.get_by_role("heading", name=f"Wizyta {first.reference}")).to_be_visible()
    page.locator("#panel").get_by_role("link", name="Przenieś").click()
    expect(page.get_by_role("heading", name="Przenieś wizytę")).to_be_visible()
    page.get_by_role("link", name="Następny dzień").click()
    page.locator("input[name=slot]").first.check()
    page.get_by_role("button", name="Przenieś i powiadom pacjenta").click()
    expect(page.get_by_text(f"Przeniesiono wizytę {first.reference}")).to_be_visible()
    first.refresh_from_db()
    assert clock.local_today(at=first.start) == day_after

    # Cancel the second one, with a reason.
    page.goto(f"{live_server.url}/gabinet/terminarz/?lekarz={practitioner.pk}&dzien={tomorrow:%Y-%m-%d}")
    page.locator(".tg-item.state-booked a.tg-who").first.click()
    expect(page.get_by_role("heading", name=f"Wizyta {second.reference}")).to_be_visible()
    page.locator("#panel").get_by_role("link", name="Odwołaj").click()
    page.get_by_label("Powód odwołania").fill("Nieobecność lekarza")
    page.get_by_role("button", name="Odwołaj wizytę i powiadom pacjenta").click()
    expect(page.get_by_text(f"Odwołano wizytę {second.reference}")).to_be_visible()
    second.refresh_from_db()
    assert second.status == "cancelled" and second.cancel_reason == "Nieobecność lekarza"
