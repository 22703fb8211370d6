"""Live secret tokens out of the request log.

Some links carry their secret in the URL path (a waiting-list offer, a dependent's account
take-over, allauth's password-reset and e-mail confirmation keys) or in the ``t`` query
parameter (visit and waiting-list links). Django's ``django.request`` logger writes the path of
every 4xx/5xx answer ("Unprocessable Entity: /lista-rezerwowa/oferta/<token>/") and the
development server's ``django.server`` logger the whole request line, so whoever reads the logs
could use a link that still works. `RedactSecretTokens`, attached to both loggers in
``settings.LOGGING``, replaces those secrets in the message, its arguments and the request the
record carries (a copy of it: the request being served is left alone)."""

import copy
import logging
import re

from django.http import HttpRequest

REDACTED = "***"
_SEGMENT = r"[^/?#\s\"']+"
_PATTERNS = (
    re.compile(rf"(/lista-rezerwowa/oferta/){_SEGMENT}"),
    re.compile(rf"(/konto/przejmij/){_SEGMENT}/{_SEGMENT}"),
    re.compile(rf"(/konto/password/reset/key/){_SEGMENT}"),
    re.compile(rf"(/konto/confirm-email/){_SEGMENT}"),
    re.compile(r"((?:^|[?&])t=)[^&#\s\"']+"),
    re.compile(rf"(/gabinet/haslo/\d+/){_SEGMENT}"),
    re.compile(rf"(/gabinet/uzyskaj-dostep/wniosek/\d+/){_SEGMENT}"),
    re.compile(rf"(/gabinet/uzyskaj-dostep/potwierdz/\d+/){_SEGMENT}"),
    re.compile(rf"(/kalendarz/){_SEGMENT}"),  # a practitioner's or patient's calendar feed
)
_REPLACEMENTS = (
    rf"\g<1>{REDACTED}",
    rf"\g<1>{REDACTED}/{REDACTED}",
    rf"\g<1>{REDACTED}",
    rf"\g<1>{REDACTED}",
    rf"\g<1>{REDACTED}",
    rf"\g<1>{REDACTED}",
    rf"\g<1>{REDACTED}",
    rf"\g<1>{REDACTED}",
    rf"\g<1>{REDACTED}",
)


def redact(text: str) -> str:
    """The text with every secret token of a known link replaced by ``***``."""
    for pattern, replacement in zip(_PATTERNS, _REPLACEMENTS, strict=True):
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


def redacted_request(request: HttpRequest) -> HttpRequest:
    """A shallow copy of the request whose path, path_info, META strings and ``t`` parameter
    carry no secret (what error reports render), leaving the request being served untouched."""
    clean = copy.copy(request)
    clean.path = redact(request.path)
    clean.path_info = redact(request.path_info)
    clean.META = {key: _redact_value(value) for key, value in request.META.items()}
    # An integration's client id and secret (HTTP Basic) or bearer token; a visit's token (FHIR).
    for header in ("HTTP_AUTHORIZATION", "HTTP_X_APPOINTMENT_TOKEN"):
        if header in clean.META:
            clean.META[header] = REDACTED
    query = request.GET.copy()
    if "t" in query:
        query.setlist("t", [REDACTED])
    clean.GET = query  # type: ignore[assignment]  # a copy is mutable; nothing writes to it
    return clean


class RedactSecretTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            record.request = redacted_request(request)
        return True
