"""E2 human check in a real browser: Chromium computes the ALTCHA proof of work in the widget
(operated with the keyboard), the sign-up goes through; on sign-in the check appears after
repeated failures; axe-core finds no WCAG A/AA violations on these pages."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from terminarz.accounts.models import PatientProfile
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mocne-Haslo-Pacjenta-42"


def test_sign_up_with_the_proof_of_work_solved_in_the_widget(page, live_server):
    page.goto(live_server.url + "/konto/signup/")
    page.get_by_label("Imię").fill("Ewa")
    page.get_by_label("Nazwisko").fill("Kowal")
    page.get_by_label("Adres e-mail").fill("ewa@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label("Mam co najmniej 16 lat").check()  # no PESEL given (E4)
    page.get_by_label(re.compile("przetwarzanie danych osobowych")).check()
    check = page.get_by_role("checkbox", name="Nie jestem robotem")
    expect(check).not_to_be_checked()
    assert page.locator("input[name=altcha]").count() == 0  # no solution before the work is done

    # Keyboard only: Tab from the last consent onto the check, Space starts the computation.
    page.get_by_label(re.compile("SMS-em")).focus()
    page.keyboard.press("Tab")
    expect(check).to_be_focused()
    started = time.monotonic()
    page.keyboard.press("Space")
    expect(page.get_by_text("Zweryfikowano")).to_be_visible()
    took = time.monotonic() - started
    expect(page.get_by_role("checkbox", name="Zweryfikowano")).to_be_checked()
    assert took < 1.0, took  # test difficulty (ALTCHA_MAX_NUMBER in settings.test)
    solution = page.locator("input[name=altcha]").input_value()
    assert len(solution) > 100  # base64 payload with the number found by the browser
    assert violations(page) == []

    page.get_by_role("button", name="Zarejestruj się").click()
    expect(page.get_by_role("heading", name="Potwierdź adres e-mail")).to_be_visible()
    assert get_user_model().objects.filter(email="ewa@example.com").count() == 1


def test_sign_in_asks_for_the_check_after_repeated_failures(page, live_server, settings):
    user = get_user_model().objects.create_user("ewa", "ewa@example.com", PASSWORD, first_name="Ewa")
    EmailAddress.objects.create(user=user, email="ewa@example.com", verified=True, primary=True)
    PatientProfile.objects.create(user=user)

    page.goto(live_server.url + "/konto/login/")
    check = page.get_by_role("checkbox", name="Nie jestem robotem")
    for _ in range(settings.ALTCHA_LOGIN_FAILURE_LIMIT):
        expect(check).to_have_count(0)
        page.get_by_label("Adres e-mail").fill("ewa@example.com")
        page.locator("#id_password").fill("zle-haslo")
        page.get_by_role("button", name="Zaloguj").click()
        expect(page.get_by_text("Podany adres e-mail i/lub hasło są niepoprawne.")).to_be_visible()
    expect(check).to_be_visible()
    assert violations(page) == []

    # Without the check: refused with a Polish message, the e-mail stays.
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj").click()
    expect(page.get_by_text("Zaznacz pole „Nie jestem robotem” i poczekaj")).to_be_visible()
    expect(page.get_by_label("Adres e-mail")).to_have_value("ewa@example.com")
    assert violations(page) == []

    page.locator("#id_password").fill(PASSWORD)
    check.click()
    # The widget's own state, not the text: the refusal above also says "Zweryfikowano", so a
    # text match passed before the browser had solved the check (a flaky failure).
    expect(page.get_by_role("checkbox", name="Zweryfikowano")).to_be_checked()
    expect(page.locator("input[name=altcha]")).not_to_have_value("")
    page.get_by_role("button", name="Zaloguj").click()
    expect(page.get_by_role("heading", name=re.compile("Dzień dobry, Ewa"))).to_be_visible()
