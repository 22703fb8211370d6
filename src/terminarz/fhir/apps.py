from django.apps import AppConfig


class FhirConfig(AppConfig):
    """Interface app: the FHIR R4 API (`/fhir/r4/`) and the SMART Scheduling Links feeds (K1, K2)."""

    name = "terminarz.fhir"
    label = "fhir"
    verbose_name = "FHIR"
