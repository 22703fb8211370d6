"""Provider registration rules checked inside the booking transaction (D5, D6).

Callers hold the slot row and the practitioner lock; `lock_patient` then serializes bookings
of the same person at the provider, so two racing requests can never both pass a rule."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from terminarz.core import locks
from terminarz.core.crypto import lookup_hash
from terminarz.patients.models import Patient
from terminarz.providers.models import RegistrationSettings
from terminarz.scheduling.models import Financing, Slot

from .errors import BookingRefused
from .models import ACTIVE_STATUSES, Appointment, AppointmentStatus

# The seed's wording (kept as is); marked for translation, translated where it is raised.
NFZ_FIRST_VISIT_REFUSED = gettext_noop(
    "Przepraszamy, ale nie możesz się umówić się na pierwszą wizytę NFZ samodzielnie. Prosimy o kontakt z placówką"
)


def lock_patient(provider_id: int, pesel: str, email: str, account_id: int | None = None) -> None:
    """Serialize bookings of one person at a provider until commit: by every identity the
    booking carries (account, PESEL, else e-mail), through `core.locks` (after the slot and the
    practitioner; keys sorted, so two bookings never wait on each other crosswise)."""
    locks.lock_objects(*patient_lock_keys(provider_id, pesel, email, account_id))


def patient_lock_keys(provider_id: int, pesel: str, email: str, account_id: int | None = None) -> list[tuple[str, int]]:
    identities = []
    if account_id:
        identities.append(f"{provider_id}:account:{account_id}")
    identities.append(f"{provider_id}:{pesel}" if pesel else f"{provider_id}:{email.lower()}")
    return [("patient", locks.key_for(identity)) for identity in identities]


def known_patient(provider_id: int, pesel: str) -> Patient | None:
    if not pesel:
        return None
    return Patient.objects.filter(provider_id=provider_id, pesel_hash=lookup_hash(pesel)).order_by("pk").first()


def check_one_visit_per_specialization(slot: Slot, patient: Patient | None, *, now, account=None) -> None:
    """D5: one future visit per specialization at the provider – the person known by the
    account they book from and, when given, by PESEL."""
    if patient is None and account is None:
        return
    who = Q(patient=patient) if patient is not None else Q(pk__in=[])
    if account is not None:
        who |= Q(account=account)
    specializations = list(slot.practitioner.specializations.values_list("pk", flat=True))
    existing = (
        Appointment.objects.filter(
            who,
            provider_id=slot.provider_id,
            status__in=ACTIVE_STATUSES,
            start__gt=now,
            practitioner__specializations__in=specializations,
        )
        .order_by("start")
        .first()
    )
    if existing is not None:
        when = timezone.localtime(existing.start)
        raise BookingRefused(
            _(
                "Masz już umówioną wizytę w tej specjalizacji w tej placówce (%(when)s). "
                "Aby umówić inną, najpierw odwołaj tamtą wizytę."
            )
            % {"when": f"{when:%d.%m.%Y, %H:%M}"}
        )


def is_first_nfz_visit(slot: Slot, patient: Patient | None, *, now) -> bool:
    """A first-time NFZ visit: an NFZ slot in a unit that requires a queue entry (D6) and no
    earlier visit of the person in this unit."""
    if slot.financing != Financing.NFZ or not slot.unit.requires_queue_entry:
        return False
    if patient is None:
        return True
    return not Appointment.objects.filter(
        patient=patient,
        unit_id=slot.unit_id,
        status__in=[AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED],
        start__lt=now,
    ).exists()


def check_nfz_first_visit(settings: RegistrationSettings, first_nfz: bool) -> None:
    """D6: refused with the seed's message unless the provider allows it."""
    if first_nfz and not settings.nfz_first_visit_online:
        raise BookingRefused(_(NFZ_FIRST_VISIT_REFUSED))
