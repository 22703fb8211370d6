"""The FHIR R4 API's public part (K1): `metadata`, read and search of what the portal shows
anyone – organizations, locations, units (HealthcareService), practitioners, schedules and open
slots. Thin: the queries are the booking channels' own (`booking.channels`, the API channel),
the resources come from `resources`. Every error is an OperationOutcome with a stable code;
no input gives a 500."""

import datetime as dt
import functools
from collections.abc import Callable

import orjson
from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from terminarz.booking import channels
from terminarz.booking.models import Source
from terminarz.catalog.dictionaries import DEPARTMENT_CODES
from terminarz.catalog.models import Specialization
from terminarz.core import clock
from terminarz.core.ratelimit import client_ip
from terminarz.providers.models import Location, LocationStatus, Provider, Unit
from terminarz.scheduling.models import Schedule, Slot
from terminarz.scheduling.search import BOOKABLE_ONLINE, closed_provider_ids
from terminarz.staff.models import Practitioner

from . import codes, resources
from .params import DEFAULT_COUNT, MAX_COUNT, SearchError, date_bounds, reference_id, token_code

MAX_OFFSET = 10_000
# Bounds on one query's size: repeats of a parameter, a value's length, ids in `_id`.
MAX_REPEATS = 4
MAX_VALUE = 200
MAX_IDS = 100


def fhir_response(body: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(orjson.dumps(body), status=status, content_type=f"{codes.FHIR_JSON}; charset=utf-8")
    response["Cache-Control"] = "no-store" if status >= 400 else "public, max-age=60"
    return response


def outcome(status: int, code: str, text: str, issue: str = "invalid") -> HttpResponse:
    return fhir_response(resources.operation_outcome(code, text, issue=issue), status)


def limited(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Per-IP rate limit of the public reads (the API's search rate), answered as FHIR does."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if is_ratelimited(
            request,
            group="fhir",
            key=lambda _group, req: client_ip(req),
            rate=settings.RATELIMIT_SEARCH,
            increment=True,
        ):
            return outcome(429, "rate_limited", RATE_LIMITED, issue="throttled")
        return view(request, *args, **kwargs)

    return wrapper


RATE_LIMITED = "Zbyt wiele zapytań z tego adresu. Odczekaj chwilę i spróbuj ponownie."


def not_found(resource_type: str, resource_id: str) -> HttpResponse:
    return outcome(404, "not_found", f"Nie znaleziono {resource_type}/{resource_id}.", issue="not-found")


# -- what is public (the portal's rules) ------------------------------------------------------


def public_providers() -> QuerySet[Provider]:
    return Provider.objects.filter(is_active=True)


def open_providers() -> QuerySet[Provider]:
    """Active providers taking bookings online (the portal's search hides the others)."""
    return public_providers().exclude(pk__in=closed_provider_ids())


def public_locations() -> QuerySet[Location]:
    return Location.objects.filter(provider__is_active=True, is_visible=True, status=LocationStatus.APPROVED)


def public_units() -> QuerySet[Unit]:
    return Unit.objects.filter(
        provider__is_active=True, is_visible=True, location__is_visible=True, location__status=LocationStatus.APPROVED
    )


def public_practitioners() -> QuerySet[Practitioner]:
    return Practitioner.objects.filter(BOOKABLE_ONLINE)


def public_schedules(today: dt.date) -> QuerySet[Schedule]:
    return (
        Schedule.objects.filter(
            is_published_online=True,
            practitioner__in=public_practitioners(),
            unit__in=public_units(),
        )
        .exclude(provider_id__in=closed_provider_ids())
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("practitioner", "unit", "provider")
        .prefetch_related(Prefetch("practitioner__specializations", queryset=Specialization.objects.order_by("name")))
    )


def public_slots(now: dt.datetime) -> QuerySet[Slot]:
    """The API channel's open slots whose schedule is public too (a slot keeps the unit it was
    generated in; the schedule says where it is offered now)."""
    return channels.open_slots_for(Source.API, now).filter(
        schedule__in=public_schedules(clock.local_today(at=now)).values("pk")
    )


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
    if kind == "Schedule":
        return public_schedules(clock.local_today(at=now)).order_by("pk")
    return public_slots(now).order_by("start", "pk")


TYPES = ("Organization", "Location", "HealthcareService", "Practitioner", "Schedule", "Slot")
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
IGNORED = {"_format", "_pretty"}


def apply_search(kind: str, qs: QuerySet, request: HttpRequest, now: dt.datetime) -> QuerySet:
    allowed = SEARCH_PARAMS[kind]
    for name in request.GET:
        if name in IGNORED or name in ("_count", "_offset"):
            continue
        if name not in allowed:
            raise SearchError("unknown_param", f"Parametr „{name}” nie jest obsługiwany dla {kind}.")
        values = request.GET.getlist(name)
        if any(ch < " " for value in values for ch in value):
            raise SearchError("invalid_param", f"„{name}”: usuń znaki sterujące z wartości.")
        if len(values) > MAX_REPEATS or any(len(value) > MAX_VALUE for value in values):
            raise SearchError(
                "too_complex", f"„{name}”: najwyżej {MAX_REPEATS} wartości po {MAX_VALUE} znaków w jednym zapytaniu."
            )
        for value in values:
            qs = _filter(kind, qs, name, value)
    return qs


def _ids(value: str) -> list[int]:
    try:
        found = [int(part) for part in value.split(",")[: MAX_IDS + 1]]
    except ValueError:
        raise SearchError("invalid_param", f"Nieprawidłowy identyfikator „{value[:40]}”.") from None
    if any(not 0 < number < 2**31 for number in found):
        raise SearchError("invalid_param", f"Nieprawidłowy identyfikator „{value[:40]}”.")
    if len(found) > MAX_IDS:
        raise SearchError("too_complex", f"Najwyżej {MAX_IDS} identyfikatorów w jednym zapytaniu.")
    return found


def _filter(kind: str, qs: QuerySet, name: str, value: str) -> QuerySet:
    if name == "_id":
        return qs.filter(pk__in=_ids(value))
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


def _int_param(request: HttpRequest, name: str, default: int, maximum: int, *, refuse_above: bool = False) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or (refuse_above and int(raw) > maximum):
        raise SearchError("invalid_param", f"„{name}” musi być liczbą od 0 do {maximum}.")
    return min(int(raw), maximum)


@require_GET
@limited
def search(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in TYPES:
        return outcome(404, "unknown_type", f"Typ zasobu „{kind[:40]}” nie jest obsługiwany.", issue="not-supported")
    now = clock.now()
    try:
        count = _int_param(request, "_count", DEFAULT_COUNT, MAX_COUNT)
        offset = _int_param(request, "_offset", 0, MAX_OFFSET, refuse_above=True)
        qs = apply_search(kind, queryset(kind, now), request, now)
    except SearchError as error:
        return outcome(400, error.code, error.message)
    rows = list(qs[offset : offset + count + 1])
    more = len(rows) > count and count > 0 and offset + count <= MAX_OFFSET
    rows = rows[:count]
    base = resources.site_url(request.path)
    query = request.GET.copy()
    links = [{"relation": "self", "url": base + ("?" + query.urlencode() if query else "")}]
    if more:
        query["_offset"] = str(offset + count)
        query["_count"] = str(count)
        links.append({"relation": "next", "url": f"{base}?{query.urlencode()}"})
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": resources.site_url(f"/fhir/r4/{kind}/{row.pk}"),
                "resource": build(kind, row),
                "search": {"mode": "match"},
            }
            for row in rows
        ],
    }
    return fhir_response(bundle)


@require_GET
@limited
def read(request: HttpRequest, kind: str, resource_id: str) -> HttpResponse:
    if kind not in TYPES:
        return outcome(404, "unknown_type", f"Typ zasobu „{kind[:40]}” nie jest obsługiwany.", issue="not-supported")
    if not (resource_id.isascii() and resource_id.isdigit() and len(resource_id) <= 10):
        return not_found(kind, resource_id[:64])
    row = queryset(kind, clock.now()).filter(pk=int(resource_id)).first()
    if row is None:
        return not_found(kind, resource_id)
    return fhir_response(build(kind, row))


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
                "resource": [
                    {
                        "type": kind,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": name, "type": param_type} for name, param_type in SEARCH_PARAMS[kind].items()
                        ],
                    }
                    for kind in TYPES
                ],
            }
        ],
    }
    return fhir_response(statement)
