"""WCAG 2.1 A/AA checks (axe-core in headless Chromium) on the patient pages of the portal and
the patient account."""

import pytest
from allauth.account.models import EmailAddress
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

from terminarz.accounts.models import PatientProfile
from terminarz.booking.services import book_appointment
from terminarz.core import clock
from terminarz.scheduling.models import Slot
from tests.factories import PATIENT, clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mocne-Haslo-Pacjenta-42"
OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page) -> list[str]:
    results = Axe().run(page, options=OPTIONS)
    assert results.response["passes"], "axe did not run"  # proof the checks ran on this page
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


def check(page) -> list[str]:
    """axe's findings on the page, and a page wider than the screen."""
    problems = violations(page)
    if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        problems.append(f"wider than the screen: {page.evaluate('document.documentElement.scrollWidth')}px")
    return problems


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_patient_pages_fit_and_pass_wcag_aa_checks(page, live_server, viewport):
    """Every patient page at both sizes: axe WCAG 2.1 A/AA, no horizontal overflow, no console
    errors; the booking steps, the account with a visit and its reschedule grid, one page in
    each other language."""
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    # A form sent with errors answers 422 on purpose: Chromium logs that as a failed load.
    expected = "Failed to load resource: the server responded with a status of 422"
    page.on(
        "console",
        lambda message: (
            message.type == "error" and not message.text.startswith(expected) and errors.append(message.text)
        ),
    )
    provider, _, practitioner, schedule = clinic(today=clock.local_today(), days=7)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=clock.now()).order_by("start"))
    slot = slots[0]
    anonymous = {
        "search": "/",
        "search results": "/?specialization=kardiologia&city=Krak%C3%B3w",
        "search by name": "/?q=Nowak",
        "practitioner card": f"/lekarz/{practitioner.pk}/",
        "provider card": f"/placowka/{provider.pk}/",
        "booking form": f"/rezerwacja/{slot.pk}/",
        "terms": "/regulamin/",
        "sign-up": "/konto/signup/",
        "sign-in": "/konto/login/",
        "waiting list": f"/lista-rezerwowa/zapisz/?lekarz={practitioner.pk}",
    }
    found = {}
    for name, path in anonymous.items():
        page.goto(live_server.url + path)
        found[name] = check(page)
    # The booking form with errors, the review with its RODO clause open, the confirmation.
    page.goto(f"{live_server.url}/rezerwacja/{slot.pk}/")
    page.get_by_role("button", name="Dalej – podsumowanie").click()
    found["booking form with errors"] = check(page)
    page.get_by_label("Imię").fill("Jan")
    page.get_by_label("Nazwisko").fill("Kowalski")
    page.get_by_label("Adres e-mail").fill("jan@example.com")
    page.get_by_role("button", name="Dalej – podsumowanie").click()
    page.locator("details.rodo summary").click()
    found["booking review"] = check(page)
    page.get_by_role("button", name="Potwierdzam rezerwację").click()
    found["booking review with errors"] = check(page)
    page.get_by_label("Akceptuję regulamin serwisu Terminarz (wersja 1.0)").check()
    page.get_by_role("button", name="Potwierdzam rezerwację").click()
    found["confirmation"] = check(page)
    for language in ("en", "uk"):
        page.goto(live_server.url + "/")
        page.locator(f".lang button[value={language}]").click()
        page.goto(f"{live_server.url}/rezerwacja/{slots[1].pk}/")
        found[f"booking form ({language})"] = check(page)
    page.goto(live_server.url + "/")
    page.locator(".lang button[value=pl]").click()

    user = get_user_model().objects.create_user("ewa", "ewa@example.com", PASSWORD, first_name="Ewa", last_name="K")
    EmailAddress.objects.create(user=user, email="ewa@example.com", verified=True, primary=True)
    PatientProfile.objects.create(user=user)
    visit = book_appointment(
        slots[2].pk, {**PATIENT, "first_name": "Ewa", "last_name": "K", "email": "ewa@example.com"}, account=user
    )
    page.goto(live_server.url + "/konto/login/")
    page.get_by_label("Adres e-mail").fill("ewa@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    for name, path in {
        "panel": "/konto/",
        "reschedule": f"/konto/wizyty/{visit.pk}/zmien/",
        "my data": "/konto/dane/",
        "phone calendar": "/konto/kalendarz/",
        "dependents": "/konto/subkonta/",
        "documents": "/konto/dokumenty/",
        "prescriptions": "/konto/recepty/",
        "rodo": "/konto/wnioski/",
        "e-mail code": "/konto/kod-email/",
    }.items():
        page.goto(live_server.url + path)
        found[name] = check(page)
    problems = {name: v for name, v in found.items() if v}
    assert problems == {}
    assert errors == []
