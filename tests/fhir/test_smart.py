"""K2: the SMART Scheduling Links feed checked rule by rule against the specification – the
manifest (URL ending in `$bulk-publish`, `transactionTime` an instant with an offset, `request`,
`output` of Location / Schedule / Slot files with absolute URLs, `error: []`), NDJSON served as
`application/fhir+ndjson` without an Accept header, one minified resource per line valid in
R4B, ids of at most 64 characters of `[A-Za-z0-9-.]`, Locations with name, phone and a full
address (line, city, state, postalCode), every reference resolving inside the feed, statuses
free/busy, instants with offsets, the booking deep link to the portal's page for the slot
(which takes `source` and `booking-referral`) and `booking-phone`. Only the aggregator channel
is published: no televisit-only or call-center-only slots, no practitioner who was not opted in,
no slot past the horizon."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse

from terminarz.scheduling.models import Slot, SlotState, Televisit

from .helpers import published_clinic, validate

pytestmark = pytest.mark.django_db
SITE = "http://terminarz.test"
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
MANIFEST = reverse("fhir:smart-manifest")


@pytest.fixture
def feed(frozen, today):
    with override_settings(SITE_URL=SITE, TERMINARZ_SMART_DAYS=2):
        yield published_clinic(today, days=4)


def local(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SITE
    return parts.path + (f"?{parts.query}" if parts.query else "")


def ndjson(client, url: str) -> list[dict]:
    response = client.get(local(url))
    assert (response.status_code, response["Content-Type"], response.streaming) == (
        200,
        "application/fhir+ndjson",
        True,
    )
    assert "max-age=" in response["Cache-Control"]
    body = b"".join(response.streaming_content).decode()
    lines = body.splitlines()
    assert body == "".join(line + "\n" for line in lines)  # one resource per line, each ended
    for line in lines:
        assert json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False) == line  # minified
    return [json.loads(line) for line in lines]


def fetch_feed(client, manifest_url=MANIFEST) -> dict[str, list[dict]]:
    response = client.get(manifest_url)  # no Accept header at all
    assert (response.status_code, response["Content-Type"]) == (200, "application/fhir+json; charset=utf-8")
    assert response["Cache-Control"] == "public, max-age=300"
    manifest = json.loads(response.content)
    assert sorted(manifest) == ["error", "output", "request", "transactionTime"]
    assert manifest["request"] == SITE + manifest_url
    assert manifest["request"].endswith("$bulk-publish")
    assert INSTANT.match(manifest["transactionTime"])
    assert manifest["transactionTime"] == "2026-11-20T10:00:00+01:00"
    assert manifest["error"] == []
    assert sorted(item["type"] for item in manifest["output"]) == ["Location", "Schedule", "Slot"]
    return {item["type"]: ndjson(client, item["url"]) for item in manifest["output"]}


def test_the_feed_follows_every_rule_of_the_specification(client, feed):
    provider, unit, practitioner, schedule = feed
    files = fetch_feed(client)
    locations, schedules, slots = files["Location"], files["Schedule"], files["Slot"]
    for resource in [*locations, *schedules, *slots]:
        validate(resource)
        assert ID.match(resource["id"])
    (location,) = locations
    assert location["name"] == provider.locations.get().name
    assert location["telecom"] == [{"system": "phone", "value": "+48 12 345 67 00"}]
    assert {key: location["address"][key] for key in ("line", "city", "state", "postalCode")} == {
        "line": ["ul. Długa 1"],
        "city": "Kraków",
        "state": "małopolskie",
        "postalCode": "31-000",
    }
    (published,) = schedules
    assert published["actor"] == [{"reference": f"Location/{location['id']}"}]
    assert published["serviceType"][0]["coding"] == [
        {"system": "http://hl7.org.pl/fhir/CodeSystem/pl-medicalEntityCellType-CS", "code": "1100"}
    ]
    assert published["extension"] == [
        {
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone",
            "valueString": "+48 12 345 67 00",
        }
    ]
    schedule_ids = {item["id"] for item in schedules}
    for slot in slots:
        assert slot["schedule"]["reference"].removeprefix("Schedule/") in schedule_ids
        assert slot["status"] in ("free", "busy")
        assert INSTANT.match(slot["start"]) and INSTANT.match(slot["end"])
        (link,) = slot["extension"]
        assert link == {
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link",
            "valueUrl": f"{SITE}/rezerwacja/{slot['id']}/",
        }
    # Two days from 10:00 on 20.11: today's morning (8–10) is over, the mornings of 21 and 22.11
    # are in (8 slots of 15 minutes each), the 23rd is past the horizon.
    starts = [slot["start"] for slot in slots]
    assert (len(slots), starts[0], starts[-1]) == (16, "2026-11-21T08:00:00+01:00", "2026-11-22T09:45:00+01:00")


def test_the_deep_link_opens_the_booking_page_with_the_clients_parameters(client, feed):
    slots = fetch_feed(client)["Slot"]
    link = local(slots[0]["extension"][0]["valueUrl"])
    page = client.get(link, {"source": "wyszukiwarka-abc", "booking-referral": "34d1a803-cd6c-4420"})
    assert page.status_code == 200
    assert Slot.objects.get(pk=int(slots[0]["id"])).state == SlotState.FREE


def test_only_the_aggregator_channel_is_published(client, feed, today):
    provider, unit, practitioner, schedule = feed
    hidden = published_clinic(today, days=2, opted_in=False)  # the practitioner was not opted in
    files = fetch_feed(client)
    published = Slot.objects.filter(pk__in=[int(slot["id"]) for slot in files["Slot"]])
    assert (
        published.filter(televisit=Televisit.ONLY).count(),
        published.filter(callcenter_only=True).count(),
        published.filter(practitioner=hidden[2]).count(),
    ) == (0, 0, 0)
    assert [item["id"] for item in files["Schedule"]] == [str(schedule.pk)]
    assert [item["id"] for item in files["Location"]] == [str(provider.locations.get().pk)]
    # The portal offers the televisit-only hour; the feed does not.
    assert Slot.objects.filter(schedule=schedule, televisit=Televisit.ONLY, portal=True).count() == 16


def test_a_booked_slot_leaves_the_feed(client, feed):
    first = fetch_feed(client)["Slot"][0]
    Slot.objects.filter(pk=int(first["id"])).update(state=SlotState.BOOKED)
    assert first["id"] not in {slot["id"] for slot in fetch_feed(client)["Slot"]}


def test_a_providers_own_feed_has_only_its_data(client, feed, today):
    provider, unit, practitioner, schedule = feed
    other = published_clinic(today, days=2)
    url = reverse("fhir:smart-provider-manifest", args=[provider.pk])
    files = fetch_feed(client, url)
    assert [location["id"] for location in files["Location"]] == [str(provider.locations.get().pk)]
    assert {slot["schedule"]["reference"] for slot in files["Slot"]} == {f"Schedule/{schedule.pk}"}
    assert all(
        item["url"].startswith(f"{SITE}/fhir/smart/{provider.pk}/")
        for item in json.loads(client.get(url).content)["output"]
    )
    assert other[0].pk != provider.pk


def test_the_since_parameter_is_carried_and_a_bad_one_refused(client, feed):
    manifest = json.loads(client.get(MANIFEST, {"_since": "2026-11-19T10:00:00+01:00"}).content)
    assert {item["url"].split("?")[1] for item in manifest["output"]} == {"_since=2026-11-19T10%3A00%3A00%2B01%3A00"}
    refused = client.get(MANIFEST, {"_since": "wczoraj"})
    assert (refused.status_code, json.loads(refused.content)["issue"][0]["details"]["coding"][0]["code"]) == (
        400,
        "invalid_param",
    )


def test_since_lists_only_the_slots_changed_since_in_their_state_now(client, feed, frozen):
    import datetime as dt

    from terminarz.booking.services import book_appointment, set_slot_blocked
    from tests.conftest import FROZEN_NOW

    _provider, _unit, _practitioner, schedule = feed
    frozen.shift(dt.timedelta(minutes=30))
    since = FROZEN_NOW + dt.timedelta(minutes=15)
    mornings = list(
        Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW + dt.timedelta(hours=2), callcenter_only=False)
        .exclude(televisit=Televisit.ONLY)
        .order_by("start")
    )
    booked, blocked, untouched = mornings[0], mornings[1], mornings[2]
    book_appointment(booked.pk, {"first_name": "Ewa", "last_name": "Nowak", "email": "ewa@example.com"})
    set_slot_blocked(blocked, True, actor=None)
    manifest = json.loads(client.get(MANIFEST, {"_since": since.isoformat()}).content)
    files = {item["type"]: ndjson(client, item["url"]) for item in manifest["output"]}
    assert {(slot["id"], slot["status"]) for slot in files["Slot"]} == {
        (str(booked.pk), "busy"),
        (str(blocked.pk), "busy-unavailable"),
    }
    assert str(untouched.pk) not in {slot["id"] for slot in files["Slot"]}
    # Every changed Slot's Schedule is still in the (complete) Schedule file.
    assert {slot["schedule"]["reference"] for slot in files["Slot"]} <= {
        f"Schedule/{s['id']}" for s in files["Schedule"]
    }
    everything = ndjson(client, SITE + reverse("fhir:smart-file", args=["slots"]))
    assert str(booked.pk) not in {slot["id"] for slot in everything}  # without _since: free slots only
    assert str(untouched.pk) in {slot["id"] for slot in everything}
    naive = client.get(MANIFEST, {"_since": "2026-11-19T10:00:00"})
    assert naive.status_code == 400


def test_unknown_files_and_inactive_providers_are_404(client, feed):
    provider = feed[0]
    assert client.get("/fhir/smart/pacjenci.ndjson").status_code == 404
    provider.is_active = False
    provider.save()
    assert client.get(reverse("fhir:smart-provider-manifest", args=[provider.pk])).status_code == 404
    assert client.get(reverse("fhir:smart-provider-file", args=[provider.pk, "slots"])).status_code == 404
    assert fetch_feed(client) == {"Location": [], "Schedule": [], "Slot": []}


def test_a_slot_of_a_schedule_outside_the_feed_is_not_in_it(client, feed):
    from tests.factories import make_unit

    provider, unit, practitioner, schedule = feed
    hidden = make_unit(provider, name="Poradnia ukryta")
    hidden.is_visible = False
    hidden.save()
    type(schedule).objects.filter(pk=schedule.pk).update(unit=hidden)  # slots keep the old unit
    assert fetch_feed(client) == {"Location": [], "Schedule": [], "Slot": []}


def test_an_unknown_provider_is_a_404_outcome(client, feed):
    response = client.get(reverse("fhir:smart-provider-manifest", args=[999999]))
    body = json.loads(response.content)
    assert (response.status_code, body["resourceType"], body["issue"][0]["code"]) == (
        404,
        "OperationOutcome",
        "not-found",
    )
