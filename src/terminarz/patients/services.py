from terminarz.core.crypto import lookup_hash
from terminarz.providers.models import Provider

from .models import Patient


def match_or_create_patient(
    provider: Provider, *, first_name: str, last_name: str, email: str, phone: str, pesel: str
) -> Patient:
    """Match an online booking to the provider's record by PESEL, or create a new record (F3)."""
    if pesel:
        patient = Patient.objects.filter(provider=provider, pesel_hash=lookup_hash(pesel)).order_by("pk").first()
        if patient is not None:
            return patient
    return Patient.objects.create(
        provider=provider,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        pesel=pesel,
    )
