"""Queries of one booking on the happy path: at most six statements that do work (issue 10).

In a test the outer transaction is a savepoint; outside tests it is BEGIN/COMMIT, which Django
does not log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from terminarz.booking.models import AppointmentTransition
from terminarz.booking.services import book_appointment
from terminarz.core.models import AuditEntry
from terminarz.notifications.models import Message
from terminarz.payments.config import provider_config
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot
from terminarz.waiting.models import QueueEntry
from tests.conftest import FROZEN_NOW, require_postgres
from tests.factories import PATIENT, clinic

PESEL = "44051401458"


def _statements(queries) -> list[str]:
    return [q["sql"].split()[0] for q in queries.captured_queries]


@pytest.fixture
def slots(today, frozen):
    require_postgres(connection)
    _, _, _, schedule = clinic(today=today, days=2)
    settings_for(schedule.provider_id)  # made on first use; a clinic taking bookings has them
    provider_config(schedule.provider_id)  # payments off: cached like every provider's (payments.config)
    return list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_booking_without_pesel_is_five_statements(slots):
    with CaptureQueriesContext(connection) as queries:
        appointment = book_appointment(slots[2].pk, PATIENT, source="api")
    # the slot with its practitioner, unit, block, provider and registration settings; take the
    # slot and lock the practitioner and the person (RETURNING); the patient; the appointment;
    # its transition, audit entry, confirmation message and NFZ queue entry in one statement.
    assert _statements(queries) == ["SELECT", "SAVEPOINT", "UPDATE", "INSERT", "INSERT", "WITH", "RELEASE"]
    assert "pg_advisory_xact_lock" in queries.captured_queries[2]["sql"]
    assert AppointmentTransition.objects.filter(appointment=appointment).count() == 1
    assert AuditEntry.objects.filter(object_id=str(appointment.pk), action="appointment.confirmed").count() == 1
    assert Message.objects.get(idempotency_key=f"booking_confirmation:{appointment.pk}").kind == "booking_confirmation"
    assert QueueEntry.objects.get(appointment=appointment).source == "online"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_booking_with_a_new_pesel_adds_the_one_lookup_of_the_person(slots):
    with CaptureQueriesContext(connection) as queries:
        book_appointment(slots[2].pk, {**PATIENT, "pesel": PESEL}, source="api")
    # the record with this PESEL is looked up once (under the person's lock), not again to match
    assert _statements(queries) == ["SELECT", "SAVEPOINT", "UPDATE", "SELECT", "INSERT", "INSERT", "WITH", "RELEASE"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_returning_patient_is_matched_without_a_second_lookup(slots):
    first = book_appointment(slots[0].pk, {**PATIENT, "pesel": PESEL}, source="api")
    with CaptureQueriesContext(connection) as queries:
        again = book_appointment(slots[4].pk, {**PATIENT, "pesel": PESEL}, source="api")
    assert again.patient_id == first.patient_id
    # no patient INSERT; the NFZ first-visit rule asks for the earlier visits of the known person
    assert _statements(queries) == ["SELECT", "SAVEPOINT", "UPDATE", "SELECT", "SELECT", "INSERT", "WITH", "RELEASE"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_booking_held_for_payment_adds_only_the_payment_row(today, frozen):
    """H4: with a mandatory prepayment the slot is taken as a hold in the same UPDATE (the rule
    is known before the locks); the payment row is one INSERT, its transition, history and link
    go with the booking's other rows. The provider's payment settings, rules and services come
    from the cache (`payments.config`) once warm."""
    require_postgres(connection)
    from tests.payments.conftest import payment_clinic

    provider, _, practitioner, _ = payment_clinic(today=today)
    settings_for(provider.pk)
    slots = list(Slot.objects.filter(practitioner=practitioner, start__gt=FROZEN_NOW).order_by("start"))
    book_appointment(slots[10].pk, {**PATIENT, "email": "warm@example.com"}, source="api")  # warms the cache
    with CaptureQueriesContext(connection) as queries:
        appointment = book_appointment(slots[12].pk, PATIENT, source="api")
    assert appointment.status == "held"
    assert _statements(queries) == ["SELECT", "SAVEPOINT", "UPDATE", "INSERT", "INSERT", "INSERT", "WITH", "RELEASE"]
