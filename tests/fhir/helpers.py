"""Shared by the FHIR tests: a published clinic whose practitioner is in the aggregator feed, and
validation of what we emit against the R4B models of `fhir.resources` (a library nobody here
wrote)."""

import base64
import datetime as dt
import importlib
import json
from urllib.parse import urlencode

from terminarz.integrations import services as integrations
from terminarz.scheduling.models import Televisit
from tests.factories import clinic, every_day

R4B = "fhir.resources.R4B"
MODULES = {
    "Appointment": "appointment",
    "Parameters": "parameters",
    "Patient": "patient",
    "Bundle": "bundle",
    "CapabilityStatement": "capabilitystatement",
    "HealthcareService": "healthcareservice",
    "Location": "location",
    "OperationOutcome": "operationoutcome",
    "Organization": "organization",
    "Practitioner": "practitioner",
    "PractitionerRole": "practitionerrole",
    "Schedule": "schedule",
    "Slot": "slot",
}


def validate(resource: dict):
    """The resource parsed by its R4B model (raises on anything the model refuses)."""
    kind = resource["resourceType"]
    model = getattr(importlib.import_module(f"{R4B}.{MODULES[kind]}"), kind)
    return model.model_validate(resource)


def fhir_json(response) -> dict:
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    return json.loads(response.content)


def published_clinic(today: dt.date, *, days: int = 3, opted_in: bool = True, **kw):
    """Mornings 8–10 every day, plus a televisit-only and a call-center-only hour at 12 and 13."""
    blocks = [
        *every_day(dt.time(8), dt.time(10)),
        *every_day(dt.time(12), dt.time(13), televisit=Televisit.ONLY),
        *every_day(dt.time(13), dt.time(14), callcenter_only=True),
    ]
    provider, unit, practitioner, schedule = clinic(today=today, days=days, blocks=blocks, **kw)
    provider.phone = "+48 12 345 67 00"
    provider.save()
    practitioner.pwz = "4352919"
    practitioner.in_aggregators = opted_in
    practitioner.save()
    return provider, unit, practitioner, schedule


def system_token(client, provider, scopes: list[str]) -> str:
    """A bearer token of a new credential of the provider with these scopes (A7, OAuth2)."""
    cred, secret = integrations.create(provider.pk, name="SERUM", scopes=scopes, alert_after_minutes=30, actor=None)
    raw = base64.b64encode(f"{cred.client_id}:{secret}".encode()).decode()
    response = client.post(
        "/fhir/auth/token",
        urlencode({"grant_type": "client_credentials"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {raw}",
    )
    return json.loads(response.content)["access_token"]


def proposed_visit(slot_id) -> dict:
    """An Appointment to `$book` for a patient app: the slot and a contained Patient."""
    return {
        "resourceType": "Appointment",
        "status": "proposed",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [{"actor": {"reference": "#p"}, "status": "accepted"}],
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "name": [{"family": "Nowak", "given": ["Ewa"]}],
                "telecom": [{"system": "email", "value": "ewa@example.com"}],
            }
        ],
    }
