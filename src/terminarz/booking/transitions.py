"""Appointment state machine on `core.statemachine`: allowed transitions, compare-and-set,
recorded with actor (`AppointmentTransition`), audited, and announced after commit as domain
events (`appointment_confirmed`, `appointment_cancelled`, `appointment_expired`, …)."""

import datetime as dt

from terminarz.core import batch, clock, events
from terminarz.core.audit import record_audit
from terminarz.core.statemachine import Change, Machine

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
    summary = f"Wizyta {appointment.reference} ({clock.local_text(appointment.start)}): {to_label}"
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
    MACHINE.created(appointment, now=now, actor=actor, actor_label=actor_label)


def _record(change: Change) -> None:
    batch.insert(
        AppointmentTransition(
            appointment=change.obj,  # type: ignore[misc]
            from_status=change.from_state,
            to_status=change.to_state,
            at=change.at,
            actor=change.actor,  # type: ignore[misc]
            actor_label=change.actor_label,
            reason=change.reason,
        )
    )
    _audit(
        change.obj,  # type: ignore[arg-type]
        change.from_state,
        now=change.at,
        actor=change.actor,
        actor_label=change.actor_label,
        reason=change.reason,
    )


STATUS_EVENTS: dict[str, str] = {
    S.CONFIRMED: events.APPOINTMENT_CONFIRMED,
    S.CANCELLED: events.APPOINTMENT_CANCELLED,
    S.EXPIRED: events.APPOINTMENT_EXPIRED,
}


def _announce(change: Change) -> None:
    if not change.from_state:
        return  # creation: the booking pipeline announces appointment_booked
    appointment = change.obj
    payload = {
        "appointment_id": appointment.pk,
        "provider_id": appointment.provider_id,  # type: ignore[attr-defined]
        "slot_id": appointment.slot_id,  # type: ignore[attr-defined]
    }
    events.emit(events.APPOINTMENT_STATUS_CHANGED, **payload, **{"from": change.from_state, "to": change.to_state})
    if change.to_state in STATUS_EVENTS:
        events.emit(STATUS_EVENTS[change.to_state], **payload, by=change.actor_label)


MACHINE = Machine(
    Appointment,
    transitions=ALLOWED,
    subject="wizyty",
    name="appointment",
    audit=False,  # `_record` writes the appointment's own audit summary
    error=TransitionNotAllowed,
    record=_record,
    after=[_announce],
)


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
    return MACHINE.move(appointment, to_status, now=now, actor=actor, actor_label=actor_label, reason=reason, **fields)


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
        reason=(reason or f"przeniesiona z {clock.local_text(old_start)}")[:300],
    )
    record_audit(
        provider_id=appointment.provider_id,
        action="appointment.moved",
        target=appointment,
        summary=f"Wizyta {appointment.reference} przeniesiona: {clock.local_text(old_start)} → "
        f"{clock.local_text(appointment.start)}",
        actor=actor,
        actor_label=actor_label,
        changes={
            "start": [clock.local_text(old_start), clock.local_text(appointment.start)],
            **({"reason": reason} if reason else {}),
        },
        at=now,
    )
    events.emit(
        events.APPOINTMENT_MOVED,
        appointment_id=appointment.pk,
        provider_id=appointment.provider_id,
        slot_id=appointment.slot_id,
        old_start=old_start.isoformat(),
    )
    return entry
