"""A FHIR client nobody here wrote (`fhirclient`, SMART on FHIR's Python client) reads the
CapabilityStatement, searches free slots of a specialty over real HTTP, follows the bundle's
`next` links to the end, and books the first slot with `Appointment/$book`, its answer parsed
by the client's own models."""

import pytest
from django.test import override_settings
from fhirclient import client as fhir_client
from fhirclient.models.appointment import Appointment as FhirAppointment
from fhirclient.models.bundle import Bundle
from fhirclient.models.practitioner import Practitioner
from fhirclient.models.schedule import Schedule
from fhirclient.models.slot import Slot

from terminarz.booking.models import Appointment

from .helpers import proposed_visit, published_clinic

pytestmark = pytest.mark.django_db(transaction=True)


def test_fhirclient_finds_free_slots_and_pages_through_them(live_server, frozen, today):
    provider, unit, practitioner, schedule = published_clinic(today, days=3)
    with override_settings(SITE_URL=live_server.url):
        smart = fhir_client.FHIRClient(settings={"app_id": "terminarz-test", "api_base": f"{live_server.url}/fhir/r4/"})
        smart.prepare()  # reads /metadata
        assert [entry.type for entry in smart.server.capabilityStatement.rest[0].resource] == [
            "Organization",
            "Location",
            "HealthcareService",
            "Practitioner",
            "PractitionerRole",
            "Schedule",
            "Slot",
            "Patient",
            "Appointment",
        ]
        search = Slot.where(struct={"specialty": "kardiologia", "status": "free", "_count": "10"})
        slots = list(search.perform_resources_iter(smart.server))
        assert (len(slots), len({slot.id for slot in slots})) == (28, 28)
        assert {slot.schedule.reference for slot in slots} == {f"Schedule/{schedule.pk}"}
        assert slots[0].start.isostring == "2026-11-20T12:00:00+01:00"
        found = Schedule.read(str(schedule.pk), smart.server)
        assert found.actor[0].reference == f"Practitioner/{practitioner.pk}"
        doctor = Practitioner.read(str(practitioner.pk), smart.server)
        assert (doctor.name[0].family, doctor.identifier[0].value) == (practitioner.last_name, "4352919")
        proposed = FhirAppointment(proposed_visit(slots[0].id))
        parameters = {
            "resourceType": "Parameters",
            "parameter": [{"name": "appt-resource", "resource": proposed.as_json()}],
        }
        answer = smart.server.post_json("Appointment/$book", parameters)
        bundle = Bundle(answer.json())
        booked = bundle.entry[0].resource
        assert (booked.status, booked.slot[0].reference) == ("booked", f"Slot/{slots[0].id}")
        assert Appointment.objects.get(pk=booked.id).source == "fhir"
        smart.server.session.close()  # no keep-alive connection holding the server's database session
