"""Every bad request gets a documented answer: the `ErrorOut` shape, a stable code, Polish text."""

import pytest

from terminarz.api.v1 import MALFORMED_BODY
from terminarz.booking.models import Appointment
from tests.api.test_api import booking_body, free_slot, post
from tests.factories import clinic

pytestmark = pytest.mark.django_db

BOOK = "/api/v1/appointments"
CANCEL = "/api/v1/appointments/1/cancel"
UNPARSEABLE = ["\x00", "nie-json", "{", '{"slot": 1,}', "\udcff"]


@pytest.mark.parametrize("raw", UNPARSEABLE, ids=["nul", "text", "open-brace", "trailing-comma", "bad-utf8"])
@pytest.mark.parametrize("url", [BOOK, CANCEL], ids=["book", "cancel"])
def test_unparseable_body_is_400_malformed_body(client, url, raw):
    body = raw.encode("utf-8", "surrogateescape")
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "malformed_body", "message": MALFORMED_BODY, "errors": {}}


def test_malformed_body_message_is_polish():
    assert MALFORMED_BODY == "Nie udało się odczytać treści zapytania: wyślij poprawny dokument JSON (UTF-8)."


@pytest.mark.parametrize(
    "appointment_id, message",
    [
        (10**29, "Podaj wartość nie większą niż 4611686018427387904."),
        (2**62 + 1, "Podaj wartość nie większą niż 4611686018427387904."),
        (0, "Podaj wartość nie mniejszą niż 1."),
        (-5, "Podaj wartość nie mniejszą niż 1."),
        ("abc", "Podaj liczbę całkowitą."),
    ],
)
def test_cancel_with_an_id_out_of_range_is_422(client, appointment_id, message):
    response = post(client, f"/api/v1/appointments/{appointment_id}/cancel", {"token": "x"})
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Nieprawidłowe dane.",
        "errors": {"appointment_id": [message]},
    }


def test_cancel_of_an_unknown_visit_is_404(client):
    response = post(client, f"/api/v1/appointments/{2**62}/cancel", {"token": "x"})
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Nie znaleziono wizyty.", "errors": {}}


def test_cancel_token_outside_printable_ascii_is_422(client):
    response = post(client, CANCEL, {"token": "żółw"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"token": ["Nieprawidłowy format."]}


@pytest.mark.parametrize("slot", [10**29, 0, -1])
def test_booking_a_slot_id_out_of_range_is_422(client, today, slot):
    _, _, _, schedule = clinic(today=today, days=1)
    response = post(client, BOOK, {**booking_body(free_slot(schedule)), "slot": slot})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["slot"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"unit": str(10**29)}, "unit", "Nieprawidłowy identyfikator poradni."),
        ({"provider": "abc"}, "provider", "Nieprawidłowy identyfikator placówki."),
        ({"practitioner": "-5"}, "practitioner", "Nieprawidłowy identyfikator lekarza."),
        ({"date_from": "0001-01-01"}, "date_from", "Podaj datę z lat 2000–2100."),
        ({"date_to": "9999-12-31"}, "date_to", "Podaj datę z lat 2000–2100."),
        ({"specialization": "a\x00b"}, "specialization", "Znaki null są niedozwolone."),
    ],
)
def test_search_errors_are_the_portal_forms(client, params, field, message):
    response = client.get("/api/v1/slots", params)
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Nieprawidłowe parametry wyszukiwania.",
        "errors": {field: [message]},
    }


def test_openapi_lists_every_answer(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    responses = {
        (path, method): set(operation["responses"])
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    assert responses == {
        ("/api/v1/slots", "get"): {"200", "422", "429"},
        ("/api/v1/availability", "get"): {"200", "422", "429"},
        ("/api/v1/appointments", "post"): {"201", "400", "409", "422", "429"},
        ("/api/v1/appointments/{appointment_id}/cancel", "post"): {"200", "400", "404", "409", "422", "429"},
        ("/api/v1/integrations/ping", "post"): {"200", "401", "429"},
    }


def test_openapi_types_path_ids_as_bounded_integers(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/appointments/{appointment_id}/cancel"]
    (parameter,) = operation["post"]["parameters"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**62, "title": "Appointment Id"}
