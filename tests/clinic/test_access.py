"""Back-office access: sign-in, roles and permissions (B1), tenant isolation (L3), audit (A8)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, get_resolver, reverse

from terminarz.booking.services import book_appointment, cancel_appointment_by_patient
from terminarz.core.models import AuditEntry
from terminarz.providers.models import Membership
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db

PUBLIC_CLINIC_URLS = {"login", "logout", "no-access"} | {
    # A1: the joining wizard, before the facility has an account (tests/clinic/test_onboarding_wizard.py)
    "onboarding-start",
    "onboarding-search",
    "onboarding-data",
    "onboarding-terms",
    "onboarding-terms-pdf",
    "onboarding-cancel",
    "onboarding-status",
    "onboarding-password",
    "onboarding-confirm-email",
}


def make_user(username, provider=None, role=None, **membership):
    user = get_user_model().objects.create_user(username, password="haslo-testowe-123")
    if provider is not None:
        Membership.objects.create(user=user, provider=provider, role=role, **membership)
    return user


@pytest.fixture
def world(today):
    provider_a, _, _, schedule_a = clinic(today=today, days=1)
    provider_b, _, _, schedule_b = clinic(today=today, days=1)
    slot_a = Slot.objects.filter(schedule=schedule_a, start__gt=FROZEN_NOW).first()
    slot_b = Slot.objects.filter(schedule=schedule_b, start__gt=FROZEN_NOW).first()
    visit_a = book_appointment(slot_a.pk, {**PATIENT, "last_name": "Alfa", "note": "<b>pilne</b>"})
    visit_b = book_appointment(slot_b.pk, {**PATIENT, "last_name": "Beta"})
    return {
        "a": provider_a,
        "b": provider_b,
        "visit_a": visit_a,
        "visit_b": visit_b,
        "alice": make_user("alice", provider_a, "admin"),
        "rachel": make_user("rachel", provider_a, "registrar"),
        "paul": make_user("paul", provider_a, "practitioner"),
        "fiona": make_user("fiona", provider_a, "finance"),
        "bob": make_user("bob", provider_b, "admin"),
    }


def test_every_clinic_view_goes_through_the_permission_check():
    resolver = get_resolver()
    clinic_patterns = next(p for p in resolver.url_patterns if getattr(p, "namespace", None) == "clinic")
    for pattern in clinic_patterns.url_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in PUBLIC_CLINIC_URLS:
            continue
        view = pattern.callback
        assert hasattr(view, "clinic_permission"), f"{pattern.pattern} is not wrapped in clinic_view"


def test_sign_in_required_and_polish_error(client, world):
    response = client.get(reverse("clinic:today"))
    assert response.status_code == 302 and reverse("clinic:login") in response["Location"]
    bad = client.post(reverse("clinic:login"), {"username": "alice", "password": "zle"})
    assert "Nieprawidłowa nazwa użytkownika lub hasło" in bad.content.decode()
    ok = client.post(reverse("clinic:login"), {"username": "alice", "password": "haslo-testowe-123"})
    assert ok.status_code == 302 and ok["Location"] == reverse("clinic:home")


def test_user_without_provider_gets_no_access_page(client, world):
    client.force_login(make_user("nobody"))
    response = client.get(reverse("clinic:today"), follow=True)
    assert response.status_code == 403 and "Brak dostępu do gabinetu" in response.content.decode()


@pytest.mark.parametrize(
    "user, today_code, audit_code",
    [("alice", 200, 200), ("rachel", 200, 403), ("paul", 200, 403), ("fiona", 403, 403)],
)
def test_each_role_sees_what_its_permissions_allow(client, world, user, today_code, audit_code):
    client.force_login(world[user])
    assert client.get(reverse("clinic:today")).status_code == today_code
    response = client.get(reverse("clinic:audit"))
    assert response.status_code == audit_code
    if audit_code == 403:
        assert "Brak uprawnień" in response.content.decode()


def test_single_permissions_can_be_granted_and_revoked(client, world):
    rachel = Membership.objects.get(user=world["rachel"])
    rachel.granted = ["audit.view"]
    rachel.revoked = ["calendar.view"]
    rachel.save()
    client.force_login(world["rachel"])
    assert client.get(reverse("clinic:audit")).status_code == 200
    assert client.get(reverse("clinic:today")).status_code == 403


def test_day_view_shows_only_own_providers_visits_escaped(client, world):
    client.force_login(world["rachel"])
    html = client.get(reverse("clinic:today"), {"dzien": "2026-11-20"}).content.decode()
    assert "Alfa" in html and "Beta" not in html
    assert "&lt;b&gt;pilne&lt;/b&gt;" in html and "<b>pilne</b>" not in html


def test_switching_to_a_provider_without_membership_is_ignored(client, world):
    client.force_login(world["rachel"])
    client.post(reverse("clinic:switch-provider"), {"provider": world["b"].pk})
    html = client.get(reverse("clinic:today"), {"dzien": "2026-11-20"}).content.decode()
    assert "Alfa" in html and "Beta" not in html


def test_staff_of_two_providers_switches_between_them(client, world):
    Membership.objects.create(user=world["rachel"], provider=world["b"], role="registrar")
    client.force_login(world["rachel"])
    client.post(reverse("clinic:switch-provider"), {"provider": world["b"].pk})
    html = client.get(reverse("clinic:today"), {"dzien": "2026-11-20"}).content.decode()
    assert "Beta" in html and "Alfa" not in html


def test_finance_staff_of_two_providers_switch_too(client, world):
    Membership.objects.create(user=world["fiona"], provider=world["b"], role="finance")
    client.force_login(world["fiona"])
    response = client.post(reverse("clinic:switch-provider"), {"provider": world["b"].pk})
    assert (response.status_code, response.url) == (302, reverse("clinic:home"))
    assert client.session["clinic_provider_id"] == world["b"].pk


def test_booking_changes_are_audited_per_provider(client, world):
    cancel_appointment_by_patient(world["visit_a"].pk, world["visit_a"].cancel_token, reason="wyjazd")
    entries = AuditEntry.objects.filter(provider=world["a"], object_id=str(world["visit_a"].pk))
    assert [e.action for e in entries.order_by("at", "id")] == ["appointment.confirmed", "appointment.cancelled"]
    assert all(PATIENT["email"] not in e.summary and "Alfa" not in e.summary for e in entries)
    client.force_login(world["alice"])
    html = client.get(reverse("clinic:audit")).content.decode()
    assert world["visit_a"].reference in html and world["visit_b"].reference not in html
    filtered = client.get(reverse("clinic:audit"), {"action": "cancelled"}).content.decode()
    assert "Zmiana statusu wizyty: odwołana" in filtered
    assert "Zmiana statusu wizyty: zarezerwowana" not in filtered  # the booking's entry is filtered out
    assert "status: zarezerwowana → odwołana" in filtered  # the change, in Polish
    client.force_login(world["bob"])
    assert world["visit_a"].reference not in client.get(reverse("clinic:audit")).content.decode()
