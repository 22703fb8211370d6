"""How the waiting list plugs into the rest: an erased account's entries are emptied (in the
erasing transaction), a released slot is offered (`slot_released` event, after commit), a
confirmed first-time NFZ visit enters the queue (a `confirmed` booking policy)."""

from django.dispatch import receiver

from terminarz.accounts.services import account_erasing
from terminarz.booking import pipeline
from terminarz.core import batch, events

from .models import QueueEntry, WaitlistEntry
from .services import leave_waitlist
from .tasks import offer_slot_task


@receiver(account_erasing, dispatch_uid="waiting.withdraw_erased_account")
def withdraw_erased_account(sender, *, account, primary: bool, **kwargs) -> None:
    """Waiting-list entries hold contact data: withdrawn as if the patient left (their open
    offers end, a slot held for nobody else is free again), then emptied."""
    for entry in WaitlistEntry.objects.filter(account=account, status=WaitlistEntry.Status.WAITING):
        leave_waitlist(entry, actor_label="account erased")
    WaitlistEntry.objects.filter(account=account).update(first_name="", last_name="", email="", phone="", account=None)


@events.subscriber(events.SLOT_RELEASED, key="waiting.offer_released_slot")
def offer_released_slot(payload: dict) -> None:
    """A freed slot goes to the waiting patients first (F7)."""
    offer_slot_task.enqueue(payload["slot_id"])


@pipeline.policy("confirmed", name="waiting.enter_nfz_queue")
def enter_nfz_queue(booking: pipeline.Booking) -> None:
    """D6: a first-time NFZ visit booked online enters the unit's stable waiting queue."""
    appointment = booking.appointment
    assert appointment is not None
    if appointment.nfz_first_time:
        batch.insert(
            QueueEntry(
                provider_id=appointment.provider_id,
                unit_id=appointment.unit_id,
                patient_id=appointment.patient_id,
                category=QueueEntry.Category.STABLE,
                status=QueueEntry.Status.SCHEDULED,
                appointment=appointment,
                source="online",
            )
        )
