"""Which provider records belong to a patient account (E5): those created for its own
bookings (Patient.account). A record matched by a PESEL typed into a form is not linked, so
documents shared with someone else's record can never be seen from an account."""

from terminarz.booking.models import Appointment, AppointmentStatus
from terminarz.core import clock


def record_ids(account) -> list[int]:
    from terminarz.patients.models import Patient

    return list(Patient.objects.filter(account=account).values_list("pk", flat=True))


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
