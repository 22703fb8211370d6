"""Webhooks subscribe to the domain events (`core.events`, after commit): each event of a visit
becomes one delivery per subscribed webhook of its provider, sent at once by a task and retried
by the periodic `webhook_deliveries` job. The payload names the visit (ids, states, times) and
where a clinic system reads the rest (its FHIR Appointment); never personal data."""

from terminarz.booking.models import Appointment
from terminarz.core import events

from . import tasks, webhooks
from .fhir_links import appointment_url

PAYMENT_SETTLED = events.define("payment_settled")  # declared by payments; named here by its value


def _visit(appointment_id: int) -> dict | None:
    visit = (
        Appointment.unscoped.filter(pk=appointment_id)
        .values("pk", "provider_id", "reference", "status", "start", "end", "slot_id", "practitioner_id", "source")
        .first()
    )
    if visit is None:
        return None
    return {
        "appointment": {
            "id": visit["pk"],
            "reference": visit["reference"],
            "status": visit["status"],
            "start": visit["start"].isoformat(),
            "end": visit["end"].isoformat(),
            "slot": visit["slot_id"],
            "practitioner": visit["practitioner_id"],
            "source": visit["source"],
            "fhir": appointment_url(visit["pk"]),
        },
        "provider": visit["provider_id"],
    }


def _announce(event: str, payload: dict, **extra) -> None:
    visit = _visit(payload["appointment_id"])
    if visit is None:
        return
    data = {**visit, **extra}
    # The domain event's own payload names the delivery: a retried subscriber finds it again.
    for delivery in webhooks.enqueue(payload["provider_id"], event, data, identity=payload):
        tasks.deliver_webhook_task.enqueue(delivery.pk)


@events.subscriber(events.APPOINTMENT_BOOKED, key="integrations.webhook_booked")
def booked(payload: dict) -> None:
    _announce("appointment.booked", payload)


@events.subscriber(events.APPOINTMENT_CANCELLED, key="integrations.webhook_cancelled")
def cancelled(payload: dict) -> None:
    _announce("appointment.cancelled", payload)


@events.subscriber(events.APPOINTMENT_MOVED, key="integrations.webhook_moved")
def moved(payload: dict) -> None:
    _announce("appointment.moved", payload, previous_slot=payload.get("old_slot_id"))


@events.subscriber(events.APPOINTMENT_STATUS_CHANGED, key="integrations.webhook_status")
def status_changed(payload: dict) -> None:
    """Confirmed, expired, completed, no-show (a cancellation is `appointment.cancelled`)."""
    if payload.get("to") != "cancelled":
        _announce("appointment.status", payload, change=[payload.get("from"), payload.get("to")])


@events.subscriber(PAYMENT_SETTLED, key="integrations.webhook_payment")
def payment_settled(payload: dict) -> None:
    if payload.get("appointment_id"):
        _announce("payment.settled", payload, payment=payload.get("payment_id"))
