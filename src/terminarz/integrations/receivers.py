"""Webhooks are a publication target (`booking.publication`): each booking change (the domain
events, after commit) becomes one delivery per subscribed webhook of its provider, sent at once
by a task and retried by the periodic `webhook_deliveries` job. The payload names the visit (ids, states, times) and
where a clinic system reads the rest (its FHIR Appointment); never personal data."""

from terminarz.booking import publication
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


# Booking changes → webhook event types (a cancellation's status change is `appointment.cancelled`).
EVENT_TYPES = {
    events.APPOINTMENT_BOOKED: "appointment.booked",
    events.APPOINTMENT_CANCELLED: "appointment.cancelled",
    events.APPOINTMENT_MOVED: "appointment.moved",
    events.APPOINTMENT_STATUS_CHANGED: "appointment.status",
    PAYMENT_SETTLED: "payment.settled",
}


class Webhooks(publication.PublicationTarget):
    """The second publication target: no slots; each booking change becomes one signed delivery
    per subscribed webhook of the provider (`webhooks.enqueue`), sent at once by a task."""

    key = "webhooks"
    label = "Webhooki"
    events = tuple(EVENT_TYPES)

    def changed(self, event: str, payload: dict) -> None:
        kind = EVENT_TYPES[event]
        extra: dict = {}
        if event == events.APPOINTMENT_STATUS_CHANGED:
            if payload.get("to") == "cancelled":
                return
            extra["change"] = [payload.get("from"), payload.get("to")]
        elif event == events.APPOINTMENT_MOVED:
            extra["previous_slot"] = payload.get("old_slot_id")
        elif event == PAYMENT_SETTLED:
            if not payload.get("appointment_id"):
                return
            extra["payment"] = payload.get("payment_id")
        visit = _visit(payload["appointment_id"])
        if visit is None:
            return
        # The domain event's own payload names the delivery: a retried subscriber finds it again.
        for delivery in webhooks.enqueue(payload["provider_id"], kind, {**visit, **extra}, identity=payload):
            tasks.deliver_webhook_task.enqueue(delivery.pk)


WEBHOOKS = publication.register(Webhooks())
