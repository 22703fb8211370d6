"""K1 writes from a clinic system: `POST Schedule` makes a schedule of its own practitioner and
unit (the subscription quota asked as in the back-office); `POST Slot` adds a free slot to it
(extra hours that day; the same slot sent again is the same slot; one overlapping another block
of the practitioner is 409); `PATCH Slot` takes a free slot off the portal (busy-unavailable)
and gives it back, a booked one is 409; other providers' ids are 404 and a token without the
write scope 403. A new slot shows in the portal's search at once."""

import datetime as dt
import json

import pytest
from django.test import override_settings

from terminarz.booking.services import book_appointment
from terminarz.scheduling.models import Schedule, Slot, SlotState
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT

from .helpers import fhir_json, published_clinic, system_token, validate

pytestmark = pytest.mark.django_db
SITE = "http://terminarz.test"
WRITE = ["system/Schedule.write", "system/Slot.write", "system/Slot.read"]


@pytest.fixture
def world(frozen, today):
    with override_settings(SITE_URL=SITE):
        yield published_clinic(today, days=3)


def token_for(client, provider, scopes) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {system_token(client, provider, scopes)}"}


def post(client, kind: str, resource: dict, auth: dict):
    return client.post(f"/fhir/r4/{kind}", json.dumps(resource), content_type="application/fhir+json", **auth)


def code_of(response) -> tuple[int, str]:
    body = fhir_json(response)
    validate(body)
    return response.status_code, body["issue"][0]["details"]["coding"][0]["code"]


def new_schedule(client, practitioner, unit, auth) -> dict:
    response = post(
        client,
        "Schedule",
        {
            "resourceType": "Schedule",
            "active": True,
            "actor": [{"reference": f"Practitioner/{practitioner.pk}"}, {"reference": f"HealthcareService/{unit.pk}"}],
            "planningHorizon": {"start": "2026-11-20", "end": "2026-12-31"},
            "comment": "Gabinet 2 – z systemu SERUM",
        },
        auth,
    )
    assert response.status_code == 201, response.content
    return fhir_json(response)


def test_a_schedule_and_a_slot_from_the_clinic_system_show_in_the_portal(client, world, today):
    provider, unit, practitioner, _schedule = world
    auth = token_for(client, provider, WRITE)
    schedule = new_schedule(client, practitioner, unit, auth)
    validate(schedule)
    stored = Schedule.objects.get(pk=schedule["id"])
    assert (stored.is_published_online, stored.valid_to, stored.description) == (
        True,
        dt.date(2026, 12, 31),
        "Gabinet 2 – z systemu SERUM",
    )
    slot = {
        "resourceType": "Slot",
        "schedule": {"reference": f"Schedule/{schedule['id']}"},
        "status": "free",
        "start": "2026-11-21T16:00:00+01:00",
        "end": "2026-11-21T16:20:00+01:00",
    }
    made = post(client, "Slot", slot, auth)
    resource = fhir_json(made)
    validate(resource)
    assert (made.status_code, made["Location"], resource["status"]) == (
        201,
        f"{SITE}/fhir/r4/Slot/{resource['id']}",
        "free",
    )
    again = post(client, "Slot", slot, auth)
    assert (again.status_code, fhir_json(again)["id"]) == (200, resource["id"])
    public = fhir_json(client.get("/fhir/r4/Slot", {"schedule": f"Schedule/{schedule['id']}"}))
    assert [entry["resource"]["id"] for entry in public["entry"]] == [resource["id"]]


def test_a_slot_overlapping_the_practitioners_other_hours_is_409(client, world):
    provider, unit, practitioner, schedule = world
    auth = token_for(client, provider, WRITE)
    response = post(
        client,
        "Slot",
        {
            "resourceType": "Slot",
            "schedule": {"reference": f"Schedule/{schedule.pk}"},
            "start": "2026-11-21T08:35:00+01:00",  # inside the mornings 8–10 block, off its grid
            "end": "2026-11-21T08:50:00+01:00",
        },
        auth,
    )
    assert code_of(response) == (409, "conflict")
    assert "nakłada się" in fhir_json(response)["issue"][0]["details"]["text"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-21T16:00:00+01:00", "2026-11-21T16:02:00+01:00"),  # shorter than 5 minutes
        ("2026-11-21T23:50:00+01:00", "2026-11-22T00:20:00+01:00"),  # over midnight
        ("2026-11-19T16:00:00+01:00", "2026-11-19T16:20:00+01:00"),  # in the past
        ("2026-11-21T16:00:00", "2026-11-21T16:20:00"),  # no offset
    ],
)
def test_slot_times_that_cannot_be_are_400(client, world, start, end):
    provider, _unit, _practitioner, schedule = world
    auth = token_for(client, provider, WRITE)
    slot = {"resourceType": "Slot", "schedule": {"reference": f"Schedule/{schedule.pk}"}, "start": start, "end": end}
    assert code_of(post(client, "Slot", slot, auth)) == (400, "invalid_param")


def test_block_and_unblock_a_slot_and_a_booked_one_is_409(client, world):
    provider, _unit, _practitioner, schedule = world
    auth = token_for(client, provider, WRITE)
    free, booked = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW, callcenter_only=False))[:2]
    book_appointment(booked.pk, PATIENT)

    def patch(slot, status):
        body = json.dumps([{"op": "replace", "path": "/status", "value": status}])
        return client.patch(f"/fhir/r4/Slot/{slot.pk}", body, content_type="application/json-patch+json", **auth)

    blocked = patch(free, "busy-unavailable")
    assert (blocked.status_code, fhir_json(blocked)["status"]) == (200, "busy-unavailable")
    assert client.get(f"/fhir/r4/Slot/{free.pk}").status_code == 404  # gone from the public API
    assert (patch(free, "busy-unavailable").status_code, patch(free, "free").status_code) == (200, 200)
    free.refresh_from_db()
    assert free.state == SlotState.FREE
    assert code_of(patch(booked, "busy-unavailable")) == (409, "conflict")
    booked.refresh_from_db()
    assert booked.state == SlotState.BOOKED


def test_other_providers_ids_are_404_and_without_the_scope_403(client, world, today):
    provider, unit, practitioner, schedule = world
    other, other_unit, other_practitioner, other_schedule = published_clinic(today, days=2)
    auth = token_for(client, provider, WRITE)
    foreign_slot = Slot.objects.filter(schedule=other_schedule, start__gt=FROZEN_NOW).first()
    body = json.dumps([{"op": "replace", "path": "/status", "value": "busy-unavailable"}])
    patched = client.patch(f"/fhir/r4/Slot/{foreign_slot.pk}", body, content_type="application/json-patch+json", **auth)
    assert patched.status_code == 404
    foreign_slot.refresh_from_db()
    assert foreign_slot.state == SlotState.FREE
    in_foreign = {
        "resourceType": "Slot",
        "schedule": {"reference": f"Schedule/{other_schedule.pk}"},
        "start": "2026-11-21T16:00:00+01:00",
        "end": "2026-11-21T16:20:00+01:00",
    }
    assert code_of(post(client, "Slot", in_foreign, auth)) == (404, "not_found")
    foreign_actor = {
        "resourceType": "Schedule",
        "actor": [
            {"reference": f"Practitioner/{other_practitioner.pk}"},
            {"reference": f"HealthcareService/{other_unit.pk}"},
        ],
    }
    assert code_of(post(client, "Schedule", foreign_actor, auth)) == (404, "not_found")
    read_only = token_for(client, provider, ["system/Slot.read"])
    in_own = {**in_foreign, "schedule": {"reference": f"Schedule/{schedule.pk}"}}
    assert code_of(post(client, "Slot", in_own, read_only)) == (403, "forbidden")
    assert code_of(post(client, "Slot", in_own, {})) == (401, "unauthorized")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-11-21T16:00:30+01:00", "2026-11-21T16:20:30+01:00"),  # seconds
        ("9999-12-31T23:00:00-01:00", "9999-12-31T23:30:00-01:00"),  # beyond what a clock can say
        ("2027-06-01T16:00:00+02:00", "2027-06-01T16:20:00+02:00"),  # beyond the slot horizon
    ],
)
def test_times_beyond_the_horizon_or_unclear_are_400_and_leave_nothing(client, world, start, end):
    from terminarz.scheduling.models import ScheduleBlock

    provider, _unit, _practitioner, schedule = world
    auth = token_for(client, provider, WRITE)
    before = ScheduleBlock.objects.filter(schedule=schedule).count()
    slot = {"resourceType": "Slot", "schedule": {"reference": f"Schedule/{schedule.pk}"}, "start": start, "end": end}
    assert code_of(post(client, "Slot", slot, auth)) == (400, "invalid_param")
    assert ScheduleBlock.objects.filter(schedule=schedule).count() == before


def test_a_huge_reference_is_400_not_500(client, world):
    provider, _unit, _practitioner, _schedule = world
    auth = token_for(client, provider, WRITE)
    slot = {
        "resourceType": "Slot",
        "schedule": {"reference": "Schedule/" + "1" * 5000},
        "start": "2026-11-21T16:00:00+01:00",
        "end": "2026-11-21T16:20:00+01:00",
    }
    assert code_of(post(client, "Slot", slot, auth)) == (400, "invalid_param")
    assert client.get("/fhir/r4/Slot", {"schedule": "Schedule/" + "1" * 150}).status_code == 400
    assert client.get("/fhir/r4/Slot", {"_id": "1" * 150}).status_code == 400


def test_the_audit_names_the_clinic_system(client, world):
    from terminarz.core.models import AuditEntry

    provider, _unit, _practitioner, schedule = world
    auth = token_for(client, provider, WRITE)
    slot = {
        "resourceType": "Slot",
        "schedule": {"reference": f"Schedule/{schedule.pk}"},
        "start": "2026-11-21T16:00:00+01:00",
        "end": "2026-11-21T16:20:00+01:00",
    }
    made = fhir_json(post(client, "Slot", slot, auth))
    body = json.dumps([{"op": "replace", "path": "/status", "value": "busy-unavailable"}])
    client.patch(f"/fhir/r4/Slot/{made['id']}", body, content_type="application/json-patch+json", **auth)
    labels = list(
        AuditEntry.objects.filter(provider=provider, action__in=["schedule.extra_hours", "slot.blocked"])
        .order_by("pk")
        .values_list("action", "actor_label")
    )
    client_id = integrations_client_id(provider)
    assert labels == [("schedule.extra_hours", f"client:{client_id}"), ("slot.blocked", f"client:{client_id}")]


def integrations_client_id(provider) -> str:
    from terminarz.integrations.models import ApiCredential

    return ApiCredential.unscoped.get(provider=provider).client_id


def test_the_second_half_hour_of_the_autumn_change_of_time_is_refused(client, world):
    import time_machine

    provider, _unit, _practitioner, schedule = world
    with time_machine.travel(dt.datetime(2027, 10, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        auth = token_for(client, provider, WRITE)
        slot = {
            "resourceType": "Slot",
            "schedule": {"reference": f"Schedule/{schedule.pk}"},
            "start": "2027-10-31T02:30:00+01:00",  # 02:30 happens twice that night; this is the second
            "end": "2027-10-31T02:50:00+01:00",
        }
        response = post(client, "Slot", slot, auth)
    assert code_of(response) == (400, "invalid_param")
    assert (
        fhir_json(response)["issue"][0]["details"]["text"]
        == "Tej godziny nie da się jednoznacznie zapisać (zmiana czasu)."
    )


def test_patch_schedule_withdraws_publishes_and_ends_it(client, world):
    provider, unit, practitioner, _schedule = world
    auth = token_for(client, provider, WRITE)
    schedule = new_schedule(client, practitioner, unit, auth)
    slot = {
        "resourceType": "Slot",
        "schedule": {"reference": f"Schedule/{schedule['id']}"},
        "start": "2026-11-21T16:00:00+01:00",
        "end": "2026-11-21T16:20:00+01:00",
    }
    made = fhir_json(post(client, "Slot", slot, auth))
    path = f"/fhir/r4/Schedule/{schedule['id']}"

    def patch(*operations):
        return client.patch(path, json.dumps(list(operations)), content_type="application/json-patch+json", **auth)

    withdrawn = patch({"op": "replace", "path": "/active", "value": False})
    assert (withdrawn.status_code, fhir_json(withdrawn)["active"]) == (200, False)
    assert client.get(f"/fhir/r4/Slot/{made['id']}").status_code == 404  # no longer offered publicly
    again = patch({"op": "replace", "path": "/active", "value": True})
    assert (again.status_code, client.get(f"/fhir/r4/Slot/{made['id']}").status_code) == (200, 200)
    ended = patch({"op": "replace", "path": "/planningHorizon/end", "value": "2026-11-20"})
    assert (ended.status_code, Schedule.objects.get(pk=schedule["id"]).valid_to) == (200, dt.date(2026, 11, 20))
    assert Slot.objects.filter(pk=made["id"]).exists() is False  # beyond the new end, free: removed
    assert code_of(patch({"op": "replace", "path": "/planningHorizon/end", "value": "2026-01-01"})) == (
        400,
        "invalid_param",
    )
    assert code_of(patch({"op": "replace", "path": "/actor", "value": []})) == (400, "not_supported")
    other_provider = published_clinic(dt.date(2026, 11, 20), days=1)[0]
    foreign = token_for(client, other_provider, WRITE)
    body = json.dumps([{"op": "replace", "path": "/active", "value": False}])
    assert client.patch(path, body, content_type="application/json-patch+json", **foreign).status_code == 404
