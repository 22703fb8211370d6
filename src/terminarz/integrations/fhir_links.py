"""Where a clinic system reads a visit (the FHIR API's address of an Appointment)."""

from django.conf import settings


def appointment_url(appointment_id: int) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/fhir/r4/Appointment/{appointment_id}"
