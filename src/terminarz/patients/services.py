import re

from django.db import transaction
from django.db.models import Q, QuerySet

from terminarz.core.audit import record_audit
from terminarz.core.crypto import lookup_hash
from terminarz.providers.models import Provider

from .models import CARD_LENGTH, HealthCard, Patient, phone_digits


class _Unknown:
    """Not looked up yet (as opposed to None: looked up, no such record)."""


UNKNOWN = _Unknown()


def match_or_create_patient(
    provider: Provider,
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    pesel: str,
    account=None,
    known_by_pesel: "Patient | None | _Unknown" = UNKNOWN,
) -> Patient:
    """Match an online booking to the provider's record, or create a new record (F3).

    From an account: the record already linked to that account first. Then by PESEL. A record
    created for an account's booking is linked to it; a record found by PESEL is not (a typed
    PESEL proves nothing), so the account never sees what was shared with that record.
    `known_by_pesel`: the first record with this PESEL when the caller looked it up already
    (the booking rules do, under the person's lock), so it is not asked twice."""
    if account is not None:
        own = Patient.objects.filter(provider=provider, account=account).order_by("pk").first()
        if own is not None and (not pesel or own.pesel_hash in ("", lookup_hash(pesel))):
            return own
    if pesel:
        patient = (
            Patient.objects.filter(provider=provider, pesel_hash=lookup_hash(pesel)).order_by("pk").first()
            if isinstance(known_by_pesel, _Unknown)
            else known_by_pesel
        )
        if patient is not None:
            return patient
    return Patient.objects.create(
        provider=provider,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        pesel=pesel,
        account=account,
    )


def search_patients(
    provider: Provider,
    query: str,
    *,
    limit: int = 20,
    among: QuerySet[Patient] | None = None,
    by_card: bool = True,
) -> list[Patient]:
    """F2 search box: a PESEL (11 digits) or a phone number matches exactly through the keyed
    hashes; anything else matches names, every word against first or last name. `among` narrows
    the search to the patients the searching person may see (clinic.scope)."""
    text = query.strip()[:100]
    if not text:
        return []
    patients = Patient.objects.filter(provider=provider)
    if among is not None:
        patients = patients.filter(pk__in=among.values("pk"))
    compact = re.sub(r"[\s()+-]", "", text)
    if compact.isdigit() and len(compact) >= 9:
        if len(compact) == 11 and not text.startswith("+"):
            by_pesel = list(patients.filter(pesel_hash=lookup_hash(compact))[:limit])
            if by_pesel:
                return by_pesel
        return list(patients.filter(phone_hash=lookup_hash(phone_digits(compact)))[:limit])
    if by_card and len(compact) == CARD_LENGTH and compact.isalnum():
        # E6: a card finds its patient only while it is active (seed 001 §5.5).
        carded = list(patients.filter(cards__number=compact.upper(), cards__is_active=True)[:limit])
        if carded:
            return carded
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


RECORD_FIELDS = (
    "first_name",
    "last_name",
    "pesel",
    "email",
    "phone",
    "birth_date",
    "sex",
    "guardian",
    "blacklisted",
    "blacklist_reason",
)


def update_patient(patient: Patient, data: dict, *, actor) -> list[str]:
    """Save changed fields of a record; the audit entry names the fields, never their values."""
    if data.get("pesel"):  # birth date and sex then follow from the PESEL
        data = {k: v for k, v in data.items() if k not in ("birth_date", "sex")}
    changed = [name for name in RECORD_FIELDS if name in data and getattr(patient, name) != data[name]]
    if not changed:
        return []
    with transaction.atomic():
        for name in changed:
            setattr(patient, name, data[name])
        patient.save()
        record_audit(
            provider_id=patient.provider_id,
            action="patient.changed",
            target=patient,
            summary=f"Zmieniono kartotekę pacjenta nr {patient.pk}",
            actor=actor,
            changes={"fields": changed},
        )
    return changed


def record_opened(patient: Patient, *, actor) -> None:
    """L2/A8: every opening of a patient record is audited."""
    record_audit(
        provider_id=patient.provider_id,
        action="patient.opened",
        target=patient,
        summary=f"Otwarto kartotekę pacjenta nr {patient.pk}",
        actor=actor,
    )


def add_card(patient: Patient, number: str, *, actor, active: bool = False) -> HealthCard:
    """E6: the registrar adds a card with the status chosen (inactive until the patient shows
    it, or active at once, e.g. a new patient's card at the desk); one active card a patient."""
    with transaction.atomic():
        card = HealthCard.objects.create(provider_id=patient.provider_id, patient=patient, number=number.upper())
        record_audit(
            provider_id=patient.provider_id,
            action="card.added",
            target=card,
            summary=f"Dodano kartę pacjenta do kartoteki nr {patient.pk}",
            actor=actor,
        )
        if active:
            activate_card(card, actor=actor)
    return card


def active_cards(patient_ids) -> dict[int, str]:
    """The active card number of each of these patients that has one."""
    rows = HealthCard.objects.filter(patient_id__in=list(patient_ids), is_active=True)
    return dict(rows.values_list("patient_id", "number"))


def attach_account_card(patient: Patient, number: str) -> HealthCard | None:
    """E6: a card number from a patient account reaches the provider's record as inactive
    (once); the registrar activates it."""
    number = (number or "").strip().upper()
    if not number or HealthCard.objects.filter(patient=patient, number=number).exists():
        return None
    with transaction.atomic():
        card = HealthCard.objects.create(provider_id=patient.provider_id, patient=patient, number=number)
        record_audit(
            provider_id=patient.provider_id,
            action="card.added",
            target=card,
            summary=f"Pacjent dołączył kartę z konta do kartoteki nr {patient.pk}",
            actor_label="patient",
        )
    return card


def activate_card(card: HealthCard, *, actor) -> HealthCard:
    """Only one active card per patient: the others become inactive in the same transaction."""
    with transaction.atomic():
        HealthCard.objects.filter(patient_id=card.patient_id, is_active=True).exclude(pk=card.pk).update(
            is_active=False
        )
        HealthCard.objects.filter(pk=card.pk).update(is_active=True)
        card.is_active = True
        record_audit(
            provider_id=card.provider_id,
            action="card.activated",
            target=card,
            summary=f"Aktywowano kartę pacjenta w kartotece nr {card.patient_id}",
            actor=actor,
        )
    return card


def is_first_time(patient: Patient, *, now) -> bool:
    """First-time status from history: no earlier visit at this provider that took place."""
    return not patient.appointments.filter(status__in=["confirmed", "completed"], start__lt=now).exists()
