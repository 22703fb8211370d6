"""Public REST API v1. Thin: parse input, call a service, shape the output."""

from django.http import HttpRequest, JsonResponse
from django.utils.timezone import localtime
from ninja import NinjaAPI, Status
from ninja.errors import HttpError, ValidationError

from terminarz.booking import services as booking
from terminarz.booking.errors import BookingError, SlotTaken
from terminarz.booking.models import Source
from terminarz.core.ratelimit import SettingsRateThrottle
from terminarz.scheduling.forms import SlotSearchForm
from terminarz.scheduling.search import search_slots

from .schemas import (
    AppointmentIn,
    AppointmentOut,
    CancelIn,
    CancelOut,
    ErrorOut,
    SlotPage,
    SlotTakenOut,
)

api = NinjaAPI(
    title="Terminarz API",
    version="1.0.0",
    description="Wolne terminy i rezerwacje wizyt. Public endpoints need no login; they are rate-limited per IP.",
    urls_namespace="api-v1",
    docs_url="/docs",
)


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


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", []) if p not in ("body", "query", "path", "payload")]
        errors.setdefault(".".join(loc) or "body", []).append("Nieprawidłowa wartość.")
    return api.create_response(request, error("invalid", "Nieprawidłowe dane.", errors), status=422)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    code = {429: "rate_limited", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
    message = (
        "Zbyt wiele zapytań z tego adresu. Odczekaj chwilę i spróbuj ponownie." if exc.status_code == 429 else str(exc)
    )
    return api.create_response(request, error(code, message), status=exc.status_code)


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


@api.get(
    "/slots",
    response={200: SlotPage, 422: ErrorOut, 429: ErrorOut},
    throttle=[SettingsRateThrottle("RATELIMIT_SEARCH")],
    summary="Search free slots, earliest first",
)
def list_slots(
    request: HttpRequest,
    specialization: str | None = None,
    city: str | None = None,
    provider: str | None = None,
    unit: str | None = None,
    practitioner: str | None = None,
    financing: str | None = None,
    visit_kind: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    limit: str | None = None,
    cursor: str | None = None,
):
    form = SlotSearchForm(request.GET)
    if not form.is_valid():
        errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
        return Status(422, error("invalid", "Nieprawidłowe parametry wyszukiwania.", errors))
    items, next_cursor = search_slots(
        form.to_query(),
        limit=form.cleaned_data.get("limit") or 20,
        cursor=form.cleaned_data.get("cursor") or None,
    )
    # Built directly (the schema above documents it): validating 20 nested items through
    # pydantic on every search costs more than the query itself.
    return JsonResponse({"items": [slot_json(s) for s in items], "next": next_cursor})


@api.post(
    "/appointments",
    response={201: AppointmentOut, 409: SlotTakenOut, 422: ErrorOut, 429: ErrorOut},
    throttle=[SettingsRateThrottle("RATELIMIT_BOOKING")],
    summary="Book a free slot",
)
def create_appointment(request: HttpRequest, payload: AppointmentIn):
    patient = payload.patient.dict() if payload.patient else {}
    data = {
        **{k: (v or "") for k, v in patient.items()},
        "note": payload.note or "",
        "accept_requirements": "on" if payload.accept_requirements else "",
    }
    if payload.slot is None:
        return Status(422, error("invalid", "Nieprawidłowe dane.", {"slot": ["Wybierz termin."]}))
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
        },
    )


@api.post(
    "/appointments/{appointment_id}/cancel",
    response={200: CancelOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=[SettingsRateThrottle("RATELIMIT_BOOKING")],
    summary="Cancel a visit with its cancel token",
)
def cancel_appointment(request: HttpRequest, appointment_id: str, payload: CancelIn):
    appointment = booking.cancel_appointment_by_patient(appointment_id, payload.token, reason=payload.reason)
    return Status(200, {"id": appointment.pk, "status": appointment.status})
