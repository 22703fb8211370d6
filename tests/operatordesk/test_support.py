"""Support sessions: the operator sees a provider's patients only inside a session the
provider's admin granted (a matter, at most 72 hours), never after it ends or expires, never
another provider's patients; every search is in the provider's audit log without names."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.core.models import AuditEntry
from terminarz.onboarding import support
from terminarz.onboarding.models import SupportSession
from terminarz.patients.models import Patient
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import make_provider
from tests.operatordesk.test_desk import messages_of, operator_client

pytestmark = pytest.mark.django_db


def patient(provider, last_name):
    return Patient.objects.create(provider=provider, first_name="Anna", last_name=last_name, phone="+48500100200")


def test_the_admin_grants_and_ends_access_and_the_operator_sees_only_inside_it(client, frozen):
    provider = make_provider()
    other = make_provider()
    patient(provider, "Kowalska")
    patient(other, "Kowalska-Obca")
    admin = make_user("kierownik", provider, "admin")
    client.force_login(admin)
    url = reverse("clinic:support")
    too_long = client.post(url, {"action": "grant", "reason": "Zgłoszenie 42", "hours": "100"})
    assert too_long.context["form"].errors == {"hours": ["Upewnij się, że ta wartość jest mniejsza lub równa 72."]}
    granted = client.post(url, {"action": "grant", "reason": "Zgłoszenie 42", "hours": "2"}, follow=True)
    assert messages_of(granted) == ["Udzielono dostępu wsparciu Terminarza."]
    session = SupportSession.objects.get(provider=provider)
    assert session.expires_at == FROZEN_NOW + dt.timedelta(hours=2)

    client.logout()
    operator = operator_client(client)
    listed = client.get(reverse("operatordesk:support"))
    assert [(s.pk, open_) for s, open_ in listed.context["rows"]] == [(session.pk, True)]
    found = client.get(reverse("operatordesk:support-patients", args=[session.pk]), {"q": "Kowalska"})
    assert [p.last_name for p in found.context["found"]] == ["Kowalska"]  # not the other provider's
    assert found["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(provider_id=provider.pk, action="support.patients_searched")
    shown = Patient.objects.get(provider=provider).pk
    assert (entry.actor_id, entry.changes) == (operator.pk, {"session": session.pk, "results": 1, "patients": [shown]})
    assert "Kowalska" not in entry.summary

    frozen.move_to(FROZEN_NOW + dt.timedelta(hours=2))
    client.force_login(operator)
    from terminarz.factors.models import EmailDevice
    from tests.clinic.test_two_factor import mark_verified

    mark_verified(client, EmailDevice.objects.get(user=operator))
    expired = client.get(reverse("operatordesk:support-patients", args=[session.pk]), {"q": "Kowalska"}, follow=True)
    assert messages_of(expired) == ["Ta sesja wsparcia nie jest otwarta – placówka musi udzielić dostępu."]


def test_an_ended_session_gives_nothing_and_only_the_admin_grants(client, frozen):
    provider = make_provider()
    admin = make_user("kierownik", provider, "admin")
    session = support.grant(provider, hours=24, reason="Import danych", actor=admin)
    support.end(session, actor=admin)
    with pytest.raises(support.OnboardingError):
        support.search(session, "x", operator=None)
    with pytest.raises(support.OnboardingError) as again:
        support.end(session, actor=admin)
    assert again.value.message == "Ta sesja wsparcia już się zakończyła."
    assert list(
        AuditEntry.objects.filter(provider_id=provider.pk, action__startswith="support.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "support.granted",
        "support.ended",
    ]
    client.force_login(make_user("rej", provider, "registrar"))
    assert client.get(reverse("clinic:support")).status_code == 403
