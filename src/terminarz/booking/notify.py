"""One way to tell a patient about their visit: the e-mail and/or the SMS of a message kind,
queued in the caller's transaction with idempotency keys `key` and `sms:key`."""

from terminarz.notifications.services import queue_email_and_sms

from .models import Appointment


def notify_patient(
    appointment: Appointment,
    *,
    kind: str,
    template: str,
    key: str,
    context: dict | None = None,
    email: bool = True,
    sms: bool = True,
) -> None:
    queue_email_and_sms(
        provider=appointment.provider,
        kind=kind,
        template=template,
        context=context or {"appointment": appointment.pk},
        key=key,
        email=appointment.email if email else "",
        phone=appointment.phone if sms else "",
        patient=appointment.patient,
    )
