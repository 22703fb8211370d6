"""A2 and A5 rules: the provider's data confirmed once, edits afterwards as change requests
(the live data changes only on approval; rejection keeps it and says why; one pending request
per target; withdrawal), and locations that wait for the operator before the portal shows them.
Every transition of both machines, allowed and refused."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model

from terminarz.core.models import AuditEntry
from terminarz.core.statemachine import TransitionRefused
from terminarz.notifications.models import Message
from terminarz.notifications.services import render_message
from terminarz.onboarding import changes
from terminarz.onboarding.machines import CHANGE
from terminarz.onboarding.models import ChangeRequest, ChangeStatus
from terminarz.onboarding.services import OnboardingError
from terminarz.providers import services as org
from terminarz.providers.machines import LOCATION
from terminarz.providers.models import Location, LocationStatus
from terminarz.providers.services import OrgError
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider
from tests.onboarding.helpers import valid_nip

pytestmark = pytest.mark.django_db
C, L = ChangeStatus, LocationStatus
NOWA_HUTA = {"name": "Filia Nowa Huta", "street": "os. Centrum A 1", "postal_code": "31-923", "city": "Kraków"}


@pytest.fixture
def people(frozen):
    provider = make_provider()
    provider.email = "recepcja@example.com"
    provider.save()
    User = get_user_model()
    return {
        "provider": provider,
        "admin": User.objects.create_user("kierownik", password="x"),
        "operator": User.objects.create_user("operator", password="x", is_staff=True),
    }


def test_the_machines_allow_exactly_these_transitions():
    assert CHANGE.allowed("") == {C.PENDING}
    assert CHANGE.allowed(C.PENDING) == {C.APPROVED, C.REJECTED, C.WITHDRAWN}
    assert [CHANGE.allowed(s) for s in (C.APPROVED, C.REJECTED, C.WITHDRAWN)] == [set(), set(), set()]
    assert LOCATION.allowed("") == {L.PENDING, L.APPROVED}
    assert LOCATION.allowed(L.PENDING) == {L.APPROVED, L.REJECTED}
    assert LOCATION.allowed(L.REJECTED) == {L.PENDING}
    assert LOCATION.allowed(L.APPROVED) == set()


def test_confirmed_data_changes_only_when_the_operator_approves(people):
    provider, admin, operator = people["provider"], people["admin"], people["operator"]
    changes.edit_unconfirmed(provider, {"phone": "+48 12 000 00 01"}, actor=admin)
    provider.refresh_from_db()
    assert provider.phone == "+48 12 000 00 01"  # before the confirmation: in place
    with pytest.raises(OnboardingError) as unticked:
        changes.confirm_data(provider, confirmed=False, actor=admin)
    assert unticked.value.errors == {"confirm": ["Zaznacz „Potwierdzam poprawność danych”."]}
    changes.confirm_data(provider, confirmed=True, actor=admin)
    provider.refresh_from_db()
    assert (provider.data_confirmed_at, provider.data_confirmed_by_id) == (FROZEN_NOW, admin.pk)
    with pytest.raises(OnboardingError):
        changes.edit_unconfirmed(provider, {"phone": "1"}, actor=admin)
    new_nip = valid_nip("951234567")
    change = changes.request_provider_change(
        provider, {"name": provider.name, "nip": new_nip, "phone": "+48 12 000 00 02"}, actor=admin
    )
    provider.refresh_from_db()
    assert (provider.nip, provider.phone) == ("", "+48 12 000 00 01")  # live data unchanged
    assert changes.diff(change) == [("NIP", "", new_nip), ("Telefon", "+48 12 000 00 01", "+48 12 000 00 02")]
    with pytest.raises(OnboardingError) as second:
        changes.request_provider_change(provider, {"phone": "+48 12 000 00 03"}, actor=admin)
    assert second.value.message == (
        "Poprzednia zmiana czeka na zatwierdzenie przez operatora. Wycofaj ją, aby złożyć nową."
    )
    changes.approve(change, actor=operator)
    provider.refresh_from_db()
    assert (provider.nip, provider.phone) == (new_nip, "+48 12 000 00 02")
    applied = AuditEntry.objects.get(provider_id=provider.pk, action="change_request.applied")
    assert applied.changes == {
        "before": {"nip": "", "phone": "+48 12 000 00 01"},
        "after": {"nip": new_nip, "phone": "+48 12 000 00 02"},
    }
    _subject, body, _html = render_message(Message.objects.get(kind="change_decided"))
    assert "operator Terminarza zatwierdził zmianę (dane placówki)" in body
    assert f"NIP: – → {new_nip}" in body
    assert changes.request_provider_change(provider, {"phone": "+48 12 000 00 02"}, actor=admin) is None


def test_a_rejected_change_keeps_the_data_and_says_why(people):
    provider, admin, operator = people["provider"], people["admin"], people["operator"]
    name = provider.name
    change = changes.request_provider_change(provider, {"name": "Nowa nazwa"}, actor=admin)
    with pytest.raises(OnboardingError):
        changes.reject(change, actor=operator, reason=" ")
    changes.reject(change, actor=operator, reason="Nazwa niezgodna z RPWDL.")
    provider.refresh_from_db()
    change.refresh_from_db()
    assert (provider.name, change.status, change.reason) == (name, C.REJECTED, "Nazwa niezgodna z RPWDL.")
    _subject, body, _html = render_message(Message.objects.get(kind="change_decided"))
    assert "Powód: Nazwa niezgodna z RPWDL." in body
    with pytest.raises(TransitionRefused):
        changes.approve(change, actor=operator)
    provider.refresh_from_db()
    assert provider.name == name


def test_a_withdrawn_change_makes_room_for_a_new_one(people):
    provider, admin = people["provider"], people["admin"]
    first = changes.request_provider_change(provider, {"phone": "1"}, actor=admin)
    changes.withdraw(first, actor=admin)
    second = changes.request_provider_change(provider, {"phone": "2"}, actor=admin)
    assert list(ChangeRequest.objects.filter(provider=provider).order_by("pk").values_list("status", flat=True)) == [
        C.WITHDRAWN,
        C.PENDING,
    ]
    with pytest.raises(TransitionRefused):
        changes.withdraw(first, actor=admin)
    assert second.status == C.PENDING


def test_a_new_location_waits_hidden_until_approved(people):
    provider, admin, operator = people["provider"], people["admin"], people["operator"]
    location = org.add_location(provider, NOWA_HUTA, actor=admin)
    assert (location.number, location.status, location.is_visible, location.requested_at) == (
        2,
        L.PENDING,
        False,
        FROZEN_NOW,
    )
    with pytest.raises(OrgError) as shown:
        org.set_location_visibility(location, True, actor=admin)
    assert (
        shown.value.message == "Lokalizacja czeka na zatwierdzenie przez operatora – do tego czasu nie jest widoczna."
    )
    with pytest.raises(OnboardingError):
        changes.request_location_change(location, {**NOWA_HUTA, "street": "os. Centrum B 2"}, actor=admin)
    org.correct_location(location, {**NOWA_HUTA, "street": "os. Centrum B 2"}, actor=admin)
    with pytest.raises(OnboardingError):
        changes.decide_location(location, accept=False, actor=operator, reason="")
    changes.decide_location(location, accept=False, actor=operator, reason="Brak tego adresu w RPWDL.")
    location.refresh_from_db()
    assert (location.status, location.rejection_reason, location.is_visible) == (
        L.REJECTED,
        "Brak tego adresu w RPWDL.",
        False,
    )
    org.correct_location(location, {**NOWA_HUTA, "street": "os. Centrum C 3"}, actor=admin)
    location.refresh_from_db()
    assert (location.status, location.rejection_reason, location.street) == (L.PENDING, "", "os. Centrum C 3")
    changes.decide_location(location, accept=True, actor=operator)
    location.refresh_from_db()
    assert (location.status, location.is_visible) == (L.APPROVED, True)
    with pytest.raises(TransitionRefused):
        changes.decide_location(location, accept=False, actor=operator, reason="za późno")
    with pytest.raises(OrgError):
        org.correct_location(location, NOWA_HUTA, actor=admin)
    bodies = [render_message(m)[1] for m in Message.objects.filter(kind="location_decided").order_by("pk")]
    assert ["Powód: Brak tego adresu w RPWDL." in b for b in bodies] == [True, False]
    assert "Jest już widoczna w portalu" in bodies[1]


def test_an_approved_locations_address_changes_through_a_request(people):
    provider, admin, operator = people["provider"], people["admin"], people["operator"]
    main = Location.unscoped.get(provider=provider, number=1)
    change = changes.request_location_change(
        main,
        {"name": main.name, "street": "ul. Nowa 1", "postal_code": main.postal_code, "city": main.city},
        actor=admin,
    )
    main.refresh_from_db()
    assert main.street != "ul. Nowa 1"
    assert changes.diff(change)[0][0] == "Ulica i numer"
    changes.approve(change, actor=operator)
    main.refresh_from_db()
    assert main.street == "ul. Nowa 1"


def test_the_identity_goes_to_the_operator_even_before_the_confirmation(people):
    provider, admin = people["provider"], people["admin"]
    changes.edit_unconfirmed(provider, {"name": "Podszyta", "nip": valid_nip("951234567"), "phone": "7"}, actor=admin)
    provider.refresh_from_db()
    assert (provider.name.startswith("Przychodnia Testowa"), provider.nip, provider.phone) == (True, "", "7")


def test_a_nip_another_provider_holds_is_refused_and_a_stale_request_is_not_applied(people):
    provider, admin, operator = people["provider"], people["admin"], people["operator"]
    other = make_provider()
    other.nip = valid_nip("951234567")
    other.save()
    with pytest.raises(OnboardingError) as taken:
        changes.request_provider_change(provider, {"nip": other.nip}, actor=admin)
    assert taken.value.errors == {
        "nip": ["Ten NIP ma już inna placówka w Terminarzu. Jeśli to pomyłka, skontaktuj się z pomocą techniczną."]
    }
    wanted = valid_nip("779231112")
    change = changes.request_provider_change(provider, {"nip": wanted}, actor=admin)
    other.nip = wanted  # another account took that NIP meanwhile
    other.save()
    with pytest.raises(OnboardingError) as meanwhile:
        changes.approve(change, actor=operator)
    assert (
        meanwhile.value.message
        == "Ten NIP ma już inna placówka w Terminarzu. Jeśli to pomyłka, skontaktuj się z pomocą techniczną."
    )
    stale = changes.request_location_change(
        Location.unscoped.get(provider=provider, number=1), {"street": "ul. Nowa 1"}, actor=admin
    )
    Location.unscoped.filter(provider=provider, number=1).update(street="ul. Zmieniona 2")  # e.g. in the admin
    with pytest.raises(OnboardingError) as outdated:
        changes.approve(stale, actor=operator)
    assert outdated.value.message == (
        "Dane zmieniły się od złożenia wniosku – odrzuć go, placówka złoży nowy na aktualnych danych."
    )
    assert Location.unscoped.get(provider=provider, number=1).street == "ul. Zmieniona 2"


def test_a_location_corrected_after_the_operator_looked_is_not_decided_blindly(people):
    provider, admin, operator = people["provider"], people["admin"], people["operator"]
    location = org.add_location(provider, NOWA_HUTA, actor=admin)
    seen = location.requested_at.isoformat()
    with time_machine.travel(FROZEN_NOW + dt.timedelta(minutes=5), tick=False):
        org.correct_location(location, {**NOWA_HUTA, "street": "ul. Inna 9"}, actor=admin)
    with pytest.raises(OnboardingError) as changed:
        changes.decide_location(location, accept=True, actor=operator, seen=seen)
    assert changed.value.message == "Placówka poprawiła tę lokalizację w międzyczasie – sprawdź ją ponownie."
    location.refresh_from_db()
    assert location.status == L.PENDING
    changes.decide_location(location, accept=True, actor=operator, seen=location.requested_at.isoformat())
    location.refresh_from_db()
    assert (location.status, location.street) == (L.APPROVED, "ul. Inna 9")


def test_an_e_mail_change_is_told_to_the_old_address_too(people):
    provider, admin, operator = people["provider"], people["admin"], people["operator"]
    change = changes.request_provider_change(provider, {"email": "nowy@example.com"}, actor=admin)
    changes.approve(change, actor=operator)
    assert sorted(Message.objects.filter(kind="change_decided").values_list("recipient", flat=True)) == [
        "nowy@example.com",
        "recepcja@example.com",
    ]
