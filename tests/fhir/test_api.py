"""K1, the public part of the FHIR R4 API: the CapabilityStatement lists exactly the types and
search parameters served; every resource read or found validates against the R4B models; only
what the portal shows anyone is served (a hidden practitioner, an unpublished schedule, a
pending location are 404); Slot search by schedule, start (prefixes), specialty, service-type
and status, paged with `_count` and `next` links that walk the whole result once; bad input is
a 400 OperationOutcome with a stable code, never a 500."""

import datetime as dt
import json

import pytest
from django.test import override_settings
from django.urls import reverse

from terminarz.providers.models import LocationStatus
from terminarz.scheduling.models import Slot

from .helpers import fhir_json, published_clinic, validate

pytestmark = pytest.mark.django_db
SITE = "http://terminarz.test"


@pytest.fixture
def world(frozen, today):
    with override_settings(SITE_URL=SITE):
        yield published_clinic(today, days=3)


def search(client, kind: str, **params) -> dict:
    response = client.get(f"/fhir/r4/{kind}", params)
    assert response.status_code == 200, response.content
    bundle = fhir_json(response)
    validate(bundle)
    return bundle


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle["entry"]]


def error_code(response) -> tuple[int, str]:
    body = fhir_json(response)
    validate(body)
    return response.status_code, body["issue"][0]["details"]["coding"][0]["code"]


def test_the_capability_statement_lists_what_is_served(client, world):
    statement = fhir_json(client.get(reverse("fhir:metadata")))
    validate(statement)
    served = {entry["type"]: [p["name"] for p in entry["searchParam"]] for entry in statement["rest"][0]["resource"]}
    assert served == {
        "Organization": ["_id", "identifier", "name"],
        "Location": ["_id", "organization", "address-city", "address-state"],
        "HealthcareService": ["_id", "organization", "location", "service-type"],
        "Practitioner": ["_id", "identifier", "name"],
        "PractitionerRole": ["_id", "practitioner", "organization", "location", "service", "specialty"],
        "Schedule": ["_id", "actor", "specialty", "service-type"],
        "Slot": ["_id", "schedule", "status", "start", "specialty", "service-type"],
        "Patient": ["_id", "identifier", "name", "birthdate"],
        "Appointment": ["_id", "identifier", "patient", "practitioner", "slot", "date", "status"],
    }
    appointment = statement["rest"][0]["resource"][-1]
    assert [i["code"] for i in appointment["interaction"]] == ["read", "search-type", "patch"]
    assert [o["name"] for o in appointment["operation"]] == ["find", "hold", "book"]
    assert appointment["searchInclude"] == ["Appointment:patient", "Appointment:practitioner"]
    slot = statement["rest"][0]["resource"][6]
    assert [i["code"] for i in slot["interaction"]] == ["read", "search-type", "create", "patch"]
    oauth = statement["rest"][0]["security"]["extension"][0]["extension"]
    assert oauth == [{"url": "token", "valueUri": f"{SITE}/fhir/auth/token"}]


def test_every_resource_reads_and_validates(client, world):
    provider, unit, practitioner, schedule = world
    slot = Slot.objects.filter(schedule=schedule, day=dt.date(2026, 11, 21)).order_by("start").first()
    wanted = {
        "Organization": provider.pk,
        "Location": unit.location_id,
        "HealthcareService": unit.pk,
        "Practitioner": practitioner.pk,
        "Schedule": schedule.pk,
        "Slot": slot.pk,
    }
    for kind, pk in wanted.items():
        resource = fhir_json(client.get(f"/fhir/r4/{kind}/{pk}"))
        validate(resource)
        assert (resource["resourceType"], resource["id"]) == (kind, str(pk))
    found = fhir_json(client.get(f"/fhir/r4/Practitioner/{practitioner.pk}"))
    assert found["identifier"] == [{"system": "urn:oid:2.16.840.1.113883.3.4424.1.6.2", "value": "4352919"}]
    api_schedule = fhir_json(client.get(f"/fhir/r4/Schedule/{schedule.pk}"))
    assert [actor["reference"] for actor in api_schedule["actor"]] == [
        f"Practitioner/{practitioner.pk}",
        f"Location/{unit.location_id}",
        f"HealthcareService/{unit.pk}",
    ]
    assert api_schedule["specialty"][0]["coding"][0]["code"] == "kardiologia"


def test_what_the_portal_hides_is_not_found(client, world):
    provider, unit, practitioner, schedule = world
    schedule.is_published_online = False
    schedule.save()
    practitioner.is_visible_online = False
    practitioner.save()
    location = unit.location
    location.status = LocationStatus.PENDING
    location.save()
    for path in (
        f"/fhir/r4/Schedule/{schedule.pk}",
        f"/fhir/r4/Practitioner/{practitioner.pk}",
        f"/fhir/r4/Location/{location.pk}",
        f"/fhir/r4/HealthcareService/{unit.pk}",
        "/fhir/r4/Slot/999999",
        "/fhir/r4/Slot/abc",
    ):
        assert error_code(client.get(path)) == (404, "not_found")
    assert error_code(client.get("/fhir/r4/Person")) == (404, "unknown_type")
    assert error_code(client.get("/fhir/r4/Patient")) == (401, "unauthorized")


def test_slot_search_by_schedule_start_specialty_and_service_type(client, world):
    provider, unit, practitioner, schedule = world
    tomorrow = search(client, "Slot", schedule=f"Schedule/{schedule.pk}", start=["ge2026-11-21", "lt2026-11-22"])
    starts = [entry["resource"]["start"] for entry in tomorrow["entry"]]
    # 8–10 (8 slots) and the televisit-only 12–13 (4): the call-center-only hour is not offered.
    assert (len(starts), starts[0], starts[-1]) == (12, "2026-11-21T08:00:00+01:00", "2026-11-21T12:45:00+01:00")
    assert ids(search(client, "Slot", specialty="dermatologia")) == []
    by_specialty = search(client, "Slot", specialty="urn:terminarz:specjalizacja|kardiologia", _count="500")
    by_service = search(client, "Slot", **{"service-type": "1100", "_count": "500"})
    assert ids(by_specialty) == ids(by_service)
    assert len(ids(by_specialty)) == 28  # today's 12–13 (4; the morning is over at 10:00), 12 on each next day
    assert ids(search(client, "Slot", status="busy")) == []
    assert len(ids(search(client, "Slot", status="free", _count="500"))) == 28


def test_paging_walks_the_whole_result_once(client, world):
    page = search(client, "Slot", _count="5")
    seen = ids(page)
    while next_link := next((link["url"] for link in page["link"] if link["relation"] == "next"), None):
        page = search(client, "Slot", **dict(pair.split("=") for pair in next_link.split("?")[1].split("&")))
        seen += ids(page)
    assert (len(seen), len(set(seen))) == (28, 28)


def test_other_searches(client, world):
    provider, unit, practitioner, schedule = world
    assert ids(search(client, "Schedule", actor=f"Practitioner/{practitioner.pk}")) == [str(schedule.pk)]
    assert ids(search(client, "Schedule", actor=f"Location/{unit.location_id}")) == [str(schedule.pk)]
    assert ids(search(client, "Location", **{"address-state": "małopolskie"})) == [str(unit.location_id)]
    assert ids(search(client, "Location", **{"address-state": "mazowieckie"})) == []
    assert ids(search(client, "Practitioner", identifier="4352919")) == [str(practitioner.pk)]
    assert ids(search(client, "HealthcareService", organization=f"Organization/{provider.pk}")) == [str(unit.pk)]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": "gx2026"}, "invalid_param"),
        ({"start": "2026-13-01"}, "invalid_param"),
        ({"start": "ge2026-11-21T08:00:00"}, "invalid_param"),  # no offset
        ({"schedule": "Schedule/abc"}, "invalid_param"),
        ({"schedule": "Schedule/99999999999"}, "invalid_param"),
        ({"status": "wolny"}, "invalid_param"),
        ({"_count": "-1"}, "invalid_param"),
        ({"_count": "dużo"}, "invalid_param"),
        ({"pacjent": "1"}, "unknown_param"),
        ({"specialty": ""}, "invalid_param"),
        ({"_id": "1,x"}, "invalid_param"),
        ({"_id": ",".join(str(n) for n in range(1, 102))}, "too_complex"),
        ({"specialty": ["kardiologia"] * 5}, "too_complex"),
        ({"start": "ge" + "2" * 300}, "too_complex"),
    ],
)
def test_bad_search_input_is_a_400_outcome(client, world, params, code):
    assert error_code(client.get("/fhir/r4/Slot", params)) == (400, code)


def test_errors_are_never_cached_and_anonymous_writes_are_refused(client, world):
    bad = client.get("/fhir/r4/Slot", {"start": "x"})
    assert bad["Cache-Control"] == "no-store"
    # Writes are a clinic system's, with its token (tests/fhir/test_clinic_writes.py).
    assert error_code(client.post("/fhir/r4/Slot", json.dumps({}), content_type="application/fhir+json")) == (
        401,
        "unauthorized",
    )
    assert client.post("/fhir/r4/Location", json.dumps({}), content_type="application/fhir+json").status_code == 405


def test_the_public_reads_are_rate_limited_per_ip(client, world):
    from django.core.cache import cache

    cache.clear()
    with override_settings(RATELIMIT_ENABLE=True, RATELIMIT_SEARCH="2/m"):
        statuses = [client.get("/fhir/r4/Slot").status_code for _ in range(3)]
        limited = client.get("/fhir/smart/$bulk-publish")
    assert statuses == [200, 200, 429]
    assert error_code(limited) == (429, "rate_limited")
    cache.clear()


def test_a_repeated_specialty_narrows_without_multiplying_rows(client, world):
    both = search(client, "Slot", specialty=["kardiologia", "kardiologia"], _count="500")
    assert len(ids(both)) == len(set(ids(both))) == 28


def test_a_provider_not_taking_bookings_online_publishes_no_slots(client, world):
    from terminarz.providers.models import settings_for

    provider, unit, practitioner, schedule = world
    registration = settings_for(provider.pk)
    registration.online_registration = False
    registration.save()  # the search's cached lookups are dropped on save (scheduling.receivers)
    assert (ids(search(client, "Slot")), ids(search(client, "Schedule"))) == ([], [])


def test_an_organization_shows_its_phone_but_never_an_e_mail(client, world):
    provider = world[0]
    provider.email = "kierownik@example.com"
    provider.save()
    organization = fhir_json(client.get(f"/fhir/r4/Organization/{provider.pk}"))
    assert organization["telecom"] == [{"system": "phone", "value": "+48 12 345 67 00"}]


def test_control_characters_and_paging_extremes_are_refused_or_end(client, world):
    assert error_code(client.get("/fhir/r4/Practitioner", {"name": "No\x00wak"})) == (400, "invalid_param")
    assert error_code(client.get("/fhir/r4/Slot", {"_offset": "10001"})) == (400, "invalid_param")
    empty_page = search(client, "Slot", _count="0")
    assert ([link["relation"] for link in empty_page["link"]], empty_page["entry"]) == (["self"], [])


def test_a_slot_whose_schedule_moved_to_a_hidden_unit_is_not_offered(client, world):
    from tests.factories import make_unit

    provider, unit, practitioner, schedule = world
    hidden = make_unit(provider, name="Poradnia ukryta")
    hidden.is_visible = False
    hidden.save()
    type(schedule).objects.filter(pk=schedule.pk).update(unit=hidden)  # slots keep the old unit
    assert ids(search(client, "Slot")) == []


def test_practitioner_role_says_who_works_where_in_what(client, world):
    provider, unit, practitioner, _schedule = world
    practitioner.units.add(unit)
    bundle = search(client, "PractitionerRole", practitioner=f"Practitioner/{practitioner.pk}", specialty="kardiologia")
    role = bundle["entry"][0]["resource"]
    assert (
        role["organization"],
        role["location"],
        role["healthcareService"],
        role["specialty"][0]["coding"][0]["code"],
    ) == (
        {"reference": f"Organization/{provider.pk}"},
        [{"reference": f"Location/{unit.location_id}"}],
        [{"reference": f"HealthcareService/{unit.pk}"}],
        "kardiologia",
    )
    validate(fhir_json(client.get(f"/fhir/r4/PractitionerRole/{role['id']}")))
    assert ids(search(client, "PractitionerRole", location=f"Location/{unit.location_id}")) == [role["id"]]
    practitioner.is_visible_online = False
    practitioner.save()
    assert client.get(f"/fhir/r4/PractitionerRole/{role['id']}").status_code == 404
