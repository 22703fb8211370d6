"""Public REST API v1. Thin: parse input, call a service, shape the output.

Every error answers with the same JSON shape (`ErrorOut`: code, Polish message, field errors),
and every status an operation can answer is listed in its OpenAPI responses."""

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.timezone import localtime
from django_ratelimit.core import is_ratelimited
from ninja import Field, NinjaAPI, Path, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBasicAuth

from terminarz.booking import services as booking
from terminarz.booking.errors import BookingError, SlotTaken
from terminarz.booking.models import Source
from terminarz.core.ratelimit import SettingsRateThrottle, client_ip
from terminarz.integrations import services as integrations
from terminarz.payments.models import Payment
from terminarz.payments.services import pay_url
from terminarz.scheduling.availability import availability
from terminarz.scheduling.forms import MAX_ID, MAX_LIMIT, AvailabilityForm, SlotSearchForm
from terminarz.scheduling.search import search_slots
from terminarz.scheduling.search_page import search_page_json

from .schemas import (
    MAX_PK,
    AppointmentIn,
    AppointmentOut,
    AvailabilityOut,
    CancelIn,
    CancelOut,
    ErrorOut,
    SlotPage,
    SlotTakenOut,
)

api = NinjaAPI(
    title="Terminarz API",
    version="1.0.0",
    description=(
        "Wolne terminy i rezerwacje wizyt. Public endpoints need no login; they are rate-limited per IP (429). "
        "Every error is an `ErrorOut` with a stable `code`: `malformed_body` (400, the body is not JSON), "
        "`not_found` (404), `slot_taken` (409, with alternatives), `not_allowed` (409), `invalid` and "
        "`refused` (422, field errors in `errors`), `rate_limited` (429)."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
)

MALFORMED_BODY = "Nie udało się odczytać treści zapytania: wyślij poprawny dokument JSON (UTF-8)."
RATE_LIMITED = "Zbyt wiele zapytań z tego adresu. Odczekaj chwilę i spróbuj ponownie."
NOT_FOUND = "Nie znaleziono."
INVALID = "Nieprawidłowe dane."
INVALID_SEARCH = "Nieprawidłowe parametry wyszukiwania."


def slot_json(slot) -> dict:
    return {
        "id": slot.pk,
        "start": localtime(slot.start),
        "end": localtime(slot.end),
        "practitioner": {
            "id": slot.practitioner_id,
            "name": slot.practitioner.full_name,
            "specializations": [s.name for s in slot.practitioner.specializations.all()],
        },
        "unit": {"id": slot.unit_id, "name": slot.unit.name, "city": slot.unit.location.city},
        "financing": slot.financing,
    }


def error(code: str, message: str = "", errors: dict | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or {}}


def field_message(item: dict[str, Any]) -> str:
    """A Polish message for one pydantic error (the API's own wording, not pydantic's English)."""
    kind = item.get("type", "")
    ctx = item.get("ctx") or {}
    if kind == "missing":
        return "To pole jest wymagane."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Podaj liczbę całkowitą."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Podaj wartość nie mniejszą niż {ctx.get('ge', ctx.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"Podaj wartość nie większą niż {ctx.get('le', ctx.get('lt'))}."
    if kind == "string_too_long":
        return f"Tekst może mieć najwyżej {ctx.get('max_length')} znaków."
    if kind in ("string_type", "string_unicode"):
        return "Podaj tekst."
    if kind in ("bool_parsing", "bool_type"):
        return "Podaj wartość logiczną (true lub false)."
    if kind in ("literal_error", "enum"):
        return "Wybierz jedną z dozwolonych wartości."
    if kind.startswith("date"):
        return "Podaj datę w formacie RRRR-MM-DD."
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "Podaj obiekt JSON."
    if kind == "string_pattern_mismatch":
        return "Nieprawidłowy format."
    return "Nieprawidłowa wartość."


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    match = request.resolver_match
    searching = match is not None and match.url_name in ("slots", "availability")
    if searching:
        # Search parameters: the portal's form decides, so both answer with the same words.
        form_class = AvailabilityForm if match is not None and match.url_name == "availability" else SlotSearchForm
        form = form_class(request.GET)
        if not form.is_valid():
            form_errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
            return api.create_response(request, error("invalid", INVALID_SEARCH, form_errors), status=422)
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", []) if p not in ("body", "query", "path", "payload")]
        messages = errors.setdefault(".".join(loc) or "body", [])
        message = field_message(item)
        if message not in messages:
            messages.append(message)
    message = INVALID_SEARCH if searching else INVALID
    return api.create_response(request, error("invalid", message, errors), status=422)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    # Ninja's only 400 is an unparseable body ("Cannot parse request body"); ours in Polish.
    code, message = {
        400: ("malformed_body", MALFORMED_BODY),
        404: ("not_found", NOT_FOUND),
        429: ("rate_limited", RATE_LIMITED),
    }.get(exc.status_code, ("error", "Nie udało się wykonać zapytania."))
    return api.create_response(request, error(code, message), status=exc.status_code)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, error("not_found", NOT_FOUND), status=404)


@api.exception_handler(BookingError)
def on_booking_error(request: HttpRequest, exc: BookingError):
    if isinstance(exc, SlotTaken):
        body = {
            "code": exc.code,
            "message": exc.message,
            "alternatives": [slot_json(s) for s in exc.alternatives],
        }
        return api.create_response(request, body, status=exc.status)
    return api.create_response(request, error(exc.code, exc.message, exc.errors), status=exc.status)


class SearchFilters(Schema):
    """The search filters of `/slots` and `/availability` (documentation; the shared form decides)."""

    specialization: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    provider: int | None = Field(None, ge=1, le=MAX_ID)
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    practitioner: int | None = Field(None, ge=1, le=MAX_ID)
    financing: Literal["nfz", "private"] | None = None
    visit_kind: Literal["first", "followup"] | None = None
    visit_type: Literal["office", "televisit"] | None = Field(None, description="in person or a televisit")
    service: str | None = Field(None, max_length=200, description="a service's code or a part of its name")
    language: str | None = Field(None, max_length=50, description="a language the practitioner speaks")
    payer: int | None = Field(None, ge=1, le=MAX_ID, description="an insurer's id: providers cooperating with it")


def search_refused(form) -> Status:
    errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
    return Status(422, error("invalid", INVALID_SEARCH, errors))


@api.get(
    "/slots",
    response={200: SlotPage, 422: ErrorOut, 429: ErrorOut},
    throttle=[SettingsRateThrottle("RATELIMIT_SEARCH")],
    summary="Search free slots, earliest first",
    url_name="slots",
)
def list_slots(
    request: HttpRequest,
    filters: Query[SearchFilters],
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    """The typed parameters document the API; the shared `SlotSearchForm` (also the portal's)
    validates the query string itself, so both refuse the same values with the same words."""
    form = SlotSearchForm(request.GET)
    if not form.is_valid():
        return search_refused(form)
    limit = form.cleaned_data.get("limit") or 20
    cursor = form.cleaned_data.get("cursor") or None
    written = search_page_json(form.to_query(), limit=limit, cursor=cursor)  # PostgreSQL writes the items
    if written is not None:
        text, next_cursor = written
        return HttpResponse(
            b'{"items":' + text + b',"next":' + orjson.dumps(next_cursor) + b"}", content_type="application/json"
        )
    items, next_cursor = search_slots(form.to_query(), limit=limit, cursor=cursor)
    # Built directly (the schema above documents it): validating 20 nested items through
    # pydantic on every search costs more than the query itself.
    return JsonResponse({"items": [slot_json(s) for s in items], "next": next_cursor})


@api.get(
    "/availability",
    response={200: AvailabilityOut, 422: ErrorOut, 429: ErrorOut},
    throttle=[SettingsRateThrottle("RATELIMIT_SEARCH")],
    summary="Free slots of many practitioners in a date window, in one compact answer",
    url_name="availability",
)
def get_availability(
    request: HttpRequest,
    date_from: dt.date,
    date_to: dt.date,
    filters: Query[SearchFilters],
):
    """Per practitioner, every open slot of the window (at most 31 days), earliest first, on the
    same filters and channel rules as `/slots`. Each slot is an array in the order of
    `slot_fields`: id, start, end (local time with offset), unit id, financing, televisit.
    `truncated` is true when the window held more than 20,000 slots (narrow the filters)."""
    form = AvailabilityForm(request.GET)
    if not form.is_valid():
        return search_refused(form)
    result = availability(form.to_query())
    # Serialized with orjson straight from tuples (the schema above documents the shape).
    return HttpResponse(orjson.dumps(result.as_dict()), content_type="application/json")


@api.post(
    "/appointments",
    response={201: AppointmentOut, 400: ErrorOut, 409: SlotTakenOut, 422: ErrorOut, 429: ErrorOut},
    throttle=[SettingsRateThrottle("RATELIMIT_BOOKING")],
    summary="Book a free slot",
)
def create_appointment(request: HttpRequest, payload: AppointmentIn):
    patient = payload.patient.dict() if payload.patient else {}
    data = {
        **{k: (v or "") for k, v in patient.items()},
        "note": payload.note or "",
        "accept_requirements": payload.accept_requirements,  # the shared form takes the boolean as is
    }
    if payload.slot is None:
        return Status(422, error("invalid", INVALID, {"slot": ["Wybierz termin."]}))
    appointment = booking.book_appointment(payload.slot, data, source=Source.API)
    return Status(
        201,
        {
            "id": appointment.pk,
            "status": appointment.status,
            "slot": appointment.slot_id,
            "start": localtime(appointment.start),
            "reference": appointment.reference,
            "cancel_token": appointment.cancel_token,
            "payment": _payment_of(appointment),
        },
    )


def _payment_of(appointment) -> dict | None:
    payment = Payment.objects.filter(appointment=appointment).first()
    if payment is None:
        return None
    return {
        "status": payment.status,
        "required": payment.required,
        "amount": f"{payment.amount:.2f}",
        "deadline": localtime(payment.deadline) if payment.deadline else None,
        "url": pay_url(payment),
    }


@api.post(
    "/appointments/{appointment_id}/cancel",
    response={200: CancelOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=[SettingsRateThrottle("RATELIMIT_BOOKING")],
    summary="Cancel a visit with its cancel token",
)
def cancel_appointment(request: HttpRequest, appointment_id: Annotated[int, Path(ge=1, le=MAX_PK)], payload: CancelIn):
    appointment = booking.cancel_appointment_by_patient(appointment_id, payload.token, reason=payload.reason)
    return Status(200, {"id": appointment.pk, "status": appointment.status})


# -- integrations (A7): an external clinic system's credentials ----------------------------------

UNAUTHORIZED = "Nieprawidłowy identyfikator klienta lub sekret (albo dane dostępowe unieważniono)."


class ClientCredentials(HttpBasicAuth):
    """HTTP Basic with the credential's client id and secret (A7)."""

    def authenticate(self, request: HttpRequest, username: str, password: str):
        # Counted before the check, good and bad alike, per IP: ninja runs throttles only after
        # a successful login, so guessing would otherwise be unlimited.
        if is_ratelimited(
            request,
            group="integrations-ping",
            key=lambda _group, req: client_ip(req),
            rate=settings.RATELIMIT_BOOKING,
            increment=True,
        ):
            raise HttpError(429, RATE_LIMITED)
        credential = integrations.authenticate(username, password)
        if credential is not None:
            request.api_credential = credential  # type: ignore[attr-defined]
        return credential


@api.exception_handler(AuthenticationError)
def on_unauthorized(request: HttpRequest, exc: AuthenticationError):
    response = api.create_response(request, error("unauthorized", UNAUTHORIZED), status=401)
    response["WWW-Authenticate"] = 'Basic realm="terminarz-integracje"'
    return response


class PingOut(Schema):
    status: Literal["ok"]
    client_id: str
    provider: str
    scopes: list[str]
    time: dt.datetime


@api.post(
    "/integrations/ping",
    auth=ClientCredentials(),
    response={200: PingOut, 401: ErrorOut, 429: ErrorOut},
    throttle=[SettingsRateThrottle("RATELIMIT_BOOKING")],
    summary="Check an integration's credentials; records the contact (connection status)",
)
def integration_ping(request: HttpRequest):
    credential = integrations.record_contact(request.api_credential)  # type: ignore[attr-defined]
    return Status(
        200,
        {
            "status": "ok",
            "client_id": credential.client_id,
            "provider": credential.provider.name,
            "scopes": credential.scopes,
            "time": localtime(credential.last_contact_at),
        },
    )
