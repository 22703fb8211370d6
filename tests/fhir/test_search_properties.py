"""A property-based run against the FHIR search parameters (hypothesis, bounded examples):
whatever names and values a client sends, the answer is a Bundle (200) or an OperationOutcome
(400), never a 5xx, and always valid R4B."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import published_clinic, validate

pytestmark = pytest.mark.django_db

NAMES = [
    "_id",
    "schedule",
    "status",
    "start",
    "specialty",
    "service-type",
    "actor",
    "identifier",
    "name",
    "organization",
    "location",
    "address-city",
    "address-state",
    "_count",
    "_offset",
]
PREFIXED_DATES = st.builds(
    lambda prefix, text: prefix + text,
    st.sampled_from(["", "ge", "gt", "le", "lt", "eq", "ne", "sa"]),
    st.one_of(
        st.dates().map(str),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.text(max_size=30),
    ),
)
VALUES = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
    PREFIXED_DATES,
    st.sampled_from(["Schedule/1", "Practitioner/1", "Location/1", "x|y", "|", "free,busy", "1,2,3"]),
)
PARAMS = st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=12)), VALUES, max_size=4)
KINDS = st.sampled_from(["Slot", "Schedule", "Location", "Practitioner", "Organization", "HealthcareService"])


@pytest.fixture
def world(frozen, today):
    return published_clinic(today, days=2)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=KINDS, params=PARAMS)
def test_no_search_input_breaks_the_server(client, world, kind, params):
    clean = {name.replace("\x00", ""): value.replace("\x00", "") for name, value in params.items()}
    response = client.get(f"/fhir/r4/{kind}", clean)
    body = json.loads(response.content)
    # The answer's kind follows from its status, and only these two statuses exist (a 5xx has no
    # entry here, so it fails the test).
    expected = {200: "Bundle", 400: "OperationOutcome"}
    assert body["resourceType"] == expected[response.status_code]
    validate(body)


WELL_FORMED = st.fixed_dictionaries(
    {},
    optional={
        "start": st.builds(lambda p, d: p + d.isoformat(), st.sampled_from(["ge", "gt", "le", "lt", ""]), st.dates()),
        "status": st.sampled_from(["free", "busy", "free,busy"]),
        "specialty": st.sampled_from(["kardiologia", "urn:terminarz:specjalizacja|dermatologia"]),
        "service-type": st.sampled_from(["1100", "1200"]),
        "_count": st.integers(min_value=0, max_value=500).map(str),
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=WELL_FORMED)
def test_well_formed_slot_searches_always_answer_a_bundle(client, world, params):
    response = client.get("/fhir/r4/Slot", params)
    assert (response.status_code, json.loads(response.content)["resourceType"]) == (200, "Bundle")
