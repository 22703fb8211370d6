"""Booking over FHIR, Argonaut Scheduling style, through the one booking pipeline:

- `Appointment/$find` (public, GET or POST): open slots as proposed Appointments.
- `Appointment/$hold` (POST Parameters with `appt-resource`): the slot held for the client for a
  few minutes (`pending`, the end in the `urn:terminarz:trzymany-do` extension).
- `Appointment/$book`: `appt-resource` books at once; `appt-id` books a hold (with the visit's
  `token` for a public client).
- `PATCH Appointment/<id>` (JSON Patch, `replace /status cancelled`): cancels.

Who: a patient app without a token books on the online rules (channel "fhir") and gets the
visit's secret once (identifier `urn:terminarz:token-wizyty`) to book its hold or cancel; a
clinic system with `system/Appointment.write` books any slot of its own provider (channel
"system": bookings from its own desk hide the slot online at once), the patient as
`Patient/<id>` of the provider or contained data matched by PESEL. `Idempotency-Key` makes a
repeated call return the booking it made."""

import contextlib
import datetime as dt

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from terminarz.booking import pipeline
from terminarz.booking import services as booking
from terminarz.booking.errors import BookingError
from terminarz.booking.models import Appointment, Source
from terminarz.catalog.dictionaries import DEPARTMENT_CODES
from terminarz.core import clock
from terminarz.core.tenancy import provider_scope
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Televisit
from terminarz.scheduling.search import SlotQuery, search_slots

from . import codes, resources
from .auth import SystemCaller, with_caller
from .params import DEFAULT_COUNT, MAX_COUNT, SearchError, date_bounds, reference_id, token_code
from .responses import RATE_LIMITED, fhir_response, outcome, rate_limited

MAX_BODY = 64 * 1024
MAX_FIND_DAYS = 31
HOLD_MINUTES = 10
# The booking form's fields as FHIRPath in the request (field errors point there).
EXPRESSION = {
    "slot": "Appointment.slot",
    "first_name": "Patient.name.given",
    "last_name": "Patient.name.family",
    "email": "Patient.telecom",
    "phone": "Patient.telecom",
    "pesel": "Patient.identifier",
    "note": "Appointment.comment",
    "accept_requirements": "Parameters.parameter.accept-requirements",
    "token": "Parameters.parameter.token",
    "reason": "Appointment.cancelationReason",
}
ISSUE = {"slot_taken": "conflict", "not_found": "not-found", "not_allowed": "business-rule"}
VISIT_TYPES: dict[str, list[str]] = {
    "stacjonarna": [Televisit.NO, Televisit.POSSIBLE],
    "telewizyta": [Televisit.POSSIBLE, Televisit.ONLY],
}


class BadRequest(Exception):
    def __init__(self, message: str, *, code: str = "invalid_param", expression: str = ""):
        super().__init__(message)
        self.message, self.code, self.expression = message, code, expression


def _bad(error: BadRequest, status: int = 400) -> HttpResponse:
    more = [{"text": error.message, "expression": error.expression}] if error.expression else None
    return outcome(status, error.code, error.message, issues=more)


def booking_error(exc: BookingError) -> HttpResponse:
    more = [
        {"text": message, "expression": EXPRESSION.get(field, field)}
        for field, messages in exc.errors.items()
        for message in messages
    ]
    return outcome(exc.status, exc.code, exc.message, issue=ISSUE.get(exc.code, "business-rule"), issues=more)


# -- $find -------------------------------------------------------------------------------------


def _find_params(request: HttpRequest) -> dict[str, str]:
    if request.method == "GET":
        source = {name: request.GET.getlist(name) for name in request.GET}
        if any(len(values) > 1 for values in source.values()):
            raise BadRequest("Każdy parametr $find może wystąpić tylko raz.")
        return {name: values[0] for name, values in source.items()}
    found: dict[str, str] = {}
    for parameter in _parameters(request):
        name = parameter.get("name")
        value = next((v for key, v in parameter.items() if key.startswith("value")), None)
        if not isinstance(name, str) or not isinstance(value, str | int):
            raise BadRequest("Każdy parametr $find to nazwa i wartość (valueString, valueDate …).")
        if name in found:
            raise BadRequest(f"Parametr „{name[:40]}” może wystąpić tylko raz.")
        found[name] = str(value)
    return found


FIND_PARAMS = {
    "start",
    "end",
    "specialty",
    "service-type",
    "visit-type",
    "practitioner",
    "location",
    "address-city",
    "_count",
}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def find(request: HttpRequest) -> HttpResponse:
    if rate_limited(request, "fhir", settings.RATELIMIT_SEARCH):
        return outcome(429, "rate_limited", RATE_LIMITED, issue="throttled")
    now = clock.now()
    try:
        params = _find_params(request)
        unknown = set(params) - FIND_PARAMS - {"_format", "_pretty"}
        if unknown:
            raise BadRequest(
                f"Parametr „{sorted(unknown)[0][:40]}” nie jest obsługiwany w $find.", code="unknown_param"
            )
        if any(len(value) > 200 or any(ch < " " for ch in value) for value in params.values()):
            raise BadRequest("Wartość parametru jest za długa albo ma znaki sterujące.")
        query, count = _find_query(params, now)
    except SearchError as error:
        return outcome(400, error.code, error.message)
    except BadRequest as error:
        return _bad(error)
    # The portal's and the API's search: the page found on the slot index, then its rows.
    slots = search_slots(query, now=now, limit=count)[0] if query is not None else []
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(slots),
        "entry": [
            {
                "resource": resources.proposed(
                    slot, department_name=DEPARTMENT_CODES.get(slot.unit.department_code, "")
                ),
                "search": {"mode": "match"},
            }
            for slot in slots
        ],
    }
    return fhir_response(bundle, private=True)


def _find_query(params: dict[str, str], now: dt.datetime):
    if "start" not in params or "end" not in params:
        raise BadRequest("Podaj „start” i „end” – okno szukania, najwyżej 31 dni.", code="missing_param")
    start = date_bounds(params["start"])[0]
    end = date_bounds(params["end"])[1]
    if start is None or end is None:
        raise BadRequest("„start” i „end” to daty bez przedrostków (np. 2026-12-01).")
    if end <= start or end - start > dt.timedelta(days=MAX_FIND_DAYS, hours=1):
        raise BadRequest(f"Okno „start”–„end” musi mieć od 1 sekundy do {MAX_FIND_DAYS} dni.")
    count = params.get("_count", str(DEFAULT_COUNT))
    if not (count.isascii() and count.isdigit() and 1 <= int(count) <= MAX_COUNT):
        raise BadRequest(f"„_count” musi być liczbą od 1 do {MAX_COUNT}.")
    query = SlotQuery(city=params.get("address-city"), start_from=max(start, now), start_before=end)
    if "specialty" in params:
        system, code = token_code(params["specialty"])
        if system not in ("", codes.SPECIALIZATION):
            return None, int(count)
        query.specialization = code
    if "practitioner" in params:
        query.practitioner = reference_id(params["practitioner"], "Practitioner")
    if "location" in params:
        query.location = reference_id(params["location"], "Location")
    if "service-type" in params:
        system, code = token_code(params["service-type"])
        if system not in ("", codes.DEPARTMENT):
            return None, int(count)
        query.department_code = code
    if "visit-type" in params:
        system, code = token_code(params["visit-type"])
        if system not in ("", codes.VISIT_TYPE) or code not in VISIT_TYPES:
            raise BadRequest("„visit-type” to „stacjonarna” albo „telewizyta”.")
        query.televisit = VISIT_TYPES[code]
    return query, int(count)


# -- $hold / $book -----------------------------------------------------------------------------


def _body(request: HttpRequest) -> dict:
    if request.content_type not in (codes.FHIR_JSON, "application/json"):
        raise BadRequest("Wyślij zasób Parameters jako application/fhir+json.", code="unsupported_media")
    if len(request.body) > MAX_BODY:
        raise BadRequest("Treść żądania jest za duża.", code="too_complex")
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise BadRequest("Treść żądania to nie jest poprawny JSON.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("Oczekujemy obiektu JSON.", code="invalid_json")
    return body


def _parameters(request: HttpRequest) -> list[dict]:
    body = _body(request)
    if body.get("resourceType") != "Parameters" or not isinstance(body.get("parameter", []), list):
        raise BadRequest("Wyślij zasób Parameters z listą „parameter”.", expression="Parameters")
    parameters = body.get("parameter", [])
    if len(parameters) > 20 or not all(isinstance(p, dict) for p in parameters):
        raise BadRequest("Nieprawidłowa lista „parameter”.", expression="Parameters.parameter")
    return parameters


def _named(parameters: list[dict], name: str):
    found = [p for p in parameters if p.get("name") == name]
    if len(found) > 1:
        raise BadRequest(f"Parametr „{name}” może wystąpić tylko raz.", expression=f"Parameters.parameter.{name}")
    return found[0] if found else None


def _text(value, limit: int = 200) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _patient_data(appointment: dict) -> tuple[dict, str | None]:
    """(form data, reference) of the appointment's patient: a contained Patient ("#id"), or a
    reference "Patient/<id>" (returned for the caller to resolve)."""
    participants = appointment.get("participant")
    for participant in participants if isinstance(participants, list) else []:
        if not isinstance(participant, dict) or not isinstance(participant.get("actor"), dict):
            continue
        reference = _text(participant["actor"].get("reference"))
        if reference.startswith("Patient/"):
            return {}, reference
        if reference.startswith("#"):
            resources_in = appointment.get("contained")
            contained = [
                r
                for r in (resources_in if isinstance(resources_in, list) else [])
                if isinstance(r, dict) and r.get("resourceType") == "Patient" and r.get("id") == reference[1:]
            ]
            if not contained:
                raise BadRequest(
                    f"Nie ma zasobu „{reference[:40]}” w „contained”.", expression="Appointment.participant.actor"
                )
            return _from_patient(contained[0]), None
    raise BadRequest(
        "Podaj pacjenta: uczestnika z odwołaniem do zasobu Patient w „contained” (np. „#pacjent”).",
        expression="Appointment.participant",
    )


def _from_patient(patient: dict) -> dict:
    names = patient.get("name") if isinstance(patient.get("name"), list) else []
    name = names[0] if names and isinstance(names[0], dict) else {}
    given = name.get("given") if isinstance(name.get("given"), list) else []
    data = {
        "first_name": _text(given[0]) if given else "",
        "last_name": _text(name.get("family")),
        "email": "",
        "phone": "",
        "pesel": "",
    }
    telecoms = patient.get("telecom")
    for telecom in telecoms if isinstance(telecoms, list) else []:
        if isinstance(telecom, dict) and telecom.get("system") in ("email", "phone") and not data[telecom["system"]]:
            data[telecom["system"]] = _text(telecom.get("value"))
    identifiers = patient.get("identifier")
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if isinstance(identifier, dict) and identifier.get("system") == codes.PESEL:
            data["pesel"] = _text(identifier.get("value"), 20)
    return data


def _slot_id(appointment: dict) -> str:
    slots = appointment.get("slot")
    if not isinstance(slots, list) or len(slots) != 1 or not isinstance(slots[0], dict):
        raise BadRequest(
            "Podaj dokładnie jeden termin: „slot”: [{„reference”: „Slot/<id>”}].", expression="Appointment.slot"
        )
    try:
        return str(reference_id(_text(slots[0].get("reference")), "Slot"))
    except SearchError:
        raise BadRequest("„slot” to odwołanie „Slot/<id>”.", expression="Appointment.slot") from None


def _new_booking(request: HttpRequest, parameters: list[dict], caller: SystemCaller | None, *, hold: bool):
    given = _named(parameters, "appt-resource")
    resource = given.get("resource") if given else None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Appointment":
        raise BadRequest(
            "Podaj wizytę w parametrze „appt-resource” (zasób Appointment).", expression="Parameters.parameter"
        )
    slot_id = _slot_id(resource)
    data, reference = _patient_data(resource)
    data["note"] = _text(resource.get("comment"), 2000)
    accept = _named(parameters, "accept-requirements")
    data["accept_requirements"] = bool(accept and accept.get("valueBoolean") is True)
    key = request.headers.get("Idempotency-Key", "")[:64]
    if caller is None:
        if reference is not None:
            raise BadRequest("Podaj dane pacjenta w „contained”; odwołanie do Patient wymaga tokenu systemu placówki.")
        return booking.book_by_client(
            slot_id, channel=Source.FHIR, data=data, hold_minutes=HOLD_MINUTES if hold else 0, submission_key=key
        )
    caller.require("system/Appointment.write")
    patient = None
    if reference is not None:
        try:
            patient_id = reference_id(reference, "Patient")
        except SearchError:
            raise BadRequest(
                "Nieprawidłowe odwołanie do pacjenta.", expression="Appointment.participant.actor"
            ) from None
        patient = Patient.objects.filter(provider_id=caller.provider_id, pk=patient_id).first()
        if patient is None:
            raise BadRequest(
                f"Nie znaleziono Patient/{patient_id}.", code="not_found", expression="Appointment.participant.actor"
            )
    return booking.book_by_client(
        slot_id,
        channel=Source.SYSTEM,
        data=data,
        patient=patient,
        provider_id=caller.provider_id,
        hold_minutes=HOLD_MINUTES if hold else 0,
        submission_key=key,
        actor_label=f"client:{caller.client_id}",
    )


def _too_many(request: HttpRequest, caller: SystemCaller | None) -> bool:
    """A patient app: the booking rate per IP. A clinic system: its own, higher rate per
    credential (a busy desk behind one address must not be held up by the patients' limit)."""
    if caller is None:
        return rate_limited(request, "fhir-book", settings.RATELIMIT_BOOKING)
    return is_ratelimited(
        request,
        group="fhir-system",
        key=lambda _group, _request: f"credential:{caller.credential_id}",
        rate=settings.RATELIMIT_SEARCH,
        increment=True,
    )


def _answer(appointment: Appointment, caller: SystemCaller | None, *, status: int) -> HttpResponse:
    unit = appointment.unit
    resource = resources.appointment(
        appointment,
        department_name=DEPARTMENT_CODES.get(unit.department_code, ""),
        patient_reference=caller is not None,
        token=appointment.cancel_token if caller is None else "",
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 1,
        "entry": [
            {
                "fullUrl": resources.site_url(f"/fhir/r4/Appointment/{appointment.pk}"),
                "resource": resource,
                "search": {"mode": "match"},
            }
        ],
    }
    return fhir_response(bundle, status, private=True)


def _scoped(caller: SystemCaller | None):
    """A clinic system's call runs in its provider's scope; a public one in the public scope
    the middleware opened."""
    return provider_scope(caller.provider_id) if caller is not None else contextlib.nullcontext()


@csrf_exempt
@require_http_methods(["POST"])
@with_caller
def hold(request: HttpRequest, caller: SystemCaller | None = None) -> HttpResponse:
    if _too_many(request, caller):
        return outcome(429, "rate_limited", RATE_LIMITED, issue="throttled")
    try:
        with _scoped(caller):
            appointment = _new_booking(request, _parameters(request), caller, hold=True)
            return _answer(appointment, caller, status=200)
    except BadRequest as error:
        return _bad(error, 404 if error.code == "not_found" else 400)
    except BookingError as error:
        return booking_error(error)


@csrf_exempt
@require_http_methods(["POST"])
@with_caller
def book(request: HttpRequest, caller: SystemCaller | None = None) -> HttpResponse:
    if _too_many(request, caller):
        return outcome(429, "rate_limited", RATE_LIMITED, issue="throttled")
    try:
        with _scoped(caller):
            parameters = _parameters(request)
            held = _named(parameters, "appt-id")
            if held is None:
                return _answer(_new_booking(request, parameters, caller, hold=False), caller, status=200)
            appointment = _held_appointment(held, _named(parameters, "token"), caller)
            confirmed = booking.confirm_hold(
                appointment,
                actor_label=f"client:{caller.client_id}" if caller else Source.FHIR,
                reasons=(pipeline.HOLD_CLIENT,),  # only its own hold: not the e-mail's, not a payment's
            )
            return _answer(confirmed, caller, status=200)
    except BadRequest as error:
        return _bad(error, 404 if error.code == "not_found" else 400)
    except BookingError as error:
        return booking_error(error)


def _held_appointment(held: dict, token: dict | None, caller: SystemCaller | None) -> Appointment:
    raw = next((v for key, v in held.items() if key.startswith("value")), "")
    try:
        appointment_id = reference_id(_text(raw), "Appointment")
    except SearchError:
        raise BadRequest(
            "„appt-id” to odwołanie „Appointment/<id>”.", expression="Parameters.parameter.appt-id"
        ) from None
    if caller is None:
        secret = _text(token.get("valueString"), 200) if token else ""
        return booking.get_appointment_by_token(appointment_id, secret)
    caller.require("system/Appointment.write")
    found = (
        Appointment.objects.filter(provider_id=caller.provider_id, pk=appointment_id).select_related("provider").first()
    )
    if found is None:
        raise BadRequest(f"Nie znaleziono Appointment/{appointment_id}.", code="not_found")
    return found


# -- PATCH: cancel -----------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["PATCH"])
@with_caller
def patch(request: HttpRequest, resource_id: str, caller: SystemCaller | None = None) -> HttpResponse:
    if _too_many(request, caller):
        return outcome(429, "rate_limited", RATE_LIMITED, issue="throttled")
    try:
        reason = _cancellation(request)
        with _scoped(caller):
            if caller is None:
                token = request.headers.get("X-Appointment-Token", "")[:200]
                appointment = booking.cancel_appointment_by_patient(resource_id, token, reason=reason)
            else:
                caller.require("system/Appointment.write")
                found = (
                    Appointment.objects.filter(provider_id=caller.provider_id, pk=_pk(resource_id))
                    .select_related("provider", "unit")
                    .first()
                )
                if found is None:
                    raise BadRequest(f"Nie znaleziono Appointment/{resource_id[:20]}.", code="not_found")
                appointment = booking.cancel_appointment_by_clinic(
                    found, actor=None, actor_label=f"client:{caller.client_id}", reason=reason
                )
            return _answer(appointment, caller, status=200)
    except BadRequest as error:
        return _bad(error, 404 if error.code == "not_found" else 400)
    except BookingError as error:
        return booking_error(error)


def _pk(resource_id: str) -> int:
    return int(resource_id) if resource_id.isascii() and resource_id.isdigit() and len(resource_id) <= 10 else 0


def _cancellation(request: HttpRequest) -> str:
    """A JSON Patch that only cancels: `replace /status cancelled`, optionally with
    `add /cancelationReason {"text": …}`. Returns the reason."""
    if request.content_type != "application/json-patch+json":
        raise BadRequest("Wyślij JSON Patch (application/json-patch+json).", code="unsupported_media")
    if len(request.body) > MAX_BODY:
        raise BadRequest("Treść żądania jest za duża.", code="too_complex")
    try:
        operations = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise BadRequest("Treść żądania to nie jest poprawny JSON.", code="invalid_json") from None
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise BadRequest("JSON Patch to lista operacji.", code="invalid_json")
    status = [op for op in operations if op.get("path") == "/status"]
    reason_ops = [op for op in operations if op.get("path") == "/cancelationReason"]
    others = [op for op in operations if op.get("path") not in ("/status", "/cancelationReason")]
    if others or len(status) != 1 or len(reason_ops) > 1:
        raise BadRequest(
            "Obsługujemy tylko odwołanie wizyty: „replace” ścieżki /status na „cancelled”.", code="not_supported"
        )
    if status[0].get("op") != "replace" or status[0].get("value") != "cancelled":
        raise BadRequest(
            "Status można zmienić tylko na „cancelled”.", code="not_supported", expression="Appointment.status"
        )
    if not reason_ops:
        return ""
    value = reason_ops[0].get("value")
    if reason_ops[0].get("op") not in ("add", "replace") or not isinstance(value, dict):
        raise BadRequest("„cancelationReason” to obiekt z polem „text”.", expression="Appointment.cancelationReason")
    return _text(value.get("text"), 300)
