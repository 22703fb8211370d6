"""Provider admin, in a real browser: creates a unit, a practitioner and a schedule, then the
slots are on the public portal."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from terminarz.catalog.services import ensure_specializations
from terminarz.core import clock
from terminarz.providers.models import Membership
from terminarz.scheduling.models import Slot
from tests.factories import make_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sets_up_a_unit_practitioner_and_schedule(page, live_server):
    ensure_specializations()
    provider = make_provider(name="Nowa Przychodnia", city="Kraków")
    user = get_user_model().objects.create_user("szef", password="haslo-testowe-123")
    Membership.objects.create(user=user, provider=provider, role="admin")

    page.goto(live_server.url + "/gabinet/")
    page.get_by_label("Nazwa użytkownika").fill("szef")
    page.get_by_label("Hasło").fill("haslo-testowe-123")
    page.get_by_role("button", name="Zaloguj").click()

    page.locator("summary", has_text="Placówka").click()  # the menu group
    page.get_by_role("link", name="Struktura", exact=True).click()
    page.get_by_role("link", name="Nowa komórka").click()
    page.get_by_label("Kod komórki").fill("DERM")
    page.get_by_label("Kod resortowy cz. VIII").select_option("1200")
    page.get_by_label("Nazwa publiczna").fill("Poradnia dermatologiczna")
    page.get_by_label("Adres").fill("ul. Długa 1, 31-000 Kraków")
    page.get_by_label("Lokalizacja").select_option(index=1)
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_text("Zapisano komórkę organizacyjną.")).to_be_visible()

    page.locator("summary", has_text="Placówka").click()  # the menu group
    page.get_by_role("link", name="Personel", exact=True).click()
    page.get_by_role("link", name="Dodaj osobę").click()
    page.get_by_label("Tytuł").fill("lek.")
    page.get_by_label("Imię").fill("Zofia")
    page.get_by_label("Nazwisko").fill("Skórna")
    page.get_by_label("Numer PWZ").fill("5425740")
    page.get_by_label("Dermatologia i wenerologia", exact=True).check()
    page.get_by_role("group", name="Komórki").get_by_label("Poradnia dermatologiczna").check()
    page.get_by_role("button", name="Zapisz").click()
    expect(page.get_by_text("Zapisano dane personelu.")).to_be_visible()

    page.locator("summary", has_text="Placówka").click()  # the menu group
    page.get_by_role("link", name="Harmonogramy", exact=True).click()
    page.get_by_role("link", name="Nowy harmonogram").click()
    page.get_by_label("Personel medyczny").select_option(label="lek. Zofia Skórna")
    page.get_by_label("Komórka organizacyjna").select_option(label="Poradnia dermatologiczna")
    tomorrow = clock.local_today() + dt.timedelta(days=1)
    page.locator("[name=bloki-0-weekday]").select_option(str(tomorrow.weekday()))
    page.locator("[name=bloki-0-start_time]").fill("09:00")
    page.locator("[name=bloki-0-end_time]").fill("12:00")
    page.locator("[name=bloki-0-slot_minutes]").fill("30")
    page.get_by_role("button", name="Zapisz i wygeneruj terminy").click()
    expect(page.get_by_text("Zapisano harmonogram.")).to_be_visible()
    assert Slot.objects.filter(practitioner__last_name="Skórna", day=tomorrow).count() == 6

    page.goto(live_server.url + "/?specialization=dermatologia&city=Krak%C3%B3w")
    expect(page.get_by_role("link", name="lek. Zofia Skórna").first).to_be_visible()
    expect(page.get_by_text("09:00").first).to_be_visible()
