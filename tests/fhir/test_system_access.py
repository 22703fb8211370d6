"""K1 for a clinic system (A7 credentials): the OAuth2 client-credentials token endpoint
(RFC 6749 §4.4 – Basic or form authentication, narrowed scopes, the protocol's error codes), a
token that stops at expiry, rotation and revocation, and every call recorded as the
credential's contact; Patient and Appointment (and every slot state) only with a token of the
same provider and the right scope – a foreign id is 404, a foreign or read-only token gets
nothing of another provider's."""

import base64
import datetime as dt
import json
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import override_settings

from terminarz.booking.services import book_appointment, book_for_patient
from terminarz.integrations import services as integrations
from terminarz.integrations.models import ApiCredential, ConnectionState
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Slot, SlotState
from tests.conftest import FROZEN_NOW

from .helpers import fhir_json, published_clinic, validate

pytestmark = pytest.mark.django_db
SITE = "http://terminarz.test"
ALL = [
    "system/Slot.read",
    "system/Appointment.read",
    "system/Appointment.write",
    "system/Patient.read",
]


def credential(provider, scopes=ALL):
    return integrations.create(provider.pk, name="SERUM", scopes=scopes, alert_after_minutes=30, actor=None)


def basic(client_id: str, secret: str) -> dict:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


def post_form(client, form: dict, **headers):
    return client.post("/fhir/auth/token", urlencode(form), content_type="application/x-www-form-urlencoded", **headers)


def get_token(client, client_id: str, secret: str, scope: str | None = None) -> str:
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope is not None else {})}
    response = post_form(client, form, **basic(client_id, secret))
    assert response.status_code == 200, response.content
    return json.loads(response.content)["access_token"]


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def world(frozen, today):
    with override_settings(SITE_URL=SITE):
        provider, unit, practitioner, schedule = published_clinic(today, days=3)
        slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
        data = {"first_name": "Anna", "last_name": "Nowak", "email": "anna@example.com", "pesel": "44051401359"}
        visit = book_appointment(slots[0].pk, data)
        other, _ounit, _opract, oschedule = published_clinic(today, days=3)
        foreign_slot = Slot.objects.filter(schedule=oschedule, start__gt=FROZEN_NOW).order_by("start").first()
        foreign_visit = book_appointment(foreign_slot.pk, {**data, "email": "inna@example.com"})
        yield {
            "provider": provider,
            "schedule": schedule,
            "slots": slots,
            "visit": visit,
            "other": other,
            "foreign_visit": foreign_visit,
        }


# -- the token endpoint -----------------------------------------------------------------------


def test_a_token_by_basic_or_form_with_all_or_some_scopes(client, world):
    cred, secret = credential(world["provider"])
    response = post_form(client, {"grant_type": "client_credentials"}, **basic(cred.client_id, secret))
    body = json.loads(response.content)
    assert (response.status_code, response["Cache-Control"], response["Pragma"]) == (200, "no-store", "no-cache")
    assert (body["token_type"], body["expires_in"], body["scope"].split()) == ("bearer", 3600, sorted(ALL))
    assert body["access_token"].startswith("tzat_")
    narrowed = post_form(
        client,
        {
            "grant_type": "client_credentials",
            "client_id": cred.client_id,
            "client_secret": secret,
            "scope": "system/Patient.read",
        },
    )
    assert json.loads(narrowed.content)["scope"] == "system/Patient.read"
    cred.refresh_from_db()
    assert (cred.state, cred.last_contact_at) == (ConnectionState.ACTIVE, FROZEN_NOW)


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        ({"grant_type": "password"}, True, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "system/Patient.write"}, True, 400, "invalid_scope"),
        ({"grant_type": "client_credentials", "scope": ""}, True, 400, "invalid_scope"),
        ({"grant_type": "client_credentials"}, False, 401, "invalid_client"),
    ],
)
def test_the_token_endpoint_answers_rfc_6749_errors(client, world, form, auth, status, error):
    cred, secret = credential(world["provider"], scopes=["system/Slot.read", "system/Patient.read"])
    headers = basic(cred.client_id, secret if auth else "zly-sekret")
    response = post_form(client, form, **headers)
    assert (response.status_code, json.loads(response.content)["error"]) == (status, error)


def test_the_token_endpoint_refuses_json_and_two_client_authentications(client, world):
    cred, secret = credential(world["provider"])
    as_json = client.post(
        "/fhir/auth/token",
        {"grant_type": "client_credentials"},
        content_type="application/json",
        **basic(cred.client_id, secret),
    )
    assert (as_json.status_code, json.loads(as_json.content)["error"]) == (400, "invalid_request")
    both = post_form(
        client,
        {"grant_type": "client_credentials", "client_secret": secret},
        **basic(cred.client_id, secret),
    )
    assert (both.status_code, json.loads(both.content)["error"]) == (400, "invalid_request")
    assert client.get("/fhir/auth/token").status_code == 405


def test_smart_configuration_names_the_token_endpoint(client, world):
    body = json.loads(client.get("/fhir/r4/.well-known/smart-configuration").content)
    assert body["token_endpoint"] == f"{SITE}/fhir/auth/token"
    assert body["grant_types_supported"] == ["client_credentials"]


def test_a_token_stops_at_expiry_rotation_and_revocation(client, world):
    provider = world["provider"]
    path = f"/fhir/r4/Patient/{world['visit'].patient_id}"
    cred, secret = credential(provider)
    token = get_token(client, cred.client_id, secret)
    assert client.get(path, **bearer(token)).status_code == 200
    with time_machine.travel(FROZEN_NOW + dt.timedelta(minutes=61), tick=False):
        expired = client.get(path, **bearer(token))
    assert (expired.status_code, expired["WWW-Authenticate"]) == (
        401,
        'Bearer realm="terminarz-fhir", error="invalid_token"',
    )
    with time_machine.travel(FROZEN_NOW + dt.timedelta(minutes=1), tick=False):
        new_secret = integrations.rotate(cred, actor=None)
        assert client.get(path, **bearer(token)).status_code == 401
        fresh = get_token(client, cred.client_id, new_secret)
        assert client.get(path, **bearer(fresh)).status_code == 200
        integrations.revoke(ApiCredential.unscoped.get(pk=cred.pk), actor=None)
        assert client.get(path, **bearer(fresh)).status_code == 401
        refused = post_form(client, {"grant_type": "client_credentials"}, **basic(cred.client_id, new_secret))
        assert refused.status_code == 401


def test_every_call_with_a_token_is_the_credentials_last_contact(client, world):
    cred, secret = credential(world["provider"])
    token = get_token(client, cred.client_id, secret)
    later = FROZEN_NOW + dt.timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        client.get("/fhir/r4/Appointment", **bearer(token))
    cred.refresh_from_db()
    assert cred.last_contact_at == later


# -- patients and visits: only one's own ------------------------------------------------------


def test_patient_and_appointment_need_a_token(client, world):
    for path in ("/fhir/r4/Patient", f"/fhir/r4/Appointment/{world['visit'].pk}"):
        response = client.get(path)
        body = fhir_json(response)
        validate(body)
        assert (response.status_code, body["issue"][0]["details"]["coding"][0]["code"]) == (401, "unauthorized")
    garbage = client.get("/fhir/r4/Patient", HTTP_AUTHORIZATION="Bearer tzat_nie-ma-takiego")
    assert garbage.status_code == 401


def test_a_token_reads_its_providers_patient_and_visit(client, world):
    visit = world["visit"]
    cred, secret = credential(world["provider"])
    token = get_token(client, cred.client_id, secret)
    patient = fhir_json(client.get(f"/fhir/r4/Patient/{visit.patient_id}", **bearer(token)))
    validate(patient)
    assert patient["identifier"] == [
        {"use": "official", "system": "urn:oid:2.16.840.1.113883.3.4424.1.1.616", "value": "44051401359"}
    ]
    assert patient["name"] == [{"use": "official", "family": "Nowak", "given": ["Anna"]}]
    response = client.get(f"/fhir/r4/Appointment/{visit.pk}", **bearer(token))
    appointment = fhir_json(response)
    validate(appointment)
    assert response["Cache-Control"] == "no-store"
    assert appointment["status"] == "booked"
    assert appointment["participant"][0]["actor"] == {"reference": f"Patient/{visit.patient_id}"}
    assert appointment["slot"] == [{"reference": f"Slot/{visit.slot_id}"}]
    assert appointment["identifier"] == [{"system": "urn:terminarz:numer-rezerwacji", "value": visit.reference}]


def test_foreign_ids_are_not_found_and_foreign_tokens_see_nothing(client, world):
    visit, foreign_visit = world["visit"], world["foreign_visit"]
    cred, secret = credential(world["provider"])
    token = get_token(client, cred.client_id, secret)
    assert client.get(f"/fhir/r4/Appointment/{foreign_visit.pk}", **bearer(token)).status_code == 404
    assert client.get(f"/fhir/r4/Patient/{foreign_visit.patient_id}", **bearer(token)).status_code == 404
    found = fhir_json(client.get("/fhir/r4/Appointment", {"_count": "100"}, **bearer(token)))
    assert [e["resource"]["id"] for e in found["entry"]] == [str(visit.pk)]
    by_pesel = fhir_json(
        client.get(
            "/fhir/r4/Patient", {"identifier": "urn:oid:2.16.840.1.113883.3.4424.1.1.616|44051401359"}, **bearer(token)
        )
    )
    assert [e["resource"]["id"] for e in by_pesel["entry"]] == [str(visit.patient_id)]
    # The other provider's own token sees its own visit and not ours.
    ocred, osecret = credential(world["other"])
    otoken = get_token(client, ocred.client_id, osecret)
    assert client.get(f"/fhir/r4/Appointment/{visit.pk}", **bearer(otoken)).status_code == 404
    theirs = fhir_json(client.get("/fhir/r4/Appointment", **bearer(otoken)))
    assert [e["resource"]["id"] for e in theirs["entry"]] == [str(foreign_visit.pk)]


def test_a_token_without_the_scope_is_forbidden(client, world):
    cred, secret = credential(world["provider"], scopes=["system/Slot.read"])
    token = get_token(client, cred.client_id, secret)
    response = client.get("/fhir/r4/Patient", **bearer(token))
    body = fhir_json(response)
    assert (response.status_code, body["issue"][0]["details"]["coding"][0]["code"]) == (403, "forbidden")
    assert 'scope="system/Patient.read"' in response["WWW-Authenticate"]


def test_appointment_search_by_patient_date_status_and_identifier(client, world):
    visit, slots = world["visit"], world["slots"]
    patient = Patient.objects.get(pk=visit.patient_id)
    second = book_for_patient(slots[1].pk, patient, actor=None)
    cred, secret = credential(world["provider"])
    token = get_token(client, cred.client_id, secret)

    def found(**params) -> list[str]:
        bundle = fhir_json(client.get("/fhir/r4/Appointment", params, **bearer(token)))
        validate(bundle)
        return [e["resource"]["id"] for e in bundle["entry"]]

    both = [str(visit.pk), str(second.pk)]
    assert found(patient=f"Patient/{patient.pk}") == both
    assert found(date=f"ge{slots[1].start.isoformat()}") == [str(second.pk)]
    assert found(status="booked") == both
    assert found(status="cancelled") == []
    assert found(identifier=visit.reference) == [str(visit.pk)]
    assert found(practitioner=f"Practitioner/{visit.practitioner_id}", _count="1") == [str(visit.pk)]
    bad = client.get("/fhir/r4/Appointment", {"status": "zly"}, **bearer(token))
    assert bad.status_code == 400


def test_slot_read_scope_shows_every_state_of_its_own_slots(client, world):
    visit = world["visit"]
    cred, secret = credential(world["provider"], scopes=["system/Slot.read"])
    token = get_token(client, cred.client_id, secret)
    booked = fhir_json(client.get(f"/fhir/r4/Slot/{visit.slot_id}", **bearer(token)))
    validate(booked)
    assert booked["status"] == "busy"
    # Publicly the booked slot is not there at all.
    assert client.get(f"/fhir/r4/Slot/{visit.slot_id}").status_code == 404
    busy = fhir_json(client.get("/fhir/r4/Slot", {"status": "busy"}, **bearer(token)))
    assert [e["resource"]["id"] for e in busy["entry"]] == [str(visit.slot_id)]
    assert Slot.objects.get(pk=visit.slot_id).state == SlotState.BOOKED


def test_a_suspended_providers_system_gets_no_token_and_its_tokens_stop(client, world):
    provider = world["provider"]
    cred, secret = credential(provider)
    token = get_token(client, cred.client_id, secret)
    provider.is_active = False
    provider.save(update_fields=["is_active"])
    assert client.get("/fhir/r4/Appointment", **bearer(token)).status_code == 401
    refused = post_form(client, {"grant_type": "client_credentials"}, **basic(cred.client_id, secret))
    assert (refused.status_code, json.loads(refused.content)["error"]) == (401, "invalid_client")


def test_a_basic_header_that_is_not_ascii_is_invalid_client(client, world):
    response = post_form(client, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION="Basic ééé")
    assert (response.status_code, json.loads(response.content)["error"]) == (401, "invalid_client")


def test_a_rotation_in_the_same_instant_still_ends_the_old_secrets_token(client, world):
    cred, secret = credential(world["provider"])
    token = get_token(client, cred.client_id, secret)
    new_secret = integrations.rotate(cred, actor=None)  # the clock is frozen: the same instant
    assert client.get("/fhir/r4/Appointment", **bearer(token)).status_code == 401
    assert (
        client.get("/fhir/r4/Appointment", **bearer(get_token(client, cred.client_id, new_secret))).status_code == 200
    )


def test_include_brings_the_patients_and_practitioners_of_the_page_once(client, world):
    visit, slots = world["visit"], world["slots"]
    patient = Patient.objects.get(pk=visit.patient_id)
    book_for_patient(slots[1].pk, patient, actor=None)
    cred, secret = credential(world["provider"])
    token = get_token(client, cred.client_id, secret)
    bundle = fhir_json(
        client.get(
            "/fhir/r4/Appointment",
            {"_include": "Appointment:patient,Appointment:practitioner"},
            **bearer(token),
        )
    )
    validate(bundle)
    assert [(e["search"]["mode"], e["resource"]["resourceType"]) for e in bundle["entry"]] == [
        ("match", "Appointment"),
        ("match", "Appointment"),
        ("include", "Patient"),
        ("include", "Practitioner"),
    ]
    no_patients = credential(world["provider"], scopes=["system/Appointment.read"])
    narrow = get_token(client, no_patients[0].client_id, no_patients[1])
    refused = client.get("/fhir/r4/Appointment", {"_include": "Appointment:patient"}, **bearer(narrow))
    assert refused.status_code == 403
    unknown = client.get("/fhir/r4/Appointment", {"_include": "Appointment:slot"}, **bearer(token))
    assert unknown.status_code == 400
