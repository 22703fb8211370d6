"""Tenancy scopes (core.tenancy): every tenant-owned model refuses to be read outside a scope;
a provider scope narrows queries to that provider; public, system and operator scopes read
across providers; the back-office runs each view inside its provider's scope."""

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django_scopes import ScopeError, scope

from terminarz.core.tenancy import PATH_SCOPES, provider_scope, public_scope, system_scope
from terminarz.staff.models import Practitioner
from tests.clinic.test_access import make_user
from tests.factories import make_practitioner, make_provider, make_unit

pytestmark = pytest.mark.django_db

# The map from people to tenants: sign-in reads it before any tenant is known.
# Membership: back-office queries start from it. The register of facilities and the providers'
# applications are the platform operator's data; their `provider` names the account made from them.
NOT_SCOPED = {"providers.Membership", "onboarding.RegistryFacility", "onboarding.ProviderApplication"}


def tenant_models() -> list[type[models.Model]]:
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("terminarz."):
            continue
        field_names = {f.name for f in model._meta.get_fields()}
        if "provider" in field_names and model._meta.label not in NOT_SCOPED:
            found.append(model)
    return found


def test_there_are_tenant_models_to_walk():
    labels = {m._meta.label for m in tenant_models()}
    assert {"booking.Appointment", "patients.Patient", "scheduling.Slot", "notifications.Message"} <= labels
    assert {"catalog.Payer", "catalog.PayerService", "catalog.ServiceGroup", "insurers.SigningCertificate"} <= labels
    assert {"insurers.PriceListPublication", "insurers.PayerBooking", "insurers.Referral"} <= labels
    assert "onboarding.ChangeRequest" in labels
    assert "subscriptions.Subscription" in labels
    assert "onboarding.SupportSession" in labels
    assert {"integrations.AccessToken", "integrations.Webhook", "integrations.WebhookDelivery"} <= labels
    assert "marketing.Campaign" in labels
    assert len(labels) == 52


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_no_tenant_model_can_be_read_outside_a_scope(model):
    with scope(_enabled=True):  # leave the tests' own system scope: no scope at all
        with pytest.raises(ScopeError):
            list(model.objects.all())
        with pytest.raises(ScopeError):
            model.objects.filter(pk=1).exists()
        with pytest.raises(ScopeError):
            model.objects.count()


def test_a_provider_scope_narrows_every_query_to_that_provider():
    a, b = make_provider("A"), make_provider("B")
    mine = make_practitioner(a, make_unit(a))
    make_practitioner(b, make_unit(b))
    with scope(_enabled=True), provider_scope(a.pk):
        assert list(Practitioner.objects.values_list("pk", flat=True)) == [mine.pk]
        # Even a query that names the other provider finds nothing.
        assert Practitioner.objects.filter(provider=b).count() == 0
    with scope(_enabled=True), public_scope():
        assert Practitioner.objects.count() == 2
    with scope(_enabled=True), system_scope():
        assert Practitioner.objects.count() == 2


def test_clinic_views_run_in_their_providers_scope(client, monkeypatch):
    a, b = make_provider("A"), make_provider("B")
    seen = []
    from terminarz.clinic import calendar_views

    url = reverse("clinic:calendar")  # imports the views first (form classes build querysets at import)

    original = calendar_views.Practitioner.objects.__class__.get_queryset

    def spy(manager):
        from django_scopes import get_scope

        seen.append(get_scope().get("provider"))
        return original(manager)

    monkeypatch.setattr(calendar_views.Practitioner.objects.__class__, "get_queryset", spy)
    make_practitioner(b, make_unit(b))
    client.force_login(make_user("rita", a, "registrar"))
    seen.clear()
    assert client.get(url).status_code == 200
    assert set(seen) == {a.pk}


def test_every_path_has_an_explicit_scope():
    assert [prefix for prefix, _ in PATH_SCOPES] == ["/gabinet/", "/ubezpieczyciel/", "/operator/", "/admin/", "/"]
    assert dict(PATH_SCOPES) == {
        "/gabinet/": "",
        "/ubezpieczyciel/": "",
        "/operator/": "",
        "/admin/": "operator",
        "/": "public",
    }
