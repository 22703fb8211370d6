"""One way to tell a patient about their visit: the e-mail and/or the SMS of a message kind,
queued in the caller's transaction with idempotency keys `key` and `sms:key`."""

from terminarz.notifications.services import queue_email, queue_sms

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
    context = context or {"appointment": appointment.pk}
    if email and appointment.email:
        queue_email(
            provider=appointment.provider,
            kind=kind,
            recipient=appointment.email,
            template=template,
            context=context,
            idempotency_key=key,
            patient=appointment.patient,
        )
    if sms and appointment.phone:
        queue_sms(
            provider=appointment.provider,
            kind=kind,
            phone=appointment.phone,
            template=template,
            context=context,
            idempotency_key=f"sms:{key}",
            patient=appointment.patient,
        )
