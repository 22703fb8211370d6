"""Which provider records belong to a patient account: those its online visits were booked
into (E5). Nothing else links an account to a provider's record, so nothing else is shown."""

from terminarz.booking.models import Appointment, AppointmentStatus
from terminarz.core import clock


def record_ids(account) -> list[int]:
    return list(Appointment.objects.filter(account=account).values_list("patient_id", flat=True).distinct())


def provider_ids(account) -> list[int]:
    return list(Appointment.objects.filter(account=account).values_list("provider_id", flat=True).distinct())


def seen_visits(account):
    """Past visits that took place: the practitioners a prescription may be asked of."""
    return (
        Appointment.objects.filter(
            account=account,
            status__in=[AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED],
            start__lt=clock.now(),
        )
        .select_related("practitioner", "provider")
        .order_by("-start")
    )
