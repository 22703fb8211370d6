"""Message contexts of the waiting list (rendered by the outbox worker)."""

from terminarz.notifications.registry import register_context

from .models import WaitlistEntry, WaitlistOffer


@register_context("waitlist_joined")
def joined_context(stored: dict) -> dict:
    entry = WaitlistEntry.objects.select_related("practitioner", "specialization", "provider").get(pk=stored["entry"])
    return {"entry": entry}


def _offer(stored: dict) -> dict:
    offer = WaitlistOffer.objects.select_related(
        "entry__provider", "slot__practitioner", "slot__unit__location", "slot__provider"
    ).get(pk=stored["offer"])
    return {"offer": offer, "entry": offer.entry, "slot": offer.slot}


register_context("waitlist_offer")(_offer)
register_context("waitlist_gone")(_offer)
