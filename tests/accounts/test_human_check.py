"""E2 human check (seed 004): an ALTCHA proof of work on every patient sign-up, and on patient
sign-in after repeated failures from one IP address or for one e-mail; each solution once."""

import base64
import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from terminarz.accounts.models import PatientProfile
from tests.accounts.human import solve_page_challenge, solved_altcha
from tests.accounts.test_patient_accounts import PASSWORD, signup_data

pytestmark = pytest.mark.django_db
MISSING = "Zaznacz pole „Nie jestem robotem” i poczekaj, aż pojawi się „Zweryfikowano”."
INVALID = "Weryfikacja nie powiodła się. Zaznacz pole „Nie jestem robotem” ponownie."
EXPIRED = "Weryfikacja wygasła. Zaznacz pole „Nie jestem robotem” ponownie."
REPLAYED = "Ta weryfikacja została już użyta. Zaznacz pole „Nie jestem robotem” ponownie."
WIDGET = '<altcha-widget name="altcha"'


def html(response) -> str:
    return response.content.decode()


def patient(email: str = "ewa@example.com"):
    user = get_user_model().objects.create_user(email.split("@")[0], email, PASSWORD, first_name="Ewa")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    PatientProfile.objects.create(user=user)
    return user


def tampered(solution: str) -> str:
    """The same solution with another number (a guess, not the work)."""
    payload = json.loads(base64.b64decode(solution))
    payload["number"] += 1
    return base64.b64encode(json.dumps(payload).encode()).decode()


def sign_in(client, email: str, password: str, ip: str = "10.0.0.1", **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password, **extra}, REMOTE_ADDR=ip)


def fail(client, email: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        response = sign_in(client, email, "zle-haslo", ip=ip, altcha=solved_altcha())
        assert response.status_code == 200


# --- sign-up: always ---------------------------------------------------------------------


def test_sign_up_page_has_the_widget_in_polish_from_our_static_files(client):
    page = html(client.get(reverse("account_signup")))
    assert page.count(WIDGET) == 1
    assert '<script type="module" src="/static/altcha/altcha.min.js"></script>' in page
    assert "Nie jestem robotem" in page and "Zweryfikowano" in page and "Weryfikacja…" in page
    assert "hidefooter hidelogo" in page
    assert "<noscript>" in page and "wymaga JavaScriptu" in page
    assert "https://" not in page.split(WIDGET)[1].split("</altcha-widget>")[0]  # nothing external


def test_sign_up_without_a_solution_is_refused_and_nothing_created(client, django_capture_on_commit_callbacks):
    data = signup_data()
    del data["altcha"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), data)
    assert response.status_code == 200
    assert MISSING in html(response)
    assert 'value="ewa@example.com"' in html(response)  # what was typed stays
    assert html(response).count(WIDGET) == 1  # with a fresh challenge
    assert not get_user_model().objects.filter(email="ewa@example.com").exists()
    assert mail.outbox == []


def test_sign_up_with_the_solved_challenge_of_the_page_succeeds(client, django_capture_on_commit_callbacks):
    solution = solve_page_challenge(html(client.get(reverse("account_signup"))))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), signup_data(altcha=solution))
    assert response.status_code == 302 and "confirm-email" in response.url
    assert get_user_model().objects.filter(email="ewa@example.com").count() == 1


def test_a_replayed_solution_is_refused(client, django_capture_on_commit_callbacks):
    solution = solved_altcha()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("account_signup"), signup_data(altcha=solution))
    assert first.status_code == 302
    client.logout()
    again = client.post(reverse("account_signup"), signup_data(email="adam@example.com", altcha=solution))
    assert again.status_code == 200 and REPLAYED in html(again)
    assert not get_user_model().objects.filter(email="adam@example.com").exists()


def test_an_expired_solution_is_refused(client, frozen):
    solution = solved_altcha()
    frozen.shift(dt.timedelta(minutes=21))
    response = client.post(reverse("account_signup"), signup_data(altcha=solution))
    assert response.status_code == 200 and EXPIRED in html(response)
    assert not get_user_model().objects.filter(email="ewa@example.com").exists()


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param(lambda: solved_altcha(hmac_key="someone-elses-key"), id="signed-with-another-key"),
        pytest.param(lambda: tampered(solved_altcha()), id="wrong-number"),
        pytest.param(lambda: "bm90IGEgc29sdXRpb24=", id="not-a-payload"),
        pytest.param(lambda: "%%%", id="not-base64"),
    ],
)
def test_a_forged_solution_is_refused(client, forged):
    response = client.post(reverse("account_signup"), signup_data(altcha=forged()))
    assert response.status_code == 200 and INVALID in html(response)
    assert not get_user_model().objects.filter(email="ewa@example.com").exists()


# --- sign-in: after repeated failures ----------------------------------------------------


def test_sign_in_before_the_limit_needs_no_check(client, settings):
    patient()
    fail(client, "ewa@example.com", settings.ALTCHA_LOGIN_FAILURE_LIMIT - 1)
    assert WIDGET not in html(client.get(reverse("account_login"), REMOTE_ADDR="10.0.0.1"))
    response = sign_in(client, "ewa@example.com", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("account-panel")


def test_the_check_is_shown_with_the_failure_that_reaches_the_limit(client, settings):
    patient()
    fail(client, "ewa@example.com", settings.ALTCHA_LOGIN_FAILURE_LIMIT - 1)
    response = sign_in(client, "ewa@example.com", "zle-haslo")
    assert "Podany adres e-mail i/lub hasło są niepoprawne." in html(response)
    assert html(response).count(WIDGET) == 1


def test_after_failures_for_one_account_sign_in_from_any_address_needs_the_check(client, settings):
    patient()
    for n in range(settings.ALTCHA_LOGIN_FAILURE_LIMIT):
        fail(client, "ewa@example.com", 1, ip=f"10.0.1.{n}")
    # A new address, the right password, no solution: refused before the password is checked.
    refused = sign_in(client, "Ewa@Example.com", PASSWORD, ip="10.0.2.1")
    assert refused.status_code == 200 and MISSING in html(refused)
    assert 'value="Ewa@Example.com"' in html(refused)  # the typed e-mail stays
    assert html(refused).count(WIDGET) == 1
    assert "_auth_user_id" not in client.session
    done = sign_in(client, "ewa@example.com", PASSWORD, ip="10.0.2.1", altcha=solve_page_challenge(html(refused)))
    assert done.status_code == 302 and done.url == reverse("account-panel")


def test_after_failures_from_one_address_every_sign_in_from_it_needs_the_check(client, settings):
    patient()
    for n in range(settings.ALTCHA_LOGIN_FAILURE_LIMIT):
        fail(client, f"nikt{n}@example.com", 1, ip="10.0.3.1")
    assert html(client.get(reverse("account_login"), REMOTE_ADDR="10.0.3.1")).count(WIDGET) == 1
    assert WIDGET not in html(client.get(reverse("account_login"), REMOTE_ADDR="10.0.3.2"))
    refused = sign_in(client, "ewa@example.com", PASSWORD, ip="10.0.3.1")
    assert refused.status_code == 200 and MISSING in html(refused)
    done = sign_in(client, "ewa@example.com", PASSWORD, ip="10.0.3.1", altcha=solved_altcha())
    assert done.status_code == 302 and done.url == reverse("account-panel")


def test_sign_in_refuses_a_replayed_or_forged_solution(client, settings):
    patient()
    fail(client, "ewa@example.com", settings.ALTCHA_LOGIN_FAILURE_LIMIT)
    solution = solved_altcha()
    assert MISSING not in html(sign_in(client, "ewa@example.com", "zle-haslo", altcha=solution))
    replayed = sign_in(client, "ewa@example.com", PASSWORD, altcha=solution)
    assert replayed.status_code == 200 and REPLAYED in html(replayed)
    forged = sign_in(client, "ewa@example.com", PASSWORD, altcha=solved_altcha(hmac_key="inny-klucz"))
    assert forged.status_code == 200 and INVALID in html(forged)
    assert "_auth_user_id" not in client.session


def test_the_limit_counts_within_the_window_only(client, settings, frozen):
    patient()
    fail(client, "ewa@example.com", settings.ALTCHA_LOGIN_FAILURE_LIMIT)
    frozen.shift(dt.timedelta(seconds=settings.ALTCHA_LOGIN_FAILURE_WINDOW + 1))
    response = sign_in(client, "ewa@example.com", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("account-panel")


def test_a_correct_password_restarts_the_accounts_count(client, settings):
    patient()
    limit = settings.ALTCHA_LOGIN_FAILURE_LIMIT
    for n in range(limit - 1):
        fail(client, "ewa@example.com", 1, ip=f"10.0.4.{n}")
    assert sign_in(client, "ewa@example.com", PASSWORD, ip="10.0.5.1").status_code == 302
    client.logout()
    fail(client, "ewa@example.com", 1, ip="10.0.6.1")
    response = sign_in(client, "ewa@example.com", PASSWORD, ip="10.0.6.2")
    assert response.status_code == 302 and response.url == reverse("account-panel")


def test_counters_and_used_challenges_keep_no_personal_data_in_cache_keys(client, settings):
    patient()
    fail(client, "ewa@example.com", settings.ALTCHA_LOGIN_FAILURE_LIMIT, ip="192.0.2.77")
    sign_in(client, "ewa@example.com", "zle-haslo", ip="192.0.2.77", altcha=solved_altcha())
    keys = [str(key) for key in cache._cache]  # type: ignore[attr-defined]  # LocMemCache
    ours = [key for key in keys if "human-check:" in key]
    assert len([key for key in ours if ":fail:" in key]) == 2  # one per IP, one per account
    assert len([key for key in ours if ":used:" in key]) == 1
    assert [key for key in ours if "ewa" in key.lower()] == []
    assert [key for key in ours if "192.0.2.77" in key] == []
