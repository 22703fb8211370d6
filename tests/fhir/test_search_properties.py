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
    assert response.status_code in (200, 400)
    body = json.loads(response.content)
    assert body["resourceType"] == ("Bundle" if response.status_code == 200 else "OperationOutcome")
    validate(body)
