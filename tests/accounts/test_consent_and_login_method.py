"""E3: a withdrawn registration consent blocks booking from the account; the patient chooses
the sign-in method (password alone, password and e-mail code, password and app code)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.core import mail
from django.urls import reverse

from terminarz.accounts.email_code import login_method
from terminarz.booking.models import Appointment
from terminarz.factors.models import EmailDevice
from terminarz.scheduling.models import Slot
from tests.accounts.test_patient_accounts import PASSWORD, activate, signed_up  # noqa: F401 (fixture)
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic

pytestmark = pytest.mark.django_db

WITHDRAWN = "Zgoda na przetwarzanie danych w celu rejestracji wizyt jest wycofana"


@pytest.fixture
def account(frozen, client, signed_up, django_capture_on_commit_callbacks):  # noqa: F811
    """Signed up on the frozen clock, so consents keep their order in time."""
    activate(client, django_capture_on_commit_callbacks)
    return signed_up


def book(client, slot):
    data = {
        "action": "confirm",
        "accept_terms": "on",
        "terms_version": "1.0",
        **PATIENT,
        "first_name": "Ewa",
        "email": "ewa@example.com",
        "pesel": VALID_PESEL,
    }
    return client.post(reverse("portal:book", args=[slot.pk]), data)


def test_withdrawn_consent_blocks_booking_until_given_again(client, account, today):
    _, _, _, schedule = clinic(today=today, days=3)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    profile = reverse("account-profile")
    client.post(profile, {"action": "consents", "consent_marketing_sms": "on"})  # RODO unticked
    refused = book(client, slots[0])
    assert refused.status_code == 403
    page = refused.content.decode()
    assert WITHDRAWN in page and f'href="{profile}#zgody"' in page
    assert not Appointment.objects.exists()
    client.post(profile, {"action": "consents", "consent_rodo": "on"})
    assert book(client, slots[0]).status_code == 302
    assert Appointment.objects.get().account == account


def test_a_guest_booking_is_not_affected_by_anyones_consent(client, account, today):
    client.post(reverse("account-profile"), {"action": "consents"})
    client.logout()
    _, _, _, schedule = clinic(today=today, days=3)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    assert book(client, slot).status_code == 302
    assert Appointment.objects.get().account is None


def test_the_patient_moves_between_the_three_sign_in_methods(client, account, django_capture_on_commit_callbacks):
    url = reverse("account-login-method")
    page = client.get(url).content.decode()
    assert 'Tylko hasło <span class="badge">obecna metoda</span>' in page
    assert "Hasło i kod e-mail" in page and "Hasło i kod z aplikacji" in page
    # password → e-mail code, confirmed by a code sent to the address
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account-email-code"), {"action": "start"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    done = client.post(reverse("account-email-code"), {"action": "confirm", "code": code})
    assert done.status_code == 302 and done.url == url
    assert login_method(account) == "email"
    # e-mail code → app: allauth's activation announces the new authenticator
    app = Authenticator.objects.create(user=account, type=Authenticator.Type.TOTP, data={"secret": "x"})
    authenticator_added.send(sender=Authenticator, request=None, user=account, authenticator=app)
    assert login_method(account) == "app" and not EmailDevice.objects.filter(user=account).exists()
    # app → password alone, with the password
    wrong = client.post(url, {"password": "nie-to-haslo"})
    assert wrong.status_code == 422 and "Nieprawidłowe hasło." in wrong.content.decode()
    assert login_method(account) == "app"
    client.post(url, {"password": PASSWORD})
    assert login_method(account) == "password"
    assert not Authenticator.objects.filter(user=account).exists()


def test_choosing_the_email_code_replaces_the_app(client, account, django_capture_on_commit_callbacks):
    Authenticator.objects.create(user=account, type=Authenticator.Type.TOTP, data={"secret": "x"})
    Authenticator.objects.create(user=account, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "y"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account-email-code"), {"action": "start"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    client.post(reverse("account-email-code"), {"action": "confirm", "code": code})
    assert login_method(account) == "email"
    assert not Authenticator.objects.filter(user=account).exists()


def test_the_method_page_needs_a_signed_in_patient(client):
    response = client.get(reverse("account-login-method"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_the_email_code_is_not_switched_off_without_the_password(client, account):
    EmailDevice.objects.create(user=account, name="e-mail", confirmed=True, email=account.email)
    response = client.post(reverse("account-email-code"), {"action": "disable"})
    assert response.status_code == 302 and response.url == reverse("account-login-method")
    assert login_method(account) == "email"


def test_password_guesses_on_the_method_page_are_limited(client, account, settings):
    settings.RATELIMIT_ENABLE = True
    EmailDevice.objects.create(user=account, name="e-mail", confirmed=True, email=account.email)
    url = reverse("account-login-method")
    for _ in range(5):
        assert client.post(url, {"password": "zgaduje"}).status_code == 422
    limited = client.post(url, {"password": PASSWORD})
    assert limited.status_code == 429 and "Zbyt wiele prób." in limited.content.decode()
    assert login_method(account) == "email"
