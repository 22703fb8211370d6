"""A8: every configuration change is logged with its values before and after, in Polish and
in local time, and the log can be narrowed to one object."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.core.audit import record_audit
from terminarz.core.models import AuditEntry
from terminarz.providers.models import Membership
from terminarz.providers.permissions import ROLE_PERMISSIONS
from terminarz.scheduling.models import Schedule
from tests.clinic.test_access import make_user
from tests.clinic.test_org import practitioner_data, unit_data
from tests.clinic.test_schedules import block, schedule_post
from tests.factories import clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(today, client):
    provider, unit, practitioner, _ = clinic(today=today, days=3)
    alice = make_user("alice", provider, "admin")
    client.force_login(alice)
    return {"provider": provider, "unit": unit, "practitioner": practitioner, "alice": alice}


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


def audit_page(client, **params) -> str:
    return client.get(reverse("clinic:audit"), params).content.decode()


def test_practitioner_change_keeps_each_value_before_and_after(client, org):
    data = practitioner_data(org, last_name="Nowakowska", languages="polski, angielski")
    client.post(reverse("clinic:practitioner-create"), practitioner_data(org))
    ewa = org["provider"].practitioners.get(last_name="Nowa")
    response = client.post(reverse("clinic:practitioner", args=[ewa.pk]), data)
    assert response.status_code == 302
    entry = last("practitioner.changed")
    assert entry.changes == {
        "last_name": {"before": "Nowa", "after": "Nowakowska"},
        "languages": {"before": None, "after": "polski, angielski"},
    }
    created = last("practitioner.created").changes
    assert created["last_name"] == {"before": None, "after": "Nowa"}
    assert created["specializations"] == {"before": None, "after": ["Kardiologia"]}
    assert created["staff_type"] == {"before": None, "after": "lekarz"}  # a choice by its label
    page = audit_page(client)
    assert "nazwisko: Nowa → Nowakowska" in page
    assert "języki: – → polski, angielski" in page


def test_unit_and_opening_hours_changes_read_before_and_after(client, org):
    unit = org["unit"]
    old_name = unit.name
    data = unit_data(org | {"location": unit.location}, name="Kardiologia")
    client.post(reverse("clinic:unit", args=[unit.pk]), data)
    assert last("unit.changed").changes["name"] == {"before": old_name, "after": "Kardiologia"}
    url = reverse("clinic:unit-hours", args=[unit.pk])
    client.post(url, {"opens-0": "08:00", "closes-0": "16:00"})
    client.post(url, {"opens-0": "09:00", "closes-0": "15:00", "opens-5": "09:00", "closes-5": "12:00"})
    assert last("unit.opening_hours").changes == {
        "poniedziałek": {"before": "08:00–16:00", "after": "09:00–15:00"},
        "sobota": {"before": "nieczynne", "after": "09:00–12:00"},
    }
    assert "poniedziałek: 08:00–16:00 → 09:00–15:00" in audit_page(client)


def test_schedule_change_lists_fields_and_blocks(client, org):
    practitioner, unit = org["practitioner"], org["unit"]
    Schedule.objects.filter(practitioner=practitioner).delete()
    client.post(reverse("clinic:schedule-create"), schedule_post(practitioner, unit, block(0, 0, "08:00", "10:00")))
    schedule = Schedule.objects.get(practitioner=practitioner)
    monday = schedule.blocks.get()
    data = schedule_post(
        practitioner,
        unit,
        {**block(0, 0, "08:00", "12:00", minutes=30), "bloki-0-id": monday.pk},
        initial=1,
        description="Wtorki i poniedziałki",
    )
    data["valid_to"] = "2027-06-30"
    assert client.post(reverse("clinic:schedule", args=[schedule.pk]), data).status_code == 302
    changes = last("schedule.changed").changes
    assert changes == {
        "valid_to": {"before": None, "after": "30.06.2027"},
        "description": {"before": "Podstawowy", "after": "Wtorki i poniedziałki"},
        "blocks_added": ["poniedziałek 08:00–12:00 · 30 min · NFZ · tylko w gabinecie"],
        "blocks_removed": ["poniedziałek 08:00–10:00 · 20 min · NFZ · tylko w gabinecie"],
    }
    page = audit_page(client, object_type="schedule", object_id=schedule.pk)
    assert "obowiązuje do: – → 30.06.2027" in page
    assert "dodane bloki: poniedziałek 08:00–12:00 · 30 min · NFZ · tylko w gabinecie" in page


def test_permission_change_names_role_and_permissions(client, org):
    lekarz = make_user("lekarz2", org["provider"], "practitioner")
    membership = Membership.objects.get(user=lekarz, provider=org["provider"])
    wanted = sorted(ROLE_PERMISSIONS["practitioner"] | {"calendar.view_all"})
    client.post(reverse("clinic:staff-account", args=[membership.pk]), {"role": "practitioner", "permissions": wanted})
    assert last("staff.permissions").changes == {
        "permissions_added": ["Terminarz – wszyscy lekarze i wszystkie wizyty (nie tylko własne)"]
    }
    client.post(
        reverse("clinic:staff-account", args=[membership.pk]),
        {"role": "registrar", "permissions": sorted(ROLE_PERMISSIONS["registrar"])},
    )
    assert last("staff.permissions").changes["role"] == {"before": "personel medyczny", "after": "rejestracja"}
    assert "nadane uprawnienia: Terminarz – wszyscy lekarze" in audit_page(client)


def test_log_is_filtered_to_one_object_and_shown_in_local_time(client, org):
    provider, practitioner, unit = org["provider"], org["practitioner"], org["unit"]
    summer = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
    record_audit(provider_id=provider.pk, action="practitioner.changed", target=practitioner, summary="P", at=summer)
    record_audit(provider_id=provider.pk, action="unit.changed", target=unit, summary="U", at=summer)
    everything = audit_page(client)
    assert "1 lipca 2026, 12:00:00" in everything  # 10:00 UTC is noon in Warsaw in summer
    link = f"?object_type=practitioner&amp;object_id={practitioner.pk}"
    assert link in everything
    one = audit_page(client, object_type="practitioner", object_id=practitioner.pk)
    assert "Zmiana danych personelu" in one and "Zmiana komórki" not in one
    assert '<option value="practitioner" selected>Personel medyczny</option>' in one
