"""L1: staff second sign-in factor – authenticator app or e-mail code, optional per person,
required per provider; every sign-in asks for the code once a factor is on."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import TOTP

from terminarz.core.models import AuditEntry
from terminarz.factors.models import EmailDevice, TOTPDevice
from terminarz.providers.models import Membership
from tests.clinic.test_access import make_user
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
PASSWORD = "haslo-testowe-123"


def totp_now(device: TOTPDevice) -> str:
    otp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{otp.token():06d}"


def mark_verified(client, device) -> None:
    """As if the code was given in this session (django-otp keeps the device in the session)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def sign_in(client, username: str, next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("clinic:login"), data)


def last_code() -> str:
    match = re.search(r"\b(\d{6})\b", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def provider():
    return make_provider()


def test_without_a_factor_sign_in_is_one_step(client, provider, frozen):
    make_user("rita", provider, "registrar")
    response = sign_in(client, "rita")
    assert response.status_code == 302 and response.url == reverse("clinic:home")
    assert client.get(reverse("clinic:calendar")).status_code == 200


def test_app_code_is_asked_at_every_sign_in_and_guards_every_clinic_page(client, provider, frozen):
    rita = make_user("rita", provider, "registrar")
    device = TOTPDevice.objects.create(user=rita, name="aplikacja", confirmed=True)
    response = sign_in(client, "rita", next_url=reverse("clinic:patients"))
    assert response.status_code == 302 and response.url == reverse("clinic:2fa-verify")
    # Signed in with the password only: no clinic page, no admin, back to the code step.
    assert client.get(reverse("clinic:calendar")).url == reverse("clinic:2fa-verify")
    assert client.get(reverse("clinic:login")).url == reverse("clinic:2fa-verify")

    wrong = client.post(reverse("clinic:2fa-verify"), {"action": "verify", "code": "000000"})
    assert wrong.status_code == 422
    assert "Nieprawidłowy lub nieaktualny kod" in wrong.content.decode()

    frozen.shift(2)  # after a wrong code the next try waits a moment (throttling)
    right = client.post(reverse("clinic:2fa-verify"), {"action": "verify", "code": totp_now(device)})
    assert right.status_code == 302 and right.url == reverse("clinic:calendar")
    assert client.get(reverse("clinic:patients")).status_code == 200


def test_repeated_wrong_codes_are_throttled(client, provider, frozen):
    rita = make_user("rita", provider, "registrar")
    device = TOTPDevice.objects.create(user=rita, name="aplikacja", confirmed=True)
    sign_in(client, "rita")
    for _ in range(3):
        client.post(reverse("clinic:2fa-verify"), {"action": "verify", "code": "000000"})
    response = client.post(reverse("clinic:2fa-verify"), {"action": "verify", "code": totp_now(device)})
    assert response.status_code == 422
    assert "Zbyt wiele błędnych kodów" in response.content.decode()


def test_staff_member_turns_on_the_app_factor_with_a_qr_code(client, provider, frozen):
    rita = make_user("rita", provider, "registrar")
    client.force_login(rita)
    page = client.post(reverse("clinic:2fa"), {"action": "start-totp"})
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=rita, confirmed=False)
    bad = client.post(reverse("clinic:2fa"), {"action": "confirm-totp", "code": "123"})
    assert bad.status_code == 422
    frozen.shift(2)
    client.post(reverse("clinic:2fa"), {"action": "confirm-totp", "code": totp_now(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="staff.2fa_on", provider=provider).exists()
    # The session that turned it on is verified; the next sign-in asks for the code.
    assert client.get(reverse("clinic:calendar")).status_code == 200
    client.logout()
    assert sign_in(client, "rita").url == reverse("clinic:2fa-verify")


def test_email_factor_codes_go_through_the_outbox(client, provider, frozen, django_capture_on_commit_callbacks):
    rita = make_user("rita", provider, "registrar")
    rita.email = "rita@example.com"
    rita.save()
    client.force_login(rita)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("clinic:2fa"), {"action": "start-email"})
    assert mail.outbox[-1].to == ["rita@example.com"]
    client.post(reverse("clinic:2fa"), {"action": "confirm-email", "code": last_code()})
    assert EmailDevice.objects.get(user=rita).confirmed
    client.logout()

    sign_in(client, "rita")
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(reverse("clinic:2fa-verify"))
    assert "Wysłaliśmy kod" in page.content.decode()
    code = last_code()
    assert len(mail.outbox) == 2
    # A resend within the cooldown is refused with a message, not a second e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("clinic:2fa-verify"), {"action": "resend"})
    assert "Poczekaj minutę" in again.content.decode() and len(mail.outbox) == 2
    response = client.post(reverse("clinic:2fa-verify"), {"action": "verify", "code": code})
    assert response.url == reverse("clinic:home")
    assert client.get(reverse("clinic:calendar")).status_code == 200


def test_email_factor_needs_an_address(client, provider, frozen):
    rita = make_user("rita", provider, "registrar")
    client.force_login(rita)
    response = client.post(reverse("clinic:2fa"), {"action": "start-email"})
    assert response.status_code == 422 and "nie ma adresu e-mail" in response.content.decode()
    assert not EmailDevice.objects.exists()


def test_provider_requirement_sends_staff_without_a_factor_to_set_one(client, provider, frozen):
    alice = make_user("alice", provider, "admin")
    rita = make_user("rita", provider, "registrar")
    client.force_login(alice)
    client.post(reverse("clinic:staff-security"), {"require_2fa": "on"})
    provider.refresh_from_db()
    assert provider.require_staff_2fa
    assert AuditEntry.objects.filter(action="settings.2fa_required", provider=provider).exists()

    client.logout()
    sign_in(client, "rita")
    response = client.get(reverse("clinic:calendar"))
    assert response.status_code == 302 and response.url == reverse("clinic:2fa")
    page = client.get(reverse("clinic:2fa"))
    assert "wymaga logowania dwuskładnikowego" in page.content.decode()
    # It cannot be switched off while the provider requires it.
    mark_verified(client, TOTPDevice.objects.create(user=rita, name="aplikacja", confirmed=True))
    response = client.post(reverse("clinic:2fa"), {"action": "disable"})
    assert "Nie można wyłączyć" in response.content.decode()
    assert TOTPDevice.objects.filter(user=rita).exists()


def test_optional_factor_can_be_switched_off(client, provider, frozen):
    rita = make_user("rita", provider, "registrar")
    device = TOTPDevice.objects.create(user=rita, name="aplikacja", confirmed=True)
    client.force_login(rita)
    # Without the code in this session the factor cannot be turned off.
    assert client.post(reverse("clinic:2fa"), {"action": "disable"}).url == reverse("clinic:2fa-verify")
    assert TOTPDevice.objects.filter(user=rita).exists()
    mark_verified(client, device)
    client.post(reverse("clinic:2fa"), {"action": "disable"})
    assert not TOTPDevice.objects.filter(user=rita).exists()
    assert AuditEntry.objects.filter(action="staff.2fa_off").exists()


def test_admin_resets_a_lost_factor_only_inside_own_provider(client, provider, frozen):
    alice = make_user("alice", provider, "admin")
    rita = make_user("rita", provider, "registrar")
    TOTPDevice.objects.create(user=rita, name="aplikacja", confirmed=True)
    other = make_provider(name="Inna")
    olga = make_user("olga", other, "registrar")
    TOTPDevice.objects.create(user=olga, name="aplikacja", confirmed=True)
    client.force_login(alice)
    listing = client.get(reverse("clinic:staff-accounts")).content.decode()
    assert "włączone: aplikacja uwierzytelniająca" in listing

    client.post(reverse("clinic:staff-2fa-reset", args=[Membership.objects.get(user=rita).pk]))
    assert not TOTPDevice.objects.filter(user=rita).exists()
    assert AuditEntry.objects.filter(action="staff.2fa_reset", provider=provider).exists()
    foreign = client.post(reverse("clinic:staff-2fa-reset", args=[Membership.objects.get(user=olga).pk]))
    assert foreign.status_code == 404
    assert TOTPDevice.objects.filter(user=olga).exists()


def test_registrar_cannot_change_the_requirement(client, provider, frozen):
    client.force_login(make_user("rita", provider, "registrar"))
    assert client.post(reverse("clinic:staff-security"), {"require_2fa": "on"}).status_code == 403
    provider.refresh_from_db()
    assert not provider.require_staff_2fa


def test_django_admin_signs_in_through_the_clinic_and_asks_for_the_code(client, frozen):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    device = TOTPDevice.objects.create(user=root, name="aplikacja", confirmed=True)
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302 and response.url.startswith(reverse("clinic:login"))
    # A password alone does not open the admin.
    client.force_login(root)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("clinic:2fa-verify")
    client.post(reverse("clinic:2fa-verify"), {"action": "verify", "code": totp_now(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_factor_is_asked_however_the_session_signed_in(client, provider, frozen):
    """Not only after the clinic's password page: any session of a user with a factor."""
    rita = make_user("rita", provider, "registrar")
    TOTPDevice.objects.create(user=rita, name="aplikacja", confirmed=True)
    client.force_login(rita)  # e.g. a session from another sign-in page
    response = client.get(reverse("clinic:calendar"))
    assert response.status_code == 302 and response.url == reverse("clinic:2fa-verify")
    # Nor can a second app be enrolled to replace the first without its code.
    assert client.post(reverse("clinic:2fa"), {"action": "start-totp"}).url == reverse("clinic:2fa-verify")
    assert TOTPDevice.objects.filter(user=rita).count() == 1


def test_staff_cannot_use_the_patient_area_or_patient_sign_in(client, provider, frozen):
    from allauth.account.models import EmailAddress

    from terminarz.factors.models import EmailDevice

    rita = make_user("rita", provider, "registrar")
    rita.email = "rita@example.com"
    rita.save()
    EmailAddress.objects.create(user=rita, email="rita@example.com", verified=True, primary=True)
    EmailDevice.objects.create(user=rita, name="e-mail", confirmed=True)
    response = client.post(reverse("account_login"), {"login": "rita@example.com", "password": PASSWORD})
    assert response.status_code == 403 and "konto personelu" in response.content.decode().lower()
    client.force_login(rita)
    for url in (reverse("account-email-code"), reverse("account_email"), reverse("account-panel")):
        assert client.get(url).status_code == 403
    assert client.post(reverse("account-email-code"), {"action": "disable"}).status_code == 403
    assert EmailDevice.objects.filter(user=rita).exists()
