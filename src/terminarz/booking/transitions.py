"""Appointment state machine: allowed transitions, compare-and-set, recorded with actor."""

import datetime as dt

from terminarz.core.audit import record_audit

from .errors import TransitionNotAllowed
from .models import Appointment, AppointmentStatus, AppointmentTransition

S = AppointmentStatus
ALLOWED: dict[str, set[str]] = {
    "": {S.HELD, S.CONFIRMED},
    S.HELD: {S.CONFIRMED, S.CANCELLED, S.EXPIRED},
    S.CONFIRMED: {S.CANCELLED, S.COMPLETED, S.NO_SHOW},
    S.CANCELLED: set(),
    S.EXPIRED: set(),
    S.COMPLETED: set(),
    S.NO_SHOW: set(),
}


def _audit(appointment: Appointment, from_status: str, *, now, actor, actor_label: str, reason: str = "") -> None:
    to_label = S(appointment.status).label
    summary = f"Wizyta {appointment.reference} ({appointment.start:%Y-%m-%d %H:%M} UTC): {to_label}"
    if not from_status:
        summary += f" – źródło: {appointment.get_source_display()}"
    record_audit(
        provider_id=appointment.provider_id,
        action="appointment." + appointment.status,
        target=appointment,
        summary=summary,
        actor=actor,
        actor_label=actor_label,
        changes={"status": [from_status, appointment.status], **({"reason": reason} if reason else {})},
        at=now,
    )


def record_created(appointment: Appointment, *, now: dt.datetime, actor=None, actor_label: str) -> None:
    AppointmentTransition.objects.create(
        appointment=appointment,
        from_status="",
        to_status=appointment.status,
        at=now,
        actor=actor,
        actor_label=actor_label,
    )
    _audit(appointment, "", now=now, actor=actor, actor_label=actor_label)


def transition(
    appointment: Appointment,
    to_status: str,
    *,
    now: dt.datetime,
    actor=None,
    actor_label: str,
    reason: str = "",
    **fields,
) -> Appointment:
    """Move an appointment to a new status if allowed from its current one (CAS update)."""
    from_status = appointment.status
    if to_status not in ALLOWED.get(from_status, set()):
        raise TransitionNotAllowed(
            f"Nie można zmienić statusu wizyty z „{S(from_status).label}” na „{S(to_status).label}”."
        )
    updated = Appointment.objects.filter(pk=appointment.pk, status=from_status).update(status=to_status, **fields)
    if updated != 1:
        raise TransitionNotAllowed("Status wizyty zmienił się w międzyczasie. Odśwież stronę.")
    appointment.status = to_status
    for name, value in fields.items():
        setattr(appointment, name, value)
    AppointmentTransition.objects.create(
        appointment=appointment,
        from_status=from_status,
        to_status=to_status,
        at=now,
        actor=actor,
        actor_label=actor_label,
        reason=reason,
    )
    _audit(appointment, from_status, now=now, actor=actor, actor_label=actor_label, reason=reason)
    return appointment


def record_move(
    appointment: Appointment,
    old_start: dt.datetime,
    *,
    now: dt.datetime,
    actor=None,
    actor_label: str,
    reason: str = "",
) -> AppointmentTransition:
    """A move keeps the status; it is recorded as a transition to the same status with the times."""
    entry = AppointmentTransition.objects.create(
        appointment=appointment,
        from_status=appointment.status,
        to_status=appointment.status,
        at=now,
        actor=actor,
        actor_label=actor_label,
        reason=(reason or f"przeniesiona z {old_start:%Y-%m-%d %H:%M} UTC")[:300],
    )
    record_audit(
        provider_id=appointment.provider_id,
        action="appointment.moved",
        target=appointment,
        summary=f"Wizyta {appointment.reference} przeniesiona: {old_start:%Y-%m-%d %H:%M} → "
        f"{appointment.start:%Y-%m-%d %H:%M} UTC",
        actor=actor,
        actor_label=actor_label,
        changes={
            "start": [old_start.isoformat(), appointment.start.isoformat()],
            **({"reason": reason} if reason else {}),
        },
        at=now,
    )
    return entry
