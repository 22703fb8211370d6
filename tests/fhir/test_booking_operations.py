"""K1 booking over FHIR (Argonaut Scheduling): `$find` proposes open slots by window,
specialty, visit type, practitioner, location and city; `$hold` holds a slot for the client
(pending, then booked by `$book` with the visit's token, or expired by the periodic job);
`$book` books at once through the same pipeline as the portal (online rules for a patient app,
desk rules for a clinic system with `system/Appointment.write`); a taken slot is 409, bad data
a 422 pointing at the field, a repeated call with the same `Idempotency-Key` the same booking;
`PATCH status=cancelled` cancels with the visit's token or the clinic system's token."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import override_settings

from terminarz.booking.models import Appointment, AppointmentStatus, Source
from terminarz.booking.tasks import expire_holds_task
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Slot, SlotState, Televisit
from tests.conftest import FROZEN_NOW

from .helpers import fhir_json, published_clinic, system_token, validate

pytestmark = pytest.mark.django_db
SITE = "http://terminarz.test"
PESEL = "urn:oid:2.16.840.1.113883.3.4424.1.1.616"


@pytest.fixture
def world(frozen, today):
    with override_settings(SITE_URL=SITE):
        provider, unit, practitioner, schedule = published_clinic(today, days=3)
        yield provider, unit, practitioner, schedule


def open_slots(schedule, **filters):
    return list(
        Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW, state=SlotState.FREE, **filters).order_by("start")
    )


def appointment_for(slot_id: int, *, patient: dict | None = None, reference: str = "") -> dict:
    actor = {"reference": reference or "#pacjent"}
    resource = {
        "resourceType": "Appointment",
        "status": "proposed",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [{"actor": actor, "status": "accepted"}],
    }
    if not reference:
        resource["contained"] = [
            {
                "resourceType": "Patient",
                "id": "pacjent",
                "name": [{"family": "Kowalska", "given": ["Maria"]}],
                "telecom": [
                    {"system": "email", "value": "maria@example.com"},
                    {"system": "phone", "value": "600100200"},
                ],
                "identifier": [{"system": PESEL, "value": "44051401359"}],
                **(patient or {}),
            }
        ]
    return resource


def parameters(*items: tuple[str, dict]) -> dict:
    result = []
    for name, value in items:
        result.append({"name": name, **value})
    return {"resourceType": "Parameters", "parameter": result}


def post(client, operation: str, body: dict, **headers):
    return client.post(
        f"/fhir/r4/Appointment/${operation}", json.dumps(body), content_type="application/fhir+json", **headers
    )


def booked(response) -> dict:
    bundle = fhir_json(response)
    validate(bundle)
    assert response.status_code == 200, bundle
    return bundle["entry"][0]["resource"]


def error(response) -> tuple[int, str, list[list[str]]]:
    body = fhir_json(response)
    validate(body)
    return (
        response.status_code,
        body["issue"][0]["details"]["coding"][0]["code"],
        [issue.get("expression", []) for issue in body["issue"][1:]],
    )


def token_of(resource: dict) -> str:
    return next(i["value"] for i in resource["identifier"] if i["system"] == "urn:terminarz:token-wizyty")


# -- $find --------------------------------------------------------------------------------------


def test_find_proposes_the_open_slots_of_the_window(client, world, today):
    provider, unit, practitioner, schedule = world
    window = {"start": today.isoformat(), "end": (today + dt.timedelta(days=1)).isoformat()}
    response = client.get("/fhir/r4/Appointment/$find", {**window, "specialty": "kardiologia", "_count": "100"})
    bundle = fhir_json(response)
    validate(bundle)
    expected = [
        s.pk
        for s in open_slots(schedule, start__lt=dt.datetime.combine(today + dt.timedelta(days=2), dt.time(0), dt.UTC))
        if not s.callcenter_only
    ]
    got = [int(e["resource"]["slot"][0]["reference"].removeprefix("Slot/")) for e in bundle["entry"]]
    assert got == expected
    first = bundle["entry"][0]["resource"]
    assert (first["status"], first["participant"][0]["actor"]["reference"]) == (
        "proposed",
        f"Practitioner/{practitioner.pk}",
    )
    televisits = client.get("/fhir/r4/Appointment/$find", {**window, "visit-type": "telewizyta", "_count": "100"})
    tele = [e["resource"]["slot"][0]["reference"] for e in fhir_json(televisits)["entry"]]
    only_tele = {f"Slot/{s.pk}" for s in open_slots(schedule, televisit=Televisit.ONLY)}
    assert set(tele) == only_tele & {f"Slot/{pk}" for pk in expected}
    elsewhere = client.get("/fhir/r4/Appointment/$find", {**window, "address-city": "Gdańsk"})
    assert fhir_json(elsewhere)["entry"] == []
    by_post = client.post(
        "/fhir/r4/Appointment/$find",
        json.dumps(
            parameters(
                ("start", {"valueDate": window["start"]}),
                ("end", {"valueDate": window["end"]}),
                ("location", {"valueString": f"Location/{unit.location_id}"}),
                ("_count", {"valueString": "3"}),
            )
        ),
        content_type="application/fhir+json",
    )
    assert [e["resource"]["slot"][0]["reference"] for e in fhir_json(by_post)["entry"]] == [
        f"Slot/{pk}" for pk in expected[:3]
    ]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": "2026-11-20"}, "missing_param"),
        ({"start": "2026-11-20", "end": "2027-01-20"}, "invalid_param"),
        ({"start": "2026-11-21", "end": "2026-11-20"}, "invalid_param"),
        ({"start": "jutro", "end": "2026-11-21"}, "invalid_param"),
        ({"start": "2026-11-20", "end": "2026-11-21", "visit-type": "domowa"}, "invalid_param"),
        ({"start": "2026-11-20", "end": "2026-11-21", "kolor": "zielony"}, "unknown_param"),
        ({"start": "2026-11-20", "end": "2026-11-21", "_count": "0"}, "invalid_param"),
    ],
)
def test_find_refuses_bad_parameters_with_a_code(client, world, params, code):
    assert error(client.get("/fhir/r4/Appointment/$find", params))[:2] == (400, code)


# -- $hold and $book by a patient app -----------------------------------------------------------


def test_hold_then_book_with_the_visits_token(client, world):
    _p, _u, _pr, schedule = world
    slot = open_slots(schedule)[0]
    held = booked(post(client, "hold", parameters(("appt-resource", {"resource": appointment_for(slot.pk)}))))
    assert held["status"] == "pending"
    hold_until = next(e["valueInstant"] for e in held["extension"] if e["url"] == "urn:terminarz:trzymany-do")
    assert dt.datetime.fromisoformat(hold_until) == FROZEN_NOW + dt.timedelta(minutes=10)
    assert "actor" not in held["participant"][0]  # a public client gets no patient id
    slot.refresh_from_db()
    assert slot.state == SlotState.HELD
    wrong = post(
        client,
        "book",
        parameters(("appt-id", {"valueString": f"Appointment/{held['id']}"}), ("token", {"valueString": "zly"})),
    )
    assert error(wrong)[:2] == (404, "not_found")
    done = booked(
        post(
            client,
            "book",
            parameters(
                ("appt-id", {"valueString": f"Appointment/{held['id']}"}), ("token", {"valueString": token_of(held)})
            ),
        )
    )
    assert (done["id"], done["status"]) == (held["id"], "booked")
    visit = Appointment.objects.get(pk=held["id"])
    assert (visit.status, visit.source, visit.email) == (AppointmentStatus.CONFIRMED, Source.FHIR, "maria@example.com")


def test_a_hold_not_booked_in_time_expires_and_frees_the_slot(client, world):
    _p, _u, _pr, schedule = world
    slot = open_slots(schedule)[0]
    held = booked(post(client, "hold", parameters(("appt-resource", {"resource": appointment_for(slot.pk)}))))
    with time_machine.travel(FROZEN_NOW + dt.timedelta(minutes=11), tick=False):
        assert expire_holds_task.call() == 1
        late = post(
            client,
            "book",
            parameters(
                ("appt-id", {"valueString": f"Appointment/{held['id']}"}), ("token", {"valueString": token_of(held)})
            ),
        )
    assert error(late)[:2] == (422, "invalid")
    slot.refresh_from_db()
    assert (slot.state, Appointment.objects.get(pk=held["id"]).status) == (SlotState.FREE, AppointmentStatus.EXPIRED)


def test_book_at_once_and_the_same_key_again_is_the_same_visit(client, world):
    _p, _u, _pr, schedule = world
    slot = open_slots(schedule)[0]
    body = parameters(("appt-resource", {"resource": appointment_for(slot.pk)}))
    first = booked(post(client, "book", body, HTTP_IDEMPOTENCY_KEY="klucz-1"))
    again = booked(post(client, "book", body, HTTP_IDEMPOTENCY_KEY="klucz-1"))
    assert (first["status"], again["id"]) == ("booked", first["id"])
    taken = post(client, "book", body, HTTP_IDEMPOTENCY_KEY="klucz-2")
    assert error(taken)[:2] == (409, "slot_taken")
    assert Appointment.objects.filter(slot=slot).count() == 1


def test_bad_patient_data_is_422_pointing_at_the_field(client, world):
    _p, _u, _pr, schedule = world
    slot = open_slots(schedule)[0]
    body = parameters(
        ("appt-resource", {"resource": appointment_for(slot.pk, patient={"telecom": [], "name": [{"given": ["M"]}]})})
    )
    assert error(post(client, "book", body)) == (
        422,
        "invalid",
        [["Patient.name.family"], ["Patient.telecom"]],
    )
    slot.refresh_from_db()
    assert slot.state == SlotState.FREE


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("nie json", "invalid_json"),
        (json.dumps({"resourceType": "Bundle"}), "invalid_param"),
        (json.dumps(parameters(("appt-resource", {"resource": {"resourceType": "Patient"}}))), "invalid_param"),
        (json.dumps([1, 2]), "invalid_json"),
    ],
)
def test_malformed_requests_are_400_never_500(client, world, body, code):
    response = client.post("/fhir/r4/Appointment/$book", body, content_type="application/fhir+json")
    assert error(response)[:2] == (400, code)


def test_a_patient_app_cannot_book_a_call_center_slot_or_name_a_patient_record(client, world):
    _p, _u, _pr, schedule = world
    callcenter = open_slots(schedule, callcenter_only=True)[0]
    refused = post(client, "book", parameters(("appt-resource", {"resource": appointment_for(callcenter.pk)})))
    assert error(refused) == (422, "invalid", [["Appointment.slot"]])
    slot = open_slots(schedule)[0]
    by_reference = post(
        client, "book", parameters(("appt-resource", {"resource": appointment_for(slot.pk, reference="Patient/1")}))
    )
    assert error(by_reference)[:2] == (400, "invalid_param")


def test_cancel_by_patch_with_the_visits_token(client, world):
    _p, _u, _pr, schedule = world
    slot = open_slots(schedule)[0]
    visit = booked(post(client, "book", parameters(("appt-resource", {"resource": appointment_for(slot.pk)}))))
    patch = json.dumps([{"op": "replace", "path": "/status", "value": "cancelled"}])
    path = f"/fhir/r4/Appointment/{visit['id']}"
    assert client.patch(path, patch, content_type="application/json-patch+json").status_code == 404
    other_change = json.dumps([{"op": "replace", "path": "/start", "value": "2026-11-21T10:00:00+01:00"}])
    assert error(
        client.patch(path, other_change, content_type="application/json-patch+json", HTTP_X_APPOINTMENT_TOKEN="x")
    )[:2] == (400, "not_supported")
    done = client.patch(
        path, patch, content_type="application/json-patch+json", HTTP_X_APPOINTMENT_TOKEN=token_of(visit)
    )
    assert booked(done)["status"] == "cancelled"
    slot.refresh_from_db()
    assert slot.state == SlotState.FREE
    twice = client.patch(
        path, patch, content_type="application/json-patch+json", HTTP_X_APPOINTMENT_TOKEN=token_of(visit)
    )
    assert error(twice)[:2] == (422, "invalid")


# -- a clinic system ------------------------------------------------------------------------------


def test_a_clinic_system_pushes_a_desk_booking_matched_by_pesel(client, world):
    provider, _u, _pr, schedule = world
    known = Patient.objects.create(provider=provider, first_name="Maria", last_name="Kowalska", pesel="44051401359")
    token = system_token(client, provider, ["system/Appointment.write"])
    callcenter = open_slots(schedule, callcenter_only=True)[0]  # desk rules: every slot of the provider
    no_email = appointment_for(callcenter.pk, patient={"telecom": []})
    resource = booked(
        post(
            client, "book", parameters(("appt-resource", {"resource": no_email})), HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    )
    assert resource["participant"][0]["actor"] == {"reference": f"Patient/{known.pk}"}
    assert [i["system"] for i in resource["identifier"]] == ["urn:terminarz:numer-rezerwacji"]
    visit = Appointment.objects.get(pk=resource["id"])
    assert (visit.source, visit.patient_id, visit.status) == (Source.SYSTEM, known.pk, AppointmentStatus.CONFIRMED)
    # The portal no longer offers it: the slot is taken.
    callcenter.refresh_from_db()
    assert callcenter.state == SlotState.BOOKED
    second = open_slots(schedule)[0]
    by_record = booked(
        post(
            client,
            "book",
            parameters(("appt-resource", {"resource": appointment_for(second.pk, reference=f"Patient/{known.pk}")})),
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    )
    assert by_record["participant"][0]["actor"] == {"reference": f"Patient/{known.pk}"}


def test_a_clinic_system_books_and_cancels_only_its_own(client, world, today):
    provider, _u, _pr, schedule = world
    other, _ou, _op, other_schedule = published_clinic(today, days=2)
    stranger = Patient.objects.create(provider=other, first_name="Jan", last_name="Obcy")
    token = system_token(client, provider, ["system/Appointment.write"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    foreign_slot = open_slots(other_schedule)[0]
    refused = post(
        client, "book", parameters(("appt-resource", {"resource": appointment_for(foreign_slot.pk)})), **auth
    )
    assert error(refused) == (422, "invalid", [["Appointment.slot"]])
    slot = open_slots(schedule)[0]
    foreign_patient = post(
        client,
        "book",
        parameters(("appt-resource", {"resource": appointment_for(slot.pk, reference=f"Patient/{stranger.pk}")})),
        **auth,
    )
    assert error(foreign_patient)[:2] == (404, "not_found")
    theirs = post(client, "book", parameters(("appt-resource", {"resource": appointment_for(foreign_slot.pk)})))
    their_visit = booked(theirs)
    patch = json.dumps(
        [
            {"op": "replace", "path": "/status", "value": "cancelled"},
            {"op": "add", "path": "/cancelationReason", "value": {"text": "Lekarz chory"}},
        ]
    )
    not_ours = client.patch(
        f"/fhir/r4/Appointment/{their_visit['id']}", patch, content_type="application/json-patch+json", **auth
    )
    assert error(not_ours)[:2] == (404, "not_found")
    ours = booked(post(client, "book", parameters(("appt-resource", {"resource": appointment_for(slot.pk)})), **auth))
    cancelled = booked(
        client.patch(f"/fhir/r4/Appointment/{ours['id']}", patch, content_type="application/json-patch+json", **auth)
    )
    assert (cancelled["status"], cancelled["cancelationReason"]) == ("cancelled", {"text": "Lekarz chory"})
    assert Appointment.objects.get(pk=their_visit["id"]).status == AppointmentStatus.CONFIRMED


def test_a_read_only_token_cannot_book_or_cancel(client, world):
    provider, _u, _pr, schedule = world
    token = system_token(client, provider, ["system/Appointment.read"])
    slot = open_slots(schedule)[0]
    response = post(
        client,
        "book",
        parameters(("appt-resource", {"resource": appointment_for(slot.pk)})),
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert error(response)[:2] == (403, "forbidden")
    slot.refresh_from_db()
    assert slot.state == SlotState.FREE


@pytest.mark.parametrize(
    "resource",
    [
        {"participant": 5},
        {"participant": True, "contained": 7},
        {"participant": [{"actor": {"reference": "#p"}}], "contained": 7},
    ],
)
def test_odd_shapes_of_the_appointment_are_400(client, world, resource):
    _p, _u, _pr, schedule = world
    slot = open_slots(schedule)[0]
    body = {"resourceType": "Appointment", "slot": [{"reference": f"Slot/{slot.pk}"}], **resource}
    for operation in ("hold", "book"):
        assert error(post(client, operation, parameters(("appt-resource", {"resource": body}))))[:2] == (
            400,
            "invalid_param",
        )


def test_find_refuses_prefixed_window_bounds(client, world):
    response = client.get("/fhir/r4/Appointment/$find", {"start": "lt2099-01-01", "end": "2099-01-02"})
    assert error(response)[:2] == (400, "invalid_param")


def test_a_public_replay_of_a_clinic_systems_key_gets_no_visit(client, world):
    provider, _u, _pr, schedule = world
    token = system_token(client, provider, ["system/Appointment.write"])
    slot = open_slots(schedule)[0]
    body = parameters(("appt-resource", {"resource": appointment_for(slot.pk)}))
    booked(post(client, "book", body, HTTP_IDEMPOTENCY_KEY="k1", HTTP_AUTHORIZATION=f"Bearer {token}"))
    replay = post(client, "book", body, HTTP_IDEMPOTENCY_KEY="k1")
    assert error(replay)[:2] == (409, "slot_taken")


def test_a_hold_waiting_for_the_email_link_is_not_booked_by_book(client, world):
    from terminarz.booking.services import book_appointment
    from terminarz.providers.models import settings_for

    provider, _u, _pr, schedule = world
    rules = settings_for(provider.pk)
    rules.multi_step = True
    rules.save()
    slot = open_slots(schedule)[0]
    data = {"first_name": "Ola", "last_name": "Nowak", "email": "ola@example.com"}
    held = book_appointment(slot.pk, data)  # the portal: held until the e-mail's link
    assert (held.status, held.hold_reason) == (AppointmentStatus.HELD, "confirmation")
    response = post(
        client,
        "book",
        parameters(
            ("appt-id", {"valueString": f"Appointment/{held.pk}"}), ("token", {"valueString": held.cancel_token})
        ),
    )
    assert error(response)[:2] == (422, "refused")
    held.refresh_from_db()
    assert held.status == AppointmentStatus.HELD
