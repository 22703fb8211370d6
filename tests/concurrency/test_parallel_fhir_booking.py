"""A FHIR `$book` and a portal booking of the same slot at the same moment, over real parallel
connections on PostgreSQL: exactly one wins, the other hears "taken" (409 over FHIR)."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client

from terminarz.booking.errors import SlotTaken
from terminarz.booking.models import Appointment, AppointmentStatus, Source
from terminarz.booking.services import book_appointment
from terminarz.core import clock
from terminarz.scheduling.models import Slot
from tests.concurrency.parallel import run_lined_up
from tests.conftest import require_postgres
from tests.factories import PATIENT, clinic
from tests.fhir.helpers import proposed_visit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
ROUNDS = 12


def fhir_book(slot_id: int) -> str:
    body = {"resourceType": "Parameters", "parameter": [{"name": "appt-resource", "resource": proposed_visit(slot_id)}]}
    response = Client().post("/fhir/r4/Appointment/$book", json.dumps(body), content_type="application/fhir+json")
    return {200: "fhir", 409: "taken"}.get(response.status_code, f"status {response.status_code}")


def portal_book(slot_id: int) -> str:
    try:
        book_appointment(slot_id, {**PATIENT, "email": "jan@example.com"}, source=Source.PORTAL)
    except SlotTaken:
        return "taken"
    return "portal"


def test_fhir_book_and_portal_booking_of_one_slot_exactly_one_wins(settings):
    require_postgres(connection)
    settings.RATELIMIT_ENABLE = False
    _, _, _, schedule = clinic(today=clock.local_today(), days=3)
    tomorrow = clock.local_today() + dt.timedelta(days=1)
    slots = list(Slot.objects.filter(schedule=schedule, day__gte=tomorrow).order_by("start")[:ROUNDS])
    source = {"fhir": Source.FHIR, "portal": Source.PORTAL}
    for slot in slots:
        outcomes = run_lined_up([lambda pk=slot.pk: fhir_book(pk), lambda pk=slot.pk: portal_book(pk)])
        assert outcomes.count("taken") == 1, outcomes
        winner = next(o for o in outcomes if o != "taken")
        visits = Appointment.objects.filter(slot=slot, status=AppointmentStatus.CONFIRMED)
        # The one visit is the winner's: the loser wrote nothing.
        assert list(visits.values_list("source", flat=True)) == [source[winner]], outcomes
