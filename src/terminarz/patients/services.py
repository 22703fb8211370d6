import re

from django.db import transaction
from django.db.models import Q

from terminarz.core.audit import record_audit
from terminarz.core.crypto import lookup_hash
from terminarz.providers.models import Provider

from .models import Patient, phone_digits


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


def search_patients(provider: Provider, query: str, *, limit: int = 20) -> list[Patient]:
    """F2 search box: a PESEL (11 digits) or a phone number matches exactly through the keyed
    hashes; anything else matches names, every word against first or last name."""
    text = query.strip()[:100]
    if not text:
        return []
    patients = Patient.objects.filter(provider=provider)
    compact = re.sub(r"[\s()+-]", "", text)
    if compact.isdigit() and len(compact) >= 9:
        if len(compact) == 11 and not text.startswith("+"):
            by_pesel = list(patients.filter(pesel_hash=lookup_hash(compact))[:limit])
            if by_pesel:
                return by_pesel
        return list(patients.filter(phone_hash=lookup_hash(phone_digits(compact)))[:limit])
    for word in text.split()[:4]:
        patients = patients.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
    return list(patients.order_by("last_name", "first_name", "pk")[:limit])


def create_patient(provider: Provider, data: dict, *, actor) -> Patient:
    """A registrar creates a patient record; the audit entry carries no personal data."""
    with transaction.atomic():
        patient = Patient.objects.create(provider=provider, **data)
        record_audit(
            provider_id=provider.pk,
            action="patient.created",
            target=patient,
            summary=f"Utworzono kartotekę pacjenta nr {patient.pk}",
            actor=actor,
        )
    return patient
