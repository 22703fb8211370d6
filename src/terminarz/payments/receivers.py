"""How payments hear of visits ending another way (cancelled by the patient or the clinic,
a hold taken over): after commit, a task settles the payment (`services.appointment_ended`)."""

from terminarz.core import events

from .tasks import appointment_ended_task


@events.subscriber(events.APPOINTMENT_CANCELLED, key="payments.appointment_cancelled")
def appointment_cancelled(payload: dict) -> None:
    appointment_ended_task.enqueue(payload["appointment_id"], str(payload.get("by", "")))


@events.subscriber(events.APPOINTMENT_EXPIRED, key="payments.appointment_expired")
def appointment_expired(payload: dict) -> None:
    appointment_ended_task.enqueue(payload["appointment_id"], str(payload.get("by", "")))
