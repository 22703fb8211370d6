"""G3: location codes per insurer and location – "Brak powiązania" / "Kod nieznany" /
"Zaakceptowano", from what the operator and the provider entered (the operator first; no spaces)."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.insurers import services
from terminarz.insurers.machines import LOCATION_CODE
from terminarz.insurers.models import Insurer, InsurerTerms, LocationCode
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider

pytestmark = pytest.mark.django_db
T0 = FROZEN_NOW


@pytest.fixture
def world(frozen):
    provider = make_provider()
    insurer = Insurer.objects.create(name="TU Zdrowie", slug="tu-zdrowie")
    InsurerTerms.objects.create(
        insurer=insurer, title="Regulamin", version="1.0", body="…", effective_from=T0 - dt.timedelta(days=1)
    )
    admin = make_user("ada", provider, "admin")
    services.accept_service_terms(provider.pk, accepted=True, actor=admin)
    services.start(services.cooperation(provider.pk, insurer), terms_version="1.0", understood=True, actor=admin)
    return provider, insurer, provider.locations.first(), admin


def test_operator_first_then_the_same_code_is_accepted(world):
    provider, insurer, location, admin = world
    services.enter_operator_code(provider.pk, insurer, location.pk, "PZU123", actor=None, now=T0)
    code = services.enter_provider_code(
        provider.pk, insurer, location.pk, "PZU123", actor=admin, now=T0 + dt.timedelta(minutes=5)
    )
    history = [(t.from_state, t.to_state) for t in LOCATION_CODE.history(code)]
    assert (code.status, history) == ("accepted", [("", "none"), ("none", "accepted")])


def test_a_code_entered_before_the_operator_is_unknown_until_entered_again(world):
    provider, insurer, location, admin = world
    early = services.enter_provider_code(provider.pk, insurer, location.pk, "PZU123", actor=admin, now=T0)
    services.enter_operator_code(
        provider.pk, insurer, location.pk, "PZU123", actor=None, now=T0 + dt.timedelta(hours=1)
    )
    after_operator = LocationCode.objects.get(pk=early.pk).status
    again = services.enter_provider_code(
        provider.pk, insurer, location.pk, "PZU123", actor=admin, now=T0 + dt.timedelta(hours=2)
    )
    assert (early.status, after_operator, again.status) == ("unknown", "unknown", "accepted")


@pytest.mark.parametrize(
    "operator,provider_code,status",
    [("", "", "none"), ("PZU1", "", "none"), ("PZU1", "PZU2", "unknown"), ("PZU1", "PZU1", "accepted")],
)
def test_status_from_both_entries(world, operator, provider_code, status):
    provider, insurer, location, admin = world
    if operator:
        services.enter_operator_code(provider.pk, insurer, location.pk, operator, actor=None, now=T0)
    code = services.enter_provider_code(
        provider.pk, insurer, location.pk, provider_code, actor=admin, now=T0 + dt.timedelta(minutes=1)
    )
    assert code.status == status


def test_spaces_are_refused(world):
    provider, insurer, location, admin = world
    with pytest.raises(services.CooperationError) as refused:
        services.enter_provider_code(provider.pk, insurer, location.pk, "PZU 123", actor=admin)
    assert refused.value.errors == {"code": ["Kod wprowadź bez spacji."]}
    assert LocationCode.objects.exists() is False


def test_the_tab_saves_a_code_and_refuses_another_providers_location(client, world):
    provider, insurer, location, admin = world
    client.force_login(admin)
    url = reverse("clinic:insurer-tab", args=[insurer.slug, "lokalizacje"])
    client.post(url, {"action": "code", "location": location.pk, "code": "PZU9"}, follow=True)
    other = make_provider()
    response = client.post(url, {"action": "code", "location": other.locations.first().pk, "code": "PZU9"}, follow=True)
    page = client.get(url).content.decode()
    assert LocationCode.objects.get(location=location).provider_code == "PZU9"
    assert [str(m) for m in response.context["messages"]] == ["Nie ma takiej lokalizacji."]
    assert "Kod nieznany" in page


STATES = ["none", "unknown", "accepted"]


@pytest.mark.parametrize("move", [(a, b) for a in STATES for b in STATES if a != b], ids=lambda m: f"{m[0]}->{m[1]}")
def test_a_code_may_move_between_any_two_statuses(world, move):
    provider, insurer, location, _ = world
    code = LocationCode.objects.create(provider=provider, insurer=insurer, location=location, status=move[0])
    LOCATION_CODE.move(code, move[1], actor_label="test")
    assert LocationCode.objects.get(pk=code.pk).status == move[1]


@pytest.mark.parametrize("state", STATES)
def test_a_code_never_moves_to_the_status_it_has(world, state):
    from terminarz.core.statemachine import TransitionRefused

    provider, insurer, location, _ = world
    code = LocationCode.objects.create(provider=provider, insurer=insurer, location=location, status=state)
    with pytest.raises(TransitionRefused):
        LOCATION_CODE.move(code, state, actor_label="test")


def test_the_operator_enters_a_code_in_the_platform_admin(client, world, django_user_model, settings):
    settings.TERMINARZ_ADMIN_REQUIRES_2FA = False  # the second factor is tested at the admin's door
    provider, insurer, location, _ = world
    operator = django_user_model.objects.create_superuser("operator", "op@example.com", "haslo-testowe-123")
    client.force_login(operator)
    url = reverse("admin:insurers_locationcode_add")
    data = {"provider": provider.pk, "insurer": insurer.pk, "location": location.pk}
    refused = client.post(url, {**data, "operator_code": "PZU 1"})
    client.post(url, {**data, "operator_code": "PZU1"})
    assert refused.context["adminform"].form.errors["operator_code"] == ["Kod wprowadź bez spacji."]
    assert LocationCode.objects.get(location=location).operator_code == "PZU1"
