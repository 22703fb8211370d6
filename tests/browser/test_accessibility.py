"""WCAG 2.1 A/AA checks (axe-core in headless Chromium) on the patient pages of the portal and
the patient account."""

import pytest
from allauth.account.models import EmailAddress
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

from terminarz.accounts.models import PatientProfile
from terminarz.core import clock
from terminarz.scheduling.models import Slot
from tests.factories import clinic

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


def test_patient_pages_pass_wcag_aa_checks(page, live_server):
    provider, _, practitioner, schedule = clinic(today=clock.local_today(), days=7)
    slot = Slot.objects.filter(schedule=schedule, start__gt=clock.now()).order_by("start").first()
    anonymous = {
        "search": "/",
        "search results": "/?specialization=kardiologia&city=Krak%C3%B3w",
        "practitioner card": f"/lekarz/{practitioner.pk}/",
        "provider card": f"/placowka/{provider.pk}/",
        "booking form": f"/rezerwacja/{slot.pk}/",
        "sign-up": "/konto/signup/",
        "sign-in": "/konto/login/",
        "waiting list": f"/lista-rezerwowa/zapisz/?lekarz={practitioner.pk}",
    }
    found = {}
    for name, path in anonymous.items():
        page.goto(live_server.url + path)
        found[name] = violations(page)
    # The booking form with errors shown.
    page.goto(f"{live_server.url}/rezerwacja/{slot.pk}/")
    page.get_by_role("button", name="Dalej – podsumowanie").click()
    found["booking form with errors"] = violations(page)

    user = get_user_model().objects.create_user("ewa", "ewa@example.com", PASSWORD, first_name="Ewa", last_name="K")
    EmailAddress.objects.create(user=user, email="ewa@example.com", verified=True, primary=True)
    PatientProfile.objects.create(user=user)
    page.goto(live_server.url + "/konto/login/")
    page.get_by_label("Adres e-mail").fill("ewa@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    for name, path in {
        "panel": "/konto/",
        "my data": "/konto/dane/",
        "dependents": "/konto/subkonta/",
        "documents": "/konto/dokumenty/",
        "prescriptions": "/konto/recepty/",
        "rodo": "/konto/wnioski/",
        "e-mail code": "/konto/kod-email/",
    }.items():
        page.goto(live_server.url + path)
        found[name] = violations(page)
    problems = {name: v for name, v in found.items() if v}
    assert not problems, problems
