"""A provider admin manages sign-in only of accounts that are theirs alone: the second factor and
the lockout of a platform account, or of a person who works at another provider too, are the
platform operator's (issue 8 review, F2)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from terminarz.core.models import AuditEntry
from terminarz.factors.models import TOTPDevice
from terminarz.providers.models import Membership
from tests.clinic.test_access import make_user
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
PASSWORD = "haslo-testowe-123"


def shared_with_another_provider(provider):
    user = make_user("wspolna", make_provider("B"), "admin")
    Membership.objects.create(user=user, provider=provider, role="registrar")
    return user


def platform_staff(provider):
    user = make_user("ops", provider, "registrar")
    user.is_staff = True
    user.save()
    return user


def platform_superuser(provider):
    user = make_user("root", provider, "registrar")
    user.is_superuser = True
    user.save()
    return user


ACCOUNTS = {
    "works at another provider": (shared_with_another_provider, "ta osoba pracuje także w innych placówkach"),
    "is_staff": (platform_staff, "to konto platformy"),
    "is_superuser": (platform_superuser, "to konto platformy"),
}


@pytest.fixture
def provider_admin(client):
    provider = make_provider("A")
    client.force_login(make_user("alice", provider, "admin"))
    return provider


@pytest.mark.parametrize("kind", ACCOUNTS)
def test_admin_cannot_reset_the_factor_of_an_account_beyond_the_provider(client, provider_admin, kind):
    make, reason = ACCOUNTS[kind]
    user = make(provider_admin)
    device = TOTPDevice.objects.create(user=user, name="aplikacja", confirmed=True)
    membership = Membership.objects.get(user=user, provider=provider_admin)

    response = client.post(reverse("clinic:staff-2fa-reset", args=[membership.pk]))

    assert response.status_code == 302 and response.url == reverse("clinic:staff-accounts")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Drugi składnik konta {user.username} może zresetować tylko operator platformy, bo {reason}."
    ]
    assert TOTPDevice.objects.filter(pk=device.pk).exists() is True
    assert AuditEntry.objects.filter(action="staff.2fa_reset").exists() is False


@pytest.mark.parametrize("kind", ACCOUNTS)
def test_admin_cannot_unlock_an_account_beyond_the_provider(client, provider_admin, kind, settings):
    make, reason = ACCOUNTS[kind]
    user = make(provider_admin)
    membership = Membership.objects.get(user=user, provider=provider_admin)
    other = client.__class__()
    login = reverse("clinic:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        other.post(login, {"username": user.username, "password": "zle-haslo"})

    response = client.post(reverse("clinic:staff-account-unlock", args=[membership.pk]))

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Konto {user.username} może odblokować tylko operator platformy, bo {reason}."
    ]
    assert other.post(login, {"username": user.username, "password": PASSWORD}).status_code == 429
    assert AuditEntry.objects.filter(action="staff.unlocked").exists() is False


def test_an_account_of_this_provider_alone_is_still_reset_and_unlocked(client, provider_admin, settings):
    rita = make_user("rita", provider_admin, "registrar")
    TOTPDevice.objects.create(user=rita, name="aplikacja", confirmed=True)
    membership = Membership.objects.get(user=rita)
    other = client.__class__()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        other.post(reverse("clinic:login"), {"username": "rita", "password": "zle-haslo"})

    client.post(reverse("clinic:staff-2fa-reset", args=[membership.pk]))
    client.post(reverse("clinic:staff-account-unlock", args=[membership.pk]))

    assert TOTPDevice.objects.filter(user=rita).exists() is False
    assert other.post(reverse("clinic:login"), {"username": "rita", "password": PASSWORD}).status_code == 302
