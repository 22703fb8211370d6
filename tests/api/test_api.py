import datetime as dt
import json

import pytest
from django.core.cache import cache

from terminarz.booking.models import Appointment
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic, every_day

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(
        url, data=json.dumps(body) if not isinstance(body, str) else body, content_type="application/json"
    )


def free_slot(schedule):
    return Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()


def booking_body(slot, **patient):
    return {"slot": slot.pk, "patient": {**{k: v for k, v in PATIENT.items() if k != "note"}, **patient}}


def test_slots_contract(client, today):
    _, unit, practitioner, _ = clinic(today=today, days=3)
    response = client.get(
        "/api/v1/slots",
        {
            "specialization": "kardiologia",
            "city": "Kraków",
            "date_from": "2026-11-20",
            "date_to": "2026-11-22",
            "limit": 5,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "next"} and len(body["items"]) == 5 and body["next"]
    item = body["items"][0]
    assert item["start"] == "2026-11-20T10:15:00+01:00" and item["end"] == "2026-11-20T10:30:00+01:00"
    assert item["practitioner"] == {
        "id": practitioner.pk,
        "name": practitioner.full_name,
        "specializations": ["Kardiologia"],
    }
    assert item["unit"] == {"id": unit.pk, "name": unit.name, "city": "Kraków"}
    assert item["financing"] == "nfz"
    page2 = client.get("/api/v1/slots", {"specialization": "kardiologia", "limit": 5, "cursor": body["next"]}).json()
    assert page2["items"][0]["start"] > body["items"][-1]["start"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date_from": "jutro"}, "date_from"),
        ({"date_from": "2026-11-25", "date_to": "2026-11-20"}, "date_to"),
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"financing": "gratis"}, "financing"),
        ({"cursor": "%%%"}, "cursor"),
        ({"provider": "x"}, "provider"),
        ({"practitioner": "99999999999999999999999"}, "practitioner"),
    ],
)
def test_slots_bad_params_are_422_with_field_errors(client, params, field):
    response = client.get("/api/v1/slots", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"]


def test_book_and_cancel_through_api(client, today, django_capture_on_commit_callbacks):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = free_slot(schedule)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "/api/v1/appointments", {**booking_body(slot, pesel=VALID_PESEL), "note": "<b>hi</b>"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "status", "slot", "start", "cancel_token"}
    assert body["status"] == "confirmed" and body["slot"] == slot.pk
    taken = post(client, "/api/v1/appointments", booking_body(slot))
    assert taken.status_code == 409
    assert taken.json()["code"] == "slot_taken" and taken.json()["alternatives"]
    bad_token = post(client, f"/api/v1/appointments/{body['id']}/cancel", {"token": "nope"})
    assert bad_token.status_code == 404 and bad_token.json()["code"] == "not_found"
    ok = post(client, f"/api/v1/appointments/{body['id']}/cancel", {"token": body["cancel_token"]})
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    again = post(client, "/api/v1/appointments", booking_body(slot))
    assert again.status_code == 201  # the slot was free again at once


@pytest.mark.parametrize(
    "body, field",
    [
        (
            {
                "slot": 1,
                "patient": {"first_name": "A", "last_name": "B", "email": "a@example.com", "pesel": "12345678901"},
            },
            "pesel",
        ),
        ({"slot": 1, "patient": {"first_name": "A", "last_name": "B"}}, "email"),
        ({"slot": 999999, "patient": {"first_name": "A", "last_name": "B", "email": "a@example.com"}}, "slot"),
        ({"slot": "abc", "patient": {"first_name": "A", "last_name": "B", "email": "a@example.com"}}, "slot"),
        ({"patient": {"first_name": "A", "last_name": "B", "email": "a@example.com"}}, "slot"),
        ({"slot": 1, "patient": {"first_name": "A" * 5000, "last_name": "B", "email": "a@example.com"}}, "first_name"),
        ({"slot": 1, "patient": "nie-obiekt"}, "first_name"),
        ({"slot": 1, "patient": {"first_name": 5, "last_name": ["x"], "email": {}}}, "patient.last_name"),
    ],
)
def test_bad_booking_input_is_422_never_500(client, today, body, field):
    _, _, _, schedule = clinic(today=today, days=1)
    if body.get("slot") == 1:
        body = {**body, "slot": free_slot(schedule).pk}
    response = post(client, "/api/v1/appointments", body)
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["code"] == "invalid" and field in payload["errors"], payload
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("raw", ["", "[]", "null", '"x"', '{"slot": {}}'])
def test_json_that_is_no_booking_is_422_invalid(client, raw):
    response = post(client, "/api/v1/appointments", raw)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_past_slot_via_api(client, today):
    _, _, _, schedule = clinic(today=today, days=1)
    past = Slot.objects.filter(schedule=schedule, start__lt=FROZEN_NOW).first()
    response = post(client, "/api/v1/appointments", booking_body(past))
    assert response.status_code == 422 and "minął" in response.json()["errors"]["slot"][0]


def test_call_center_only_slots_are_not_offered(client, today):
    clinic(today=today, days=1, blocks=every_day(dt.time(12), dt.time(13), callcenter_only=True))
    assert client.get("/api/v1/slots").json()["items"] == []


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/slots", "/api/v1/appointments", "/api/v1/appointments/{appointment_id}/cancel"} <= set(paths)


def test_rate_limit_per_ip(client, settings, frozen):
    """The window is a minute of the (frozen) clock: the test never straddles a real one."""
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_SEARCH = "3/m"
    cache.clear()
    codes = [client.get("/api/v1/slots").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    frozen.shift(dt.timedelta(seconds=59))
    assert client.get("/api/v1/slots").json()["code"] == "rate_limited"
    other_ip = client.get("/api/v1/slots", REMOTE_ADDR="10.9.9.9")
    assert other_ip.status_code == 200
    frozen.shift(dt.timedelta(seconds=2))  # the first three requests are a minute old
    assert client.get("/api/v1/slots").status_code == 200
    settings.RATELIMIT_ENABLE = False
    assert client.get("/api/v1/slots").status_code == 200
    cache.clear()


@pytest.mark.parametrize(
    "accepted, status, errors",
    [(True, 201, None), (False, 422, {"accept_requirements": ["Aby umówić wizytę, zaakceptuj warunki wizyty."]})],
)
def test_requirement_acceptance_is_a_boolean_in_the_api(client, today, accepted, status, errors):
    requirement = "Proszę zabrać wyniki badań."
    _, _, _, schedule = clinic(
        today=today, days=2, blocks=every_day(dt.time(12), dt.time(13), requirement_text=requirement)
    )
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    body = {"slot": slot.pk, "patient": PATIENT, "accept_requirements": accepted}
    response = client.post("/api/v1/appointments", body, content_type="application/json")
    assert response.status_code == status
    assert response.json().get("errors") == errors
