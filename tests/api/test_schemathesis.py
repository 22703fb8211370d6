"""Contract test: every answer of API v1 is one its OpenAPI document lists (status, content type,
body schema), never a server error; generated from `/api/v1/openapi.json` by schemathesis.

Bounded: a few dozen generated requests per operation, no deadline, examples + fuzzing phases
(positive and negative data), so the file runs in seconds on SQLite and PostgreSQL."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from terminarz.core import clock
from tests.factories import clinic

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # acts on negative cases only: they must get a 4xx
]


# Loaded once at collection (openapi.json needs no database); the generated requests go through
# the real WSGI stack, inside each test's transaction (see `wsgi_requests_in_test_transaction`).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
schema.config.phases.update(phases=["examples", "fuzzing"])
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.fixture(autouse=True)
def wsgi_requests_in_test_transaction(settings):
    """As Django's test client does: no closing of "old" connections after each request, which
    would drop the test's transaction. Rate limits off: 429 is documented, but the test wants
    the operations' own answers."""
    settings.RATELIMIT_ENABLE = False
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def open_slots(db):
    clinic(today=clock.now().date(), days=2)  # free slots to find and book


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_only_what_it_documents(case, open_slots):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.parametrize("raw", ["\x00", "nie-json", "{", '{"slot": 1,}'])
@pytest.mark.parametrize(
    "path", ["/api/v1/appointments", "/api/v1/appointments/{appointment_id}/cancel"], ids=["book", "cancel"]
)
def test_unparseable_body_is_answered_as_documented(db, path, raw):
    """A body that is not JSON at all (no generator sends one): the documented structured 400."""
    operation = schema[path]["POST"]
    case = operation.Case(
        path_parameters={"appointment_id": 1} if "{appointment_id}" in path else None,
        body=raw,
        media_type="text/plain",
    )
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"
