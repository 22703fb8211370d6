"""The FHIR R4 API's public part (K1): `metadata`, read and search of what the portal shows
anyone – organizations, locations, units (HealthcareService), practitioners, schedules and open
slots. Thin: the queries are the booking channels' own (`booking.channels`, the API channel),
the resources come from `resources`. Every error is an OperationOutcome with a stable code;
no input gives a 500."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from terminarz.booking.public import (
    public_locations,
    public_practitioners,
    public_providers,
    public_roles,
    public_schedules,
    public_slots,
    public_units,
)
from terminarz.catalog.dictionaries import DEPARTMENT_CODES
from terminarz.core import clock
from terminarz.staff.models import Practitioner

from . import codes, operations, private, resources, writes
from .auth import SystemCaller, Unauthorized, with_caller
from .params import DEFAULT_COUNT, MAX_COUNT, SearchError, checked_values, date_bounds, ids, reference_id, token_code
from .responses import MAX_OFFSET, fhir_response, int_param, limited, not_found, outcome, searchset

# -- building -------------------------------------------------------------------------------


def build(kind: str, row) -> dict:
    if kind == "Organization":
        return resources.organization(row)
    if kind == "Location":
        return resources.location(row, phone=row.provider.phone)
    if kind == "HealthcareService":
        return resources.healthcare_service(row, DEPARTMENT_CODES.get(row.department_code, ""))
    if kind == "Practitioner":
        return resources.practitioner(row)
    if kind == "PractitionerRole":
        return resources.practitioner_role(
            row, specializations=row.practitioner.specializations.all(), phone=row.unit.provider.phone
        )
    if kind == "Schedule":
        return resources.schedule(row, specializations=row.practitioner.specializations.all(), phone=row.provider.phone)
    return resources.slot(row.pk, row.schedule_id, row.start, row.end)


def queryset(kind: str, now: dt.datetime) -> QuerySet:
    if kind == "Organization":
        return public_providers().order_by("pk")
    if kind == "Location":
        return public_locations().select_related("provider").order_by("pk")
    if kind == "HealthcareService":
        return public_units().order_by("pk")
    if kind == "Practitioner":
        return public_practitioners().order_by("pk")
    if kind == "PractitionerRole":
        return public_roles().order_by("pk")
    if kind == "Schedule":
        return public_schedules(clock.local_today(at=now)).order_by("pk")
    return public_slots(now).order_by("start", "pk")


TYPES = ("Organization", "Location", "HealthcareService", "Practitioner", "PractitionerRole", "Schedule", "Slot")
# Search parameters per type (besides _count, _offset); CapabilityStatement lists the same.
SEARCH_PARAMS: dict[str, dict[str, str]] = {
    "Organization": {"_id": "token", "identifier": "token", "name": "string"},
    "Location": {"_id": "token", "organization": "reference", "address-city": "string", "address-state": "string"},
    "HealthcareService": {
        "_id": "token",
        "organization": "reference",
        "location": "reference",
        "service-type": "token",
    },
    "Practitioner": {"_id": "token", "identifier": "token", "name": "string"},
    "PractitionerRole": {
        "_id": "token",
        "practitioner": "reference",
        "organization": "reference",
        "location": "reference",
        "service": "reference",
        "specialty": "token",
    },
    "Schedule": {"_id": "token", "actor": "reference", "specialty": "token", "service-type": "token"},
    "Slot": {
        "_id": "token",
        "schedule": "reference",
        "status": "token",
        "start": "date",
        "specialty": "token",
        "service-type": "token",
    },
}


def apply_search(kind: str, qs: QuerySet, request: HttpRequest, now: dt.datetime) -> QuerySet:
    for name, values in checked_values(request, SEARCH_PARAMS[kind], kind):
        for value in values:
            qs = _filter(kind, qs, name, value)
    return qs


def _filter(kind: str, qs: QuerySet, name: str, value: str) -> QuerySet:
    if name == "_id":
        return qs.filter(pk__in=ids(value))
    if kind == "PractitionerRole" and name in ("practitioner", "organization", "location", "service"):
        lookup, target = {
            "practitioner": ("practitioner_id", "Practitioner"),
            "organization": ("unit__provider_id", "Organization"),
            "location": ("unit__location_id", "Location"),
            "service": ("unit_id", "HealthcareService"),
        }[name]
        return qs.filter(**{lookup: reference_id(value, target)})
    if kind == "Organization" and name == "identifier":
        system, code = token_code(value)
        if system in ("", codes.NIP):
            return qs.filter(nip=code) if system else qs.filter(Q(nip=code) | Q(regon=code))
        if system in (codes.REGON_9, codes.REGON_14):
            return qs.filter(regon=code)
        return qs.none()
    if kind == "Practitioner" and name == "identifier":
        system, code = token_code(value)
        return qs.filter(pwz=code) if system in ("", codes.NPWZ) else qs.none()
    if name == "name":
        words = value.split()[:5]
        for word in words:
            field = "name__icontains" if kind == "Organization" else None
            qs = (
                qs.filter(**{field: word})
                if field
                else qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
            )
        return qs
    if name == "organization":
        return qs.filter(provider_id=reference_id(value, "Organization"))
    if name == "address-city":
        return qs.filter(city__iexact=value.strip())
    if name == "address-state":
        wanted = {code for code, label in resources.VOIVODESHIPS.items() if label == value.strip().lower()}
        return qs.filter(voivodeship__in=wanted)
    if name == "location":
        return qs.filter(location_id=reference_id(value, "Location"))
    if name == "service-type":
        system, code = token_code(value)
        if system not in ("", codes.DEPARTMENT):
            return qs.none()
        field = {"HealthcareService": "department_code", "Schedule": "unit__department_code"}.get(
            kind, "unit__department_code"
        )
        return qs.filter(**{field: code})
    if name == "specialty":
        system, code = token_code(value)
        if system not in ("", codes.SPECIALIZATION):
            return qs.none()
        # A subquery, not a join: repeating the parameter must not multiply the joined rows.
        with_specialty = Practitioner.objects.filter(specializations__code=code).values("pk")
        return qs.filter(practitioner_id__in=with_specialty)
    if name == "actor":
        for prefix, field in (
            ("Practitioner/", "practitioner_id"),
            ("Location/", "unit__location_id"),
            ("HealthcareService/", "unit_id"),
        ):
            if value.startswith(prefix):
                return qs.filter(**{field: reference_id(value, prefix[:-1])})
        raise SearchError("invalid_param", "„actor” to Practitioner/<id>, Location/<id> albo HealthcareService/<id>.")
    if name == "schedule":
        return qs.filter(schedule_id=reference_id(value, "Schedule"))
    if name == "status":
        # Publicly only open slots are listed: "free" keeps them, any other status lists none.
        statuses = {part.strip() for part in value.split(",")}
        unknown = statuses - {"free", "busy", "busy-tentative", "busy-unavailable", "entered-in-error"}
        if unknown:
            raise SearchError("invalid_param", f"Nieznany status „{sorted(unknown)[0][:40]}”.")
        return qs if "free" in statuses else qs.none()
    if name == "start":
        lower, upper = date_bounds(value)
        if lower is not None:
            qs = qs.filter(start__gte=lower)
        if upper is not None:
            qs = qs.filter(start__lt=upper)
        return qs
    raise SearchError("unknown_param", f"Parametr „{name}” nie jest obsługiwany dla {kind}.")


def _private(kind: str, caller: SystemCaller | None) -> bool:
    """Patients and visits are a clinic system's only; so are its slots in every state."""
    if kind in private.TYPES:
        if caller is None:
            raise Unauthorized(
                f"{kind} udostępniamy tylko systemowi placówki: pobierz token w /fhir/auth/token.",
                error="invalid_request",
            )
        return True
    return kind == "Slot" and caller is not None and private.READ_SCOPE["Slot"] in caller.scopes


def unknown_type(kind: str) -> HttpResponse:
    return outcome(404, "unknown_type", f"Typ zasobu „{kind[:40]}” nie jest obsługiwany.", issue="not-supported")


@csrf_exempt
def collection(request: HttpRequest, kind: str) -> HttpResponseBase:
    """GET searches; POST of a Schedule or a Slot is a clinic system's write (`writes.create`)."""
    if request.method == "POST" and kind in ("Schedule", "Slot"):
        return _create(request, kind)
    return search(request, kind)


@with_caller
def _create(request: HttpRequest, kind: str, caller: SystemCaller | None = None) -> HttpResponse:
    if caller is None:
        raise Unauthorized(f"Zapis {kind} wymaga tokenu systemu placówki z /fhir/auth/token.", error="invalid_request")
    return writes.create(request, kind, caller)


@with_caller
def _patch(request: HttpRequest, kind: str, resource_id: str, caller: SystemCaller | None = None) -> HttpResponse:
    if caller is None:
        raise Unauthorized(f"Zmiana {kind} wymaga tokenu systemu placówki z /fhir/auth/token.", error="invalid_request")
    if kind == "Schedule":
        return writes.patch_schedule(request, resource_id, caller)
    return writes.patch_slot(request, resource_id, caller)


@require_GET
@limited
@with_caller
def search(request: HttpRequest, kind: str, caller: SystemCaller | None = None) -> HttpResponse:
    if kind not in TYPES and kind not in private.TYPES:
        return unknown_type(kind)
    if _private(kind, caller):
        assert caller is not None
        return private.search(request, kind, caller)
    now = clock.now()
    try:
        count = int_param(request, "_count", DEFAULT_COUNT, MAX_COUNT)
        offset = int_param(request, "_offset", 0, MAX_OFFSET, refuse_above=True)
        qs = apply_search(kind, queryset(kind, now), request, now)
    except SearchError as error:
        return outcome(400, error.code, error.message)
    rows = list(qs[offset : offset + count + 1])
    return searchset(request, kind, rows, count=count, offset=offset, build=lambda row: build(kind, row))


@require_GET
@limited
@with_caller
def read(request: HttpRequest, kind: str, resource_id: str, caller: SystemCaller | None = None) -> HttpResponse:
    if kind not in TYPES and kind not in private.TYPES:
        return unknown_type(kind)
    if _private(kind, caller):
        assert caller is not None
        return private.read(request, kind, resource_id, caller)
    if not (resource_id.isascii() and resource_id.isdigit() and len(resource_id) <= 10):
        return not_found(kind, resource_id[:64])
    row = queryset(kind, clock.now()).filter(pk=int(resource_id)).first()
    if row is None:
        return not_found(kind, resource_id)
    return fhir_response(build(kind, row))


@csrf_exempt
def resource(request: HttpRequest, kind: str, resource_id: str) -> HttpResponseBase:
    """GET reads; PATCH of an Appointment cancels it (`operations.patch`)."""
    if request.method == "PATCH" and kind == "Appointment":
        return operations.patch(request, resource_id)
    if request.method == "PATCH" and kind in ("Slot", "Schedule"):
        return _patch(request, kind, resource_id)
    return read(request, kind, resource_id)


PRIVATE_NOTE = "Tylko z tokenem systemu placówki (zakres system/<Typ>.read)."
OPERATIONS = [
    {"name": name, "definition": f"http://fhir.org/guides/argonaut/scheduling/OperationDefinition/appointment-{name}"}
    for name in ("find", "hold", "book")
]


def _capability(kind: str, params: dict[str, str], *, documentation: str = "") -> dict:
    interactions = [{"code": "read"}, {"code": "search-type"}]
    if kind in ("Schedule", "Slot"):
        interactions.append({"code": "create"})
    if kind in ("Appointment", "Schedule", "Slot"):
        interactions.append({"code": "patch"})
    entry: dict[str, object] = {
        "type": kind,
        "interaction": interactions,
        "searchParam": [
            {"name": name, "type": param_type} for name, param_type in params.items() if name != "_include"
        ],
    }
    if "_include" in params:
        entry["searchInclude"] = list(private.INCLUDES)
    if documentation:
        entry["documentation"] = documentation
    if kind == "Appointment":
        entry["operation"] = OPERATIONS
    return entry


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: exactly the types, interactions and search parameters above."""
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "publisher": "Terminarz",
        "kind": "instance",
        "implementation": {"description": "Terminarz – rejestracja on-line", "url": resources.site_url("/fhir/r4")},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": resources.site_url("/fhir/auth/token")}],
                        }
                    ],
                    "description": "Patient i Appointment (oraz Slot w każdym stanie) dla systemu placówki: "
                    "token OAuth2 (client credentials) z /fhir/auth/token.",
                },
                "resource": [
                    *[_capability(kind, SEARCH_PARAMS[kind]) for kind in TYPES],
                    *[
                        _capability(kind, private.SEARCH_PARAMS[kind], documentation=PRIVATE_NOTE)
                        for kind in private.TYPES
                    ],
                ],
            }
        ],
    }
    return fhir_response(statement)
