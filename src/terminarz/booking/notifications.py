"""What booking messages need when the worker renders them."""

from terminarz.notifications.registry import register_context

from .models import Appointment


def _appointment(stored: dict) -> Appointment:
    return Appointment.objects.select_related("practitioner", "unit__location", "provider", "slot__block").get(
        pk=stored["appointment"]
    )


@register_context("booking_confirmation")
def confirmation_context(stored: dict) -> dict:
    appointment = _appointment(stored)
    return {"appointment": appointment, "slot": appointment.slot}


@register_context("booking_cancelled")
def cancelled_context(stored: dict) -> dict:
    return {"appointment": _appointment(stored)}
