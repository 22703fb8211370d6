"""Patient accounts in a real browser: sign up → activate → add a child → book for the child →
reschedule → cancel; and booking without an account with multi-step e-mail confirmation."""

import re

import pytest
from playwright.sync_api import expect

from terminarz.booking.models import Appointment
from terminarz.core import clock
from terminarz.notifications.models import Message
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot
from tests.browser.flows import book_from_form
from tests.factories import clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mocne-Haslo-Pacjenta-42"


def link_from_outbox(kind_prefix: str, pattern: str) -> str:
    message = Message.objects.filter(kind__startswith=kind_prefix).order_by("-pk").first()
    assert message is not None, kind_prefix
    match = re.search(pattern, message.body)
    assert match, message.body
    return match.group(0)


def test_sign_up_activate_book_for_a_child_reschedule_and_cancel(page, live_server, settings):
    settings.SITE_URL = live_server.url
    _, _, practitioner, schedule = clinic(today=clock.local_today(), days=7)
    first_slot = Slot.objects.filter(schedule=schedule, start__gt=clock.now()).order_by("start").first()

    page.goto(live_server.url + "/konto/signup/")
    page.get_by_label("Imię").fill("Ewa")
    page.get_by_label("Nazwisko").fill("Kowal")
    page.get_by_label("Adres e-mail").fill("ewa@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label("Mam co najmniej 16 lat").check()  # no PESEL given (E4)
    page.get_by_label(re.compile("przetwarzanie danych osobowych")).check()
    page.get_by_role("checkbox", name="Nie jestem robotem").click()  # E2 human check
    expect(page.get_by_text("Zweryfikowano")).to_be_visible()
    page.get_by_role("button", name="Zarejestruj się").click()
    expect(page.get_by_role("heading", name="Potwierdź adres e-mail")).to_be_visible()

    page.goto(live_server.url + link_from_outbox("account:", r"/konto/confirm-email/[^\s]+/"))
    page.get_by_role("button", name="Potwierdź").click()
    expect(page.get_by_role("heading", name=re.compile("Dzień dobry, Ewa"))).to_be_visible()

    page.get_by_role("link", name="Subkonta").click()
    page.get_by_label("Imię").fill("Zosia")
    page.get_by_label("Nazwisko").fill("Kowal")
    page.get_by_label("PESEL", exact=True).fill("21271512342")
    page.get_by_role("button", name="Utwórz konto").click()
    expect(page.get_by_text("Utworzono subkonto: Zosia Kowal")).to_be_visible()
    page.get_by_role("button", name="Zosia Kowal").click()

    page.goto(f"{live_server.url}/rezerwacja/{first_slot.pk}/")
    expect(page.get_by_label("Imię")).to_have_value("Zosia")
    expect(page.get_by_label("Adres e-mail")).to_have_value("ewa@example.com")
    book_from_form(page)
    expect(page.get_by_role("heading", name="Twoja wizyta została zarezerwowana")).to_be_visible()
    visit = Appointment.objects.get()
    assert visit.account.first_name == "Zosia"

    page.goto(live_server.url + "/konto/")
    expect(page.get_by_text(visit.reference)).to_be_visible()
    page.get_by_role("link", name="Zmień termin").click()
    page.locator("input[name=slot]").nth(3).check()
    page.get_by_role("button", name="Zmień termin").click()
    expect(page.get_by_text("Zmieniliśmy termin wizyty")).to_be_visible()
    visit.refresh_from_db()
    assert visit.slot_id != first_slot.pk and visit.practitioner == practitioner

    page.get_by_role("link", name="Odwołaj").first.click()
    page.get_by_role("button", name="Odwołuję wizytę").click()
    expect(page.get_by_role("heading", name="Wizyta została odwołana")).to_be_visible()
    visit.refresh_from_db()
    assert visit.status == "cancelled"


def test_booking_without_account_with_multi_step_confirmation(page, live_server, settings):
    settings.SITE_URL = live_server.url
    provider, _, _, schedule = clinic(today=clock.local_today(), days=7)
    rules = settings_for(provider.pk)
    rules.multi_step = True
    rules.hold_minutes = 30
    rules.save()
    slot = Slot.objects.filter(schedule=schedule, start__gt=clock.now()).order_by("start").first()

    page.goto(f"{live_server.url}/rezerwacja/{slot.pk}/")
    page.get_by_label("Imię").fill("Jan")
    page.get_by_label("Nazwisko").fill("Nowak")
    page.get_by_label("Adres e-mail").fill("jan@example.com")
    book_from_form(page)
    expect(page.get_by_role("heading", name="Potwierdź rezerwację w wiadomości e-mail")).to_be_visible()
    assert Slot.objects.get(pk=slot.pk).state == "held"

    page.goto(live_server.url + link_from_outbox("booking_hold", r"/wizyta/\d+/potwierdz/\?t=[^\s]+"))
    page.get_by_role("button", name="Potwierdzam rezerwację").click()
    expect(page.get_by_role("heading", name="Twoja wizyta została zarezerwowana")).to_be_visible()
    assert Appointment.objects.get().status == "confirmed"
    assert Slot.objects.get(pk=slot.pk).state == "booked"
