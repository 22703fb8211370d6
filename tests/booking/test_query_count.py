"""Queries of one booking on the happy path (issue 10 tracks them down to six)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from terminarz.booking.services import book_appointment
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW, require_postgres
from tests.factories import PATIENT, clinic


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_api_booking_takes_fifteen_queries_in_a_test_transaction(today, frozen):
    require_postgres(connection)
    _, _, _, schedule = clinic(today=today, days=2)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    book_appointment(slots[0].pk, PATIENT, source="api")  # settings and lookups exist
    with CaptureQueriesContext(connection) as queries:
        book_appointment(slots[2].pk, {**PATIENT, "email": "b@example.com"}, source="api")
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    # slot with related rows, registration settings; savepoint (BEGIN outside tests); take the
    # slot; one lock statement (practitioner + person); patient, appointment, transition, audit;
    # confirmation message (select, savepoint, insert, release); NFZ queue entry; release.
    assert statements == [
        "SELECT",
        "SELECT",
        "SAVEPOINT",
        "UPDATE",
        "SELECT",
        "INSERT",
        "INSERT",
        "INSERT",
        "INSERT",
        "SELECT",
        "SAVEPOINT",
        "INSERT",
        "RELEASE",
        "INSERT",
        "RELEASE",
    ]
