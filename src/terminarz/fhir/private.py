"""A provider's own data for its clinic system (bearer token, `auth.SystemCaller`): Patient and
Appointment, and with `system/Slot.read` every slot of the provider in any state. Each query runs
in the provider's tenancy scope and also filters by the provider, so an id of another provider
is simply not found."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from terminarz.booking.models import Appointment
from terminarz.catalog.dictionaries import DEPARTMENT_CODES
from terminarz.core import clock
from terminarz.core.crypto import lookup_hash
from terminarz.core.tenancy import provider_scope
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Slot, SlotState
from terminarz.staff.models import Practitioner

from . import codes, resources
from .auth import SystemCaller
from .params import (
    DEFAULT_COUNT,
    MAX_COUNT,
    SearchError,
    checked_values,
    date_bounds,
    ids,
    local_date,
    reference_id,
    token_code,
)
from .responses import MAX_OFFSET, fhir_response, int_param, not_found, outcome, searchset

TYPES = ("Patient", "Appointment")
READ_SCOPE = {
    "Patient": "system/Patient.read",
    "Appointment": "system/Appointment.read",
    "Slot": "system/Slot.read",
}
SEARCH_PARAMS: dict[str, dict[str, str]] = {
    "Patient": {"_id": "token", "identifier": "token", "name": "string", "birthdate": "date"},
    "Appointment": {
        "_id": "token",
        "identifier": "token",
        "patient": "reference",
        "practitioner": "reference",
        "slot": "reference",
        "date": "date",
        "status": "token",
        "_include": "special",
    },
    "Slot": {"_id": "token", "schedule": "reference", "status": "token", "start": "date"},
}
SLOT_STATES = {
    "free": [SlotState.FREE],
    "busy-tentative": [SlotState.HELD],
    "busy": [SlotState.BOOKED],
    "busy-unavailable": [SlotState.BLOCKED],
    "entered-in-error": [],
}


def queryset(kind: str, caller: SystemCaller) -> QuerySet:
    if kind == "Patient":
        return Patient.objects.filter(provider_id=caller.provider_id).order_by("pk")
    if kind == "Appointment":
        return Appointment.objects.filter(provider_id=caller.provider_id).select_related("unit").order_by("start", "pk")
    return Slot.objects.filter(provider_id=caller.provider_id).order_by("start", "pk")


def build(kind: str, row, now: dt.datetime) -> dict:
    if kind == "Patient":
        return resources.patient(row)
    if kind == "Appointment":
        return resources.appointment(row, department_name=DEPARTMENT_CODES.get(row.unit.department_code, ""))
    status = resources.slot_status(row.state, row.out_of_schedule, row.hold_until, now)
    return resources.slot(row.pk, row.schedule_id, row.start, row.end, status=status)


def search(request: HttpRequest, kind: str, caller: SystemCaller) -> HttpResponse:
    caller.require(READ_SCOPE[kind])
    now = clock.now()
    with provider_scope(caller.provider_id):
        try:
            count = int_param(request, "_count", DEFAULT_COUNT, MAX_COUNT)
            offset = int_param(request, "_offset", 0, MAX_OFFSET, refuse_above=True)
            qs = queryset(kind, caller)
            includes: set[str] = set()
            for name, values in checked_values(request, SEARCH_PARAMS[kind], kind):
                if name == "_include":
                    includes |= _includes(values, caller)
                    continue
                for value in values:
                    qs = _filter(kind, qs, name, value)
        except SearchError as error:
            return outcome(400, error.code, error.message)
        rows = list(qs[offset : offset + count + 1])
        extra = _included(rows[:count], includes, caller)
        return searchset(
            request,
            kind,
            rows,
            count=count,
            offset=offset,
            build=lambda row: build(kind, row, now),
            private=True,
            extra=extra,
        )


INCLUDES = {"Appointment:patient": "system/Patient.read", "Appointment:practitioner": "system/Appointment.read"}


def _includes(values: list[str], caller: SystemCaller) -> set[str]:
    wanted = {part.strip() for value in values for part in value.split(",")}
    unknown = wanted - set(INCLUDES)
    if unknown:
        raise SearchError("invalid_param", f"„_include” obsługuje: {', '.join(INCLUDES)}.")
    for name in wanted:
        caller.require(INCLUDES[name])
    return wanted


def _included(rows: list, includes: set[str], caller: SystemCaller) -> list[dict]:
    """The resources `_include` asked for, once each, after the matches (search mode include)."""
    entries = []
    if "Appointment:patient" in includes:
        ids = sorted({row.patient_id for row in rows if row.patient_id})
        for patient in Patient.objects.filter(provider_id=caller.provider_id, pk__in=ids).order_by("pk"):
            entries.append(_entry("Patient", patient.pk, resources.patient(patient)))
    if "Appointment:practitioner" in includes:
        ids = sorted({row.practitioner_id for row in rows})
        for person in Practitioner.objects.filter(provider_id=caller.provider_id, pk__in=ids).order_by("pk"):
            entries.append(_entry("Practitioner", person.pk, resources.practitioner(person)))
    return entries


def _entry(kind: str, pk: int, resource: dict) -> dict:
    return {
        "fullUrl": resources.site_url(f"/fhir/r4/{kind}/{pk}"),
        "resource": resource,
        "search": {"mode": "include"},
    }


def read(request: HttpRequest, kind: str, resource_id: str, caller: SystemCaller) -> HttpResponse:
    caller.require(READ_SCOPE[kind])
    if not (resource_id.isascii() and resource_id.isdigit() and len(resource_id) <= 10):
        return not_found(kind, resource_id[:64])
    with provider_scope(caller.provider_id):
        row = queryset(kind, caller).filter(pk=int(resource_id)).first()
        if row is None:
            return not_found(kind, resource_id)
        return fhir_response(build(kind, row, clock.now()), private=True)


def _filter(kind: str, qs: QuerySet, name: str, value: str) -> QuerySet:
    if name == "_id":
        return qs.filter(pk__in=ids(value))
    if kind == "Patient":
        if name == "identifier":
            system, code = token_code(value)
            if system not in ("", codes.PESEL) or not (code.isascii() and code.isdigit()):
                return qs.none()
            return qs.filter(pesel_hash=lookup_hash(code))
        if name == "name":
            for word in value.split()[:5]:
                qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
            return qs
        if name == "birthdate":
            lower, upper = date_bounds(value)
            if lower is not None:
                qs = qs.filter(birth_date__gte=local_date(lower))
            if upper is not None:
                qs = qs.filter(birth_date__lt=local_date(upper))
            return qs
    if kind == "Appointment":
        if name == "identifier":
            system, code = token_code(value)
            return qs.filter(reference=code.upper()) if system in ("", codes.BOOKING_REFERENCE) else qs.none()
        if name == "patient":
            return qs.filter(patient_id=reference_id(value, "Patient"))
        if name == "practitioner":
            return qs.filter(practitioner_id=reference_id(value, "Practitioner"))
        if name == "slot":
            return qs.filter(slot_id=reference_id(value, "Slot"))
        if name == "date":
            return _between(qs, value)
        if name == "status":
            wanted = {part.strip() for part in value.split(",")}
            unknown = wanted - set(resources.STATUS_OF_FHIR) - {"proposed", "arrived", "checked-in", "waitlist"}
            if unknown:
                raise SearchError("invalid_param", f"Nieznany status „{sorted(unknown)[0][:40]}”.")
            ours = [status for theirs in wanted for status in resources.STATUS_OF_FHIR.get(theirs, [])]
            return qs.filter(status__in=ours)
    if kind == "Slot":
        if name == "schedule":
            return qs.filter(schedule_id=reference_id(value, "Schedule"))
        if name == "start":
            return _between(qs, value)
        if name == "status":
            wanted = {part.strip() for part in value.split(",")}
            unknown = wanted - set(SLOT_STATES)
            if unknown:
                raise SearchError("invalid_param", f"Nieznany status „{sorted(unknown)[0][:40]}”.")
            now = clock.now()
            matches = Q(pk__in=[])
            for status in wanted:
                matches |= _slot_status_q(status, now)
            return qs.filter(matches)
    raise SearchError("unknown_param", f"Parametr „{name}” nie jest obsługiwany dla {kind}.")


def _between(qs: QuerySet, value: str) -> QuerySet:
    lower, upper = date_bounds(value)
    if lower is not None:
        qs = qs.filter(start__gte=lower)
    if upper is not None:
        qs = qs.filter(start__lt=upper)
    return qs


def _slot_status_q(status: str, now: dt.datetime) -> Q:
    """The rows `resources.slot_status` gives this status (an expired hold is free)."""
    expired_hold = Q(state=SlotState.HELD, hold_until__lt=now)
    if status == "free":
        return Q(out_of_schedule=False) & (Q(state=SlotState.FREE) | expired_hold)
    if status == "busy-tentative":
        return Q(out_of_schedule=False, state=SlotState.HELD) & ~expired_hold
    if status == "busy":
        return Q(out_of_schedule=False, state=SlotState.BOOKED)
    if status == "busy-unavailable":
        return Q(state=SlotState.BLOCKED) | Q(out_of_schedule=True)
    return Q(pk__in=[])
