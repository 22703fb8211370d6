"""B2: a practitioner's procedures may be assigned a whole product group at once ("Dodaj cały
zakres"); the extra description for the call center is shown to registrars and payer-desk
agents, never to patients."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from terminarz.catalog.models import Service, ServiceGroup
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.clinic.test_org import practitioner_data
from tests.conftest import FROZEN_NOW
from tests.factories import clinic, make_provider
from tests.insurers.helpers import make_insurer, payer_schedule
from tests.payerdesk.test_desk import desk_user

pytestmark = pytest.mark.django_db

NOTE = "Nie przyjmuje pacjentów z rozrusznikiem – kieruj do dr. Wiśniewskiego."


@pytest.fixture
def org(today, client):
    provider, unit, practitioner, _ = clinic(today=today, days=3)
    client.force_login(make_user("alice", provider, "admin"))
    return {"provider": provider, "unit": unit, "practitioner": practitioner}


def service(provider, code, group=None, **over):
    return Service.objects.create(provider=provider, code=code, name=f"Usługa {code}", group=group, **over)


def test_whole_product_group_is_assigned_at_once(client, org):
    provider = org["provider"]
    kard = ServiceGroup.objects.create(provider=provider, code="KARD", name="Kardiologia – zakres")
    ekg, echo = service(provider, "EKG", kard), service(provider, "ECHO", kard)
    service(provider, "OLD", kard, is_active=False)
    usg = service(provider, "USG")
    page = client.get(reverse("clinic:practitioner-create")).content.decode()
    assert "Dodaj cały zakres" in page and "Usługa EKG – Kardiologia – zakres" in page
    data = practitioner_data(org, procedures=[usg.pk], whole_groups=[kard.pk])
    assert client.post(reverse("clinic:practitioner-create"), data).status_code == 302
    ewa = provider.practitioners.get(last_name="Nowa")
    assert set(ewa.procedures.values_list("code", flat=True)) == {"EKG", "ECHO", "USG"}
    assert {ekg.pk, echo.pk} <= set(ewa.procedures.values_list("pk", flat=True))


def test_another_providers_group_is_refused(client, org, today):
    other, _, _, _ = clinic(today=today, days=1)
    foreign = ServiceGroup.objects.create(provider=other, code="X", name="Obcy zakres")
    service(other, "OBCA", foreign)
    response = client.post(reverse("clinic:practitioner-create"), practitioner_data(org, whole_groups=[foreign.pk]))
    assert response.status_code == 422
    assert "Wybierz poprawną wartość" in response.content.decode()


def test_callcenter_description_reaches_the_desk_not_the_patient(client, org):
    practitioner = org["practitioner"]
    practitioner.callcenter_description = NOTE
    practitioner.save()
    client.force_login(make_user("rachel", org["provider"], "registrar"))
    slot = Slot.objects.filter(practitioner=practitioner, start__gt=FROZEN_NOW).order_by("start").first()
    desk = client.get(reverse("clinic:desk-booking", args=[slot.pk])).content.decode()
    assert f"Informacja dla CallCenter:</strong> {NOTE}" in desk
    day = client.get(reverse("clinic:calendar"), {"lekarz": practitioner.pk}).content.decode()
    assert NOTE in day
    client.logout()
    assert NOTE not in client.get(reverse("portal:practitioner", args=[practitioner.pk])).content.decode()
    assert NOTE not in client.get("/api/v1/slots", {"practitioner": practitioner.pk}).content.decode()
    assert NOTE not in client.get(f"/fhir/r4/Practitioner/{practitioner.pk}").content.decode()


def test_payer_desk_agent_sees_the_callcenter_description(client, frozen):
    provider = make_provider()
    tu = make_insurer()
    _payer, _services, schedule = payer_schedule(
        provider, tu, get_user_model().objects.create_user("kasia", password="x"), today=FROZEN_NOW.date()
    )
    schedule.practitioner.callcenter_description = NOTE
    schedule.practitioner.save()
    desk_user(tu, "konsultant", role="agent", verified_client=client)
    listed = client.get(reverse("payerdesk:slots"), {"city": "Kraków"})
    assert NOTE in listed.content.decode()
    slot = listed.context["slots"][0]
    assert NOTE in client.get(reverse("payerdesk:book", args=[slot.pk])).content.decode()
