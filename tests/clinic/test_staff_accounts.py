"""B1: a provider admin manages staff accounts, roles and single permissions."""

import pytest
from django.urls import reverse

from terminarz.core.models import AuditEntry
from terminarz.providers.models import Membership
from terminarz.providers.permissions import ROLE_PERMISSIONS
from tests.clinic.test_access import make_user
from tests.factories import make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    provider = make_provider()
    alice = make_user("alice", provider, "admin")
    client.force_login(alice)
    return {"provider": provider, "alice": alice}


def new_staff(**over):
    return {
        "username": "ewa",
        "first_name": "Ewa",
        "last_name": "Rej",
        "email": "ewa@example.com",
        "password": "Bardzo-Dlugie-Haslo-42",
        "role": "registrar",
        "permissions": sorted(ROLE_PERMISSIONS["registrar"] | {"audit.view"}),
        **over,
    }


def test_admin_adds_staff_with_a_granted_permission_and_they_can_sign_in(client, admin):
    assert client.post(reverse("clinic:staff-account-create"), new_staff()).status_code == 302
    ewa = Membership.objects.get(user__username="ewa")
    assert ewa.role == "registrar" and ewa.granted == ["audit.view"] and ewa.revoked == []
    assert AuditEntry.objects.filter(action="staff.added").exists()
    client.logout()
    client.post(reverse("clinic:login"), {"username": "ewa", "password": "Bardzo-Dlugie-Haslo-42"})
    assert client.get(reverse("clinic:audit")).status_code == 200


@pytest.mark.parametrize(
    "over, message",
    [({"password": "123"}, "To hasło jest za krótkie"), ({"username": "alice"}, "Ta nazwa użytkownika jest zajęta.")],
)
def test_new_staff_form_rules(client, admin, over, message):
    response = client.post(reverse("clinic:staff-account-create"), new_staff(**over))
    assert response.status_code == 422 and message in response.content.decode()


def test_admin_revokes_a_permission_and_cannot_lock_themselves_out(client, admin):
    rachel = make_user("rachel", admin["provider"], "registrar")
    membership = Membership.objects.get(user=rachel)
    perms = sorted(ROLE_PERMISSIONS["registrar"] - {"bookings.export"})
    client.post(reverse("clinic:staff-account", args=[membership.pk]), {"role": "registrar", "permissions": perms})
    membership.refresh_from_db()
    assert membership.revoked == ["bookings.export"] and not membership.has_permission("bookings.export")
    own = Membership.objects.get(user=admin["alice"])
    response = client.post(
        reverse("clinic:staff-account", args=[own.pk]), {"role": "admin", "permissions": ["audit.view"]}
    )
    assert "Nie możesz odebrać sobie uprawnienia" in response.content.decode()


def test_removing_access_and_only_admins_manage_accounts(client, admin):
    rachel = make_user("rachel", admin["provider"], "registrar")
    membership = Membership.objects.get(user=rachel)
    client.force_login(rachel)
    assert client.get(reverse("clinic:staff-accounts")).status_code == 403
    client.force_login(admin["alice"])
    client.post(reverse("clinic:staff-account-remove", args=[membership.pk]))
    assert not Membership.objects.filter(user=rachel).exists()


def test_repeated_failures_lock_the_account_until_an_admin_unlocks_it(client, admin, settings):
    rachel = make_user("rachel", admin["provider"], "registrar")
    membership = Membership.objects.get(user=rachel)
    other = client.__class__()
    login = reverse("clinic:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        other.post(login, {"username": "rachel", "password": "zle-haslo"})
    locked = other.post(login, {"username": "rachel", "password": "haslo-testowe-123"})
    assert locked.status_code == 429 and "Konto czasowo zablokowane" in locked.content.decode()
    page = client.get(reverse("clinic:staff-accounts")).content.decode()
    assert "zablokowane" in page
    client.post(reverse("clinic:staff-account-unlock", args=[membership.pk]))
    ok = other.post(login, {"username": "rachel", "password": "haslo-testowe-123"})
    assert ok.status_code == 302
    assert AuditEntry.objects.filter(action="staff.unlocked").exists()
