"""What booking messages need when the worker renders them."""

import datetime as dt

from terminarz.notifications.registry import register_attachments, register_context

from .models import Appointment


def _appointment(stored: dict) -> Appointment:
    return Appointment.objects.select_related(
        "practitioner", "unit__location", "provider", "slot__block", "account__patient_profile"
    ).get(pk=stored["appointment"])


def _for_dependent(appointment: Appointment) -> str:
    """The dependent's name when the visit is a dependent's and the message goes to their
    guardian (a dependent without an own address): the guardian is told whose visit it is."""
    account = appointment.account
    if account is None or account.email:
        return ""
    profile = getattr(account, "patient_profile", None)
    if profile is None or profile.guardian_id is None:
        return ""
    return f"{appointment.first_name} {appointment.last_name}"


def _context(appointment: Appointment, **extra) -> dict:
    return {"appointment": appointment, "for_dependent": _for_dependent(appointment), **extra}


# What another capability's message about a visit needs (greeting, the dependent's name).
visit_context = _context


@register_context("booking_confirmation")
def confirmation_context(stored: dict) -> dict:
    appointment = _appointment(stored)
    return _context(appointment, slot=appointment.slot)


@register_context("booking_cancelled")
def cancelled_context(stored: dict) -> dict:
    return _context(_appointment(stored))


@register_context("booking_cancelled_by_clinic")
def cancelled_by_clinic_context(stored: dict) -> dict:
    return _context(_appointment(stored))


@register_context("booking_moved")
def moved_context(stored: dict) -> dict:
    appointment = _appointment(stored)
    return _context(appointment, old_start=dt.datetime.fromisoformat(stored["old_start"]))


@register_attachments("booking_confirmation")
@register_attachments("booking_moved")
def calendar_attachment(stored: dict) -> list[tuple[str, bytes, str]]:
    from .ics import appointment_ics

    appointment = _appointment(stored)
    return [(f"wizyta-{appointment.reference}.ics", appointment_ics(appointment), "text/calendar")]


@register_context("booking_hold")
def hold_context(stored: dict) -> dict:
    appointment = _appointment(stored)
    minutes = 0
    if appointment.hold_until:
        minutes = max(0, round((appointment.hold_until - appointment.created_at).total_seconds() / 60))
    return _context(appointment, minutes=minutes)


@register_context("booking_clinic_notice")
def clinic_notice_context(stored: dict) -> dict:
    return _context(_appointment(stored))


@register_context("booking_reminder")
def reminder_context(stored: dict) -> dict:
    return _context(_appointment(stored))
