"""L1 at every entry point: one decision (clinic.factor_policy) for the back-office, the Django
admin, the patient sign-in and the API; no page shows another person's factor.

Regression for issue 8 defect 1: a superuser whose provider requires a second factor, signed in
with the password only, got every admin page – the authenticator-device pages with a colleague's
secret and QR code among them."""

from base64 import b32encode

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from django_otp.models import Device

from terminarz.factors.models import TOTPDevice
from terminarz.notifications.models import Message
from tests.clinic.test_access import make_user
from tests.clinic.test_two_factor import PASSWORD, last_code, mark_verified, sign_in
from tests.factories import make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    provider = make_provider()
    provider.require_staff_2fa = True
    provider.save(update_fields=["require_staff_2fa"])
    return provider


def superuser_member(provider, username="alice"):
    user = make_user(username, provider, "admin")
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def test_admin_with_password_only_is_sent_to_set_up_the_required_factor(client, provider, frozen):
    superuser_member(provider)
    colleague = make_user("rita", provider, "registrar")
    device = TOTPDevice.objects.create(user=colleague, name="aplikacja", confirmed=True)
    sign_in(client, "alice")

    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("clinic:2fa")
    for path in (
        f"/admin/factors/totpdevice/{device.pk}/config/",
        f"/admin/factors/totpdevice/{device.pk}/qrcode/",
        "/admin/accounts/user/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(reverse("admin:login")), path
    assert client.get(reverse("clinic:calendar")).url == reverse("clinic:2fa")


def test_admin_after_setting_up_the_factor_returns_to_the_admin(
    client, provider, frozen, django_capture_on_commit_callbacks
):
    alice = superuser_member(provider)
    alice.email = "alice@example.com"
    alice.save(update_fields=["email"])
    sign_in(client, "alice")
    login = client.get(reverse("admin:index"))
    assert client.get(login.url).url == reverse("clinic:2fa")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("clinic:2fa"), {"action": "start-email"})
    response = client.post(reverse("clinic:2fa"), {"action": "confirm-email", "code": last_code()})
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_platform_admin_without_provider_needs_a_factor_for_the_admin(client, frozen):
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client.post(reverse("clinic:login"), {"username": "root", "password": PASSWORD})
    response = client.get(reverse("admin:index"))
    assert client.get(response.url).url == reverse("clinic:2fa")


@override_settings(TERMINARZ_ADMIN_REQUIRES_2FA=False)
def test_platform_requirement_can_be_turned_off_for_the_demo(client, frozen):
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client.post(reverse("clinic:login"), {"username": "root", "password": PASSWORD})
    assert client.get(reverse("admin:index")).status_code == 200


def test_no_admin_page_shows_a_factor(client, provider, frozen):
    alice = superuser_member(provider)
    own = TOTPDevice.objects.create(user=alice, name="aplikacja", confirmed=True)
    colleague = make_user("rita", provider, "registrar")
    device = TOTPDevice.objects.create(user=colleague, name="aplikacja", confirmed=True)
    Message.objects.create(
        kind="staff_login_code",
        recipient="rita@example.com",
        template="clinic/email/login_code",
        context={"code": "918273", "minutes": 10},
        body="Kod: 918273",
        idempotency_key="k1",
        next_attempt_at="2026-11-30T10:00:00Z",
    )
    client.force_login(alice)
    mark_verified(client, own)

    for model in admin.site._registry:
        assert not issubclass(model, Device), model
        assert model._meta.label != "mfa.Authenticator"
    assert client.get(f"/admin/factors/totpdevice/{device.pk}/config/").status_code == 404
    secrets = (device.key, b32encode(device.bin_key).decode(), "918273")
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages = [reverse(f"{prefix}_changelist")]
        pages += [reverse(f"{prefix}_change", args=[pk]) for pk in model.objects.values_list("pk", flat=True)]
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            html = response.content.decode()
            for secret in secrets:
                assert secret not in html, page


def test_staff_cannot_use_the_patient_sign_in(client, provider, frozen):
    make_user("rita", provider, "registrar").__class__.objects.filter(username="rita").update(email="rita@example.com")
    response = client.post(reverse("account_login"), {"login": "rita@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_api_has_no_session_sign_in_to_bypass_the_factor(client):
    """The API signs in no session: a session owing its code gets nothing more there. The one
    authenticated operation takes an integration's client credentials (HTTP Basic, A7), never
    a cookie; an API operation that starts accepting a session must go through the factor
    policy first."""
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {"ClientCredentials": {"type": "http", "scheme": "basic"}}
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert [(op["operationId"], op["security"]) for op in operations if op.get("security")] == [
        ("terminarz_api_v1_integration_ping", [{"ClientCredentials": []}])
    ]
