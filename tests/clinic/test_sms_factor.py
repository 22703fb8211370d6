"""L1 (003 "kod SMS na numer telefonu przypisany do użytkownika"): the staff second factor by
SMS – the number confirmed by a first code, a code at every sign-in, throttled."""

import re

import pytest
from django.urls import reverse

from terminarz.factors import services
from terminarz.factors.models import EmailDevice, SmsDevice
from tests.clinic.test_access import make_user
from tests.clinic.test_two_factor import sign_in
from tests.factories import make_provider
from tests.notifications.test_sms import gateway  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def last_sms_code(gateway) -> str:  # noqa: F811
    return re.search(r"\b(\d{6})\b", gateway.sent[-1]["message"]).group(1)


@pytest.fixture
def rita(client, frozen):
    user = make_user("rita", make_provider(), "registrar")
    client.force_login(user)
    return user


def test_staff_turns_on_the_sms_code_and_is_asked_for_it_at_sign_in(
    client,
    rita,
    gateway,  # noqa: F811
    frozen,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("clinic:2fa"), {"action": "start-sms", "phone": "600 100 200"})
    assert "Wysłaliśmy SMS z kodem na numer ••• ••• 200" in page.content.decode()
    assert gateway.sent[-1]["number"] == "48600100200"
    assert "Terminarz: kod logowania do gabinetu" in gateway.sent[-1]["message"]
    wrong = client.post(reverse("clinic:2fa"), {"action": "confirm-sms", "code": "000000"})
    assert wrong.status_code == 422
    frozen.shift(5)  # past the throttle a wrong code starts
    client.post(reverse("clinic:2fa"), {"action": "confirm-sms", "code": last_sms_code(gateway)})
    device = SmsDevice.objects.get(user=rita)
    assert device.confirmed and device.phone == "48600100200"
    assert "kod SMS" in client.get(reverse("clinic:2fa")).content.decode()
    client.logout()

    frozen.shift(120)
    sign_in(client, "rita")
    with django_capture_on_commit_callbacks(execute=True):
        verify = client.get(reverse("clinic:2fa-verify"))
    assert "Wysłaliśmy SMS z kodem" in verify.content.decode()
    done = client.post(reverse("clinic:2fa-verify"), {"action": "verify", "code": last_sms_code(gateway)})
    assert done.url == reverse("clinic:home")


def test_choosing_sms_replaces_the_email_code(client, rita, gateway, django_capture_on_commit_callbacks):  # noqa: F811
    EmailDevice.objects.create(user=rita, name="e-mail", confirmed=True, email="rita@example.com")
    from tests.clinic.test_two_factor import mark_verified

    mark_verified(client, EmailDevice.objects.get(user=rita))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("clinic:2fa"), {"action": "start-sms", "phone": "600 100 200"})
    client.post(reverse("clinic:2fa"), {"action": "confirm-sms", "code": last_sms_code(gateway)})
    assert services.method_label(services.confirmed_device(rita)) == "kod SMS"
    assert not EmailDevice.objects.filter(user=rita).exists()


def test_a_number_that_cannot_get_an_sms_is_refused(client, rita):
    response = client.post(reverse("clinic:2fa"), {"action": "start-sms", "phone": "12 34"})
    assert response.status_code == 422
    assert "Podaj numer telefonu komórkowego, np. 600 100 200." in response.content.decode()
    assert not SmsDevice.objects.exists()


def test_codes_are_throttled_by_a_cooldown_and_an_hourly_cap(rita, gateway, frozen):  # noqa: F811
    device = SmsDevice.objects.create(user=rita, name="SMS", confirmed=True, phone="48600100200")
    assert services.send_sms_code(device) is None
    assert services.send_sms_code(device) == "Kod został wysłany przed chwilą. Poczekaj minutę i spróbuj ponownie."
    for _ in range(services.SMS_CODES_PER_HOUR - 1):
        frozen.shift(61)
        assert services.send_sms_code(device) is None
    frozen.shift(61)
    refused = services.send_sms_code(device)
    assert refused.startswith("Wysłaliśmy już kilka kodów SMS w tej godzinie.")
    assert SmsDevice.objects.get(pk=device.pk).token_hash  # the last code sent still works


def test_a_new_device_does_not_restart_the_hourly_cap(rita, gateway, frozen):  # noqa: F811
    for i in range(services.SMS_CODES_PER_HOUR):
        device = SmsDevice.objects.create(user=rita, name="SMS", confirmed=False, phone=f"4860010020{i}")
        assert services.send_sms_code(device) is None
    fresh = SmsDevice.objects.create(user=rita, name="SMS", confirmed=False, phone="48600100299")
    assert services.send_sms_code(fresh).startswith("Wysłaliśmy już kilka kodów SMS w tej godzinie.")


def test_a_patient_account_cannot_use_the_staff_factor_pages(client):
    from django.contrib.auth import get_user_model

    patient = get_user_model().objects.create_user("pacjentka", "p@example.com", "x")
    client.force_login(patient)
    assert client.post(reverse("clinic:2fa"), {"action": "start-sms", "phone": "600 100 200"}).status_code == 403
    assert not SmsDevice.objects.exists()
