"""How the FHIR API answers: `application/fhir+json`, errors as OperationOutcome (never cached),
searchsets with `self` / `next` links, and the per-IP limit of the public reads."""

import functools
from collections.abc import Callable, Iterable

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django_ratelimit.core import is_ratelimited

from terminarz.core.ratelimit import client_ip

from . import codes, resources
from .params import SearchError

RATE_LIMITED = "Zbyt wiele zapytań z tego adresu. Odczekaj chwilę i spróbuj ponownie."
MAX_OFFSET = 10_000


def fhir_response(body: dict, status: int = 200, *, private: bool = False) -> HttpResponse:
    response = HttpResponse(orjson.dumps(body), status=status, content_type=f"{codes.FHIR_JSON}; charset=utf-8")
    # A clinic system's answers (patients, visits) and every error are never kept by a cache.
    response["Cache-Control"] = "no-store" if status >= 400 or private else "public, max-age=60"
    response["Vary"] = "Authorization"  # a clinic system's token sees more than the public
    return response


def outcome(status: int, code: str, text: str, issue: str = "invalid", *, issues: list[dict] | None = None):
    return fhir_response(resources.operation_outcome(code, text, issue=issue, more=issues), status)


def not_found(resource_type: str, resource_id: str) -> HttpResponse:
    return outcome(404, "not_found", f"Nie znaleziono {resource_type}/{resource_id}.", issue="not-found")


def rate_limited(request: HttpRequest, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key=lambda _group, req: client_ip(req), rate=rate, increment=True)


def limited(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Per-IP rate limit of the public reads (the API's search rate), answered as FHIR does."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if rate_limited(request, "fhir", settings.RATELIMIT_SEARCH):
            return outcome(429, "rate_limited", RATE_LIMITED, issue="throttled")
        return view(request, *args, **kwargs)

    return wrapper


def int_param(request: HttpRequest, name: str, default: int, maximum: int, *, refuse_above: bool = False) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or (refuse_above and int(raw) > maximum):
        raise SearchError("invalid_param", f"„{name}” musi być liczbą od 0 do {maximum}.")
    return min(int(raw), maximum)


def searchset(
    request: HttpRequest,
    kind: str,
    rows: list,
    *,
    count: int,
    offset: int,
    build: Callable[[object], dict],
    private: bool = False,
    extra: Iterable[dict] = (),
) -> HttpResponse:
    """One page of a search: `rows` holds up to count + 1 rows (the extra one says "more")."""
    more = len(rows) > count and count > 0 and offset + count <= MAX_OFFSET
    rows = rows[:count]
    base = resources.site_url(request.path)
    query = request.GET.copy()
    links = [{"relation": "self", "url": base + ("?" + query.urlencode() if query else "")}]
    if more:
        query["_offset"] = str(offset + count)
        query["_count"] = str(count)
        links.append({"relation": "next", "url": f"{base}?{query.urlencode()}"})
    entries = [
        {
            "fullUrl": resources.site_url(f"/fhir/r4/{kind}/{row.pk}"),
            "resource": build(row),
            "search": {"mode": "match"},
        }
        for row in rows
    ]
    entries += list(extra)
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries}
    return fhir_response(bundle, private=private)
