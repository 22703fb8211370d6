"""Who calls the FHIR API: anyone (the public part), or a clinic system with a bearer token
from the OAuth2 client-credentials grant on its A7 credential (`integrations`).

- `token` is the token endpoint (RFC 6749 §4.4): `grant_type=client_credentials`, the client
  authenticated by HTTP Basic or by `client_id` / `client_secret` in the form, `scope` optional
  (some of the credential's scopes). Errors are RFC 6749 §5.2's JSON.
- `smart_configuration` is the SMART discovery document naming the token endpoint.
- `caller(request)` reads `Authorization: Bearer …` into a `SystemCaller` (provider, scopes) –
  None without the header – and records the credential's contact (A7 "ostatni kontakt").
  A bad token raises `Unauthorized`; `SystemCaller.require(scope)` raises `Forbidden`.
"""

import base64
import binascii
import functools
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from terminarz.core.ratelimit import client_ip
from terminarz.integrations import services as integrations
from terminarz.integrations.models import SCOPES

from . import resources

RATE_LIMITED = "Zbyt wiele zapytań z tego adresu. Odczekaj chwilę i spróbuj ponownie."


class Unauthorized(Exception):
    """No valid bearer token where one was sent or is needed (401)."""

    def __init__(self, message: str, *, error: str = "invalid_token"):
        super().__init__(message)
        self.message, self.error = message, error


class Forbidden(Exception):
    """A valid token without the scope the call needs (403)."""

    def __init__(self, scope: str):
        super().__init__(scope)
        self.scope = scope
        self.message = f"Token nie obejmuje zakresu „{scope}”."


@dataclass(frozen=True)
class SystemCaller:
    provider_id: int
    credential_id: int
    client_id: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(scope)


def _oauth_error(error: str, description: str, status: int = 400) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps({"error": error, "error_description": description}),
        status=status,
        content_type="application/json",
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="terminarz-fhir"'
    return response


def _basic(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, ValueError):  # ValueError: not ASCII; UnicodeDecodeError is one
        return ("", "")
    client_id, _sep, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    # Counted before the secret is checked, good and bad alike: guessing is limited per IP.
    if is_ratelimited(
        request,
        group="fhir-token",
        key=lambda _group, req: client_ip(req),
        rate=settings.RATELIMIT_BOOKING,
        increment=True,
    ):
        return _oauth_error("slow_down", RATE_LIMITED, 429)
    if request.content_type != "application/x-www-form-urlencoded":
        return _oauth_error("invalid_request", "Wyślij formularz application/x-www-form-urlencoded.")
    form = request.POST
    if any(len(form.getlist(name)) > 1 for name in form):
        return _oauth_error("invalid_request", "Każdy parametr może wystąpić tylko raz.")
    if form.get("grant_type") != "client_credentials":
        return _oauth_error("unsupported_grant_type", "Obsługujemy tylko grant_type=client_credentials.")
    basic = _basic(request)
    if basic is not None and "client_secret" in form:
        return _oauth_error("invalid_request", "Uwierzytelnij klienta jednym sposobem: nagłówkiem albo formularzem.")
    client_id, secret = basic if basic is not None else (form.get("client_id", ""), form.get("client_secret", ""))
    try:
        issued, scopes, lifetime = integrations.issue_token(client_id[:100], secret[:200], form.get("scope"))
    except integrations.TokenError as error:
        return _oauth_error(error.error, error.message, error.status)
    response = HttpResponse(
        orjson.dumps(
            {"access_token": issued, "token_type": "bearer", "expires_in": lifetime, "scope": " ".join(scopes)}
        ),
        content_type="application/json",
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@require_GET
def smart_configuration(request: HttpRequest) -> HttpResponse:
    """SMART App Launch discovery: where a backend service gets its token, and which scopes."""
    body = {
        "token_endpoint": resources.site_url("/fhir/auth/token"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": [name for name, _label in SCOPES],
        "capabilities": ["client-confidential-symmetric"],
    }
    response = HttpResponse(orjson.dumps(body), content_type="application/json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def caller(request: HttpRequest) -> SystemCaller | None:
    """The clinic system behind the request's bearer token, None when no token was sent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized(
            "Użyj nagłówka „Authorization: Bearer <token>” z tokenem z /fhir/auth/token.", error="invalid_request"
        )
    found = integrations.token_owner(value.strip())
    if found is None:
        raise Unauthorized("Token jest nieprawidłowy, wygasł albo dane dostępowe unieważniono. Pobierz nowy token.")
    integrations.record_contact(found.credential)
    return SystemCaller(
        provider_id=found.provider_id,
        credential_id=found.credential_id,
        client_id=found.credential.client_id,
        scopes=frozenset(found.scopes),
    )


def with_caller(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Passes `caller=` to the view and answers a bad token (401) or a missing scope (403) with
    an OperationOutcome. Failed token checks count towards the per-IP limit of guesses."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            if "Authorization" in request.headers and is_ratelimited(
                request,
                group="fhir-bearer",
                key=lambda _group, req: client_ip(req),
                rate=settings.RATELIMIT_SEARCH,
                increment=True,
            ):
                return _outcome(429, "rate_limited", RATE_LIMITED, "throttled")
            found = caller(request)
            return view(request, *args, caller=found, **kwargs)
        except Unauthorized as error:
            response = _outcome(401, "unauthorized", error.message, "login")
            response["WWW-Authenticate"] = f'Bearer realm="terminarz-fhir", error="{error.error}"'
            return response
        except Forbidden as error:
            response = _outcome(403, "forbidden", error.message, "forbidden")
            response["WWW-Authenticate"] = (
                f'Bearer realm="terminarz-fhir", error="insufficient_scope", scope="{error.scope}"'
            )
            return response

    return wrapper


def _outcome(status: int, code: str, text: str, issue: str) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps(resources.operation_outcome(code, text, issue=issue)),
        status=status,
        content_type="application/fhir+json; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response
