"""The visit record beyond its booking (F9): services with payer/patient shares, staff notes, and
its outcome (took place / no-show) with the patient's attendance figure.

Each change is one transaction with its audit entry; notes' text never goes to the audit."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from terminarz.catalog.models import Payer, Service
from terminarz.core import clock
from terminarz.core.audit import record_audit

from . import transitions
from .errors import TransitionNotAllowed
from .models import Appointment, AppointmentStatus, PayerKind, VisitNote, VisitService

CLOSED = (AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED)


class VisitClosed(Exception):
    """A cancelled or expired visit takes no services."""


def default_payer(appointment: Appointment) -> tuple[str, int]:
    """NFZ slots: NFZ pays all; otherwise the patient pays all."""
    if appointment.slot.financing == "nfz":
        return PayerKind.NFZ, 0
    return PayerKind.PATIENT, 100


def add_service(
    appointment: Appointment,
    service: Service,
    *,
    quantity: int,
    payer: str,
    patient_share: int,
    actor,
    insurer_payer: Payer | None = None,
) -> VisitService:
    """Add a service to the visit; `insurer_payer` names the insurer when `payer` is "insurer"."""
    if appointment.status in CLOSED:
        raise VisitClosed
    if payer == PayerKind.PATIENT:
        patient_share = 100
    if payer != PayerKind.INSURER:
        insurer_payer = None
    elif insurer_payer is None or insurer_payer.provider_id != appointment.provider_id:
        raise ValueError("an insurer payer of the visit's provider is required")
    with transaction.atomic():
        line = VisitService.objects.create(
            appointment=appointment,
            service=service,
            quantity=quantity,
            unit_price=service.price,
            payer=payer,
            insurer_payer=insurer_payer,
            patient_share=patient_share,
            added_by=actor,
        )
        record_audit(
            provider_id=appointment.provider_id,
            action="visit.service_added",
            target=appointment,
            summary=f"Wizyta {appointment.reference}: dodano usługę {service.code} × {quantity} "
            f"(płatnik: {line.payer_name}, udział pacjenta {patient_share}%)",
            actor=actor,
            changes={
                "service": service.pk,
                "quantity": quantity,
                "payer": insurer_payer.name if insurer_payer else payer,
                "patient_share": patient_share,
            },
        )
    return line


def remove_service(line: VisitService, *, actor) -> None:
    appointment = line.appointment
    with transaction.atomic():
        record_audit(
            provider_id=appointment.provider_id,
            action="visit.service_removed",
            target=appointment,
            summary=f"Wizyta {appointment.reference}: usunięto usługę {line.service.code} × {line.quantity}",
            actor=actor,
            changes={"service": line.service_id, "quantity": line.quantity},
        )
        line.delete()


def add_note(appointment: Appointment, text: str, *, actor) -> VisitNote:
    with transaction.atomic():
        note = VisitNote.objects.create(appointment=appointment, text=text, author=actor)
        record_audit(
            provider_id=appointment.provider_id,
            action="visit.note_added",
            target=appointment,
            summary=f"Wizyta {appointment.reference}: dodano notatkę",
            actor=actor,
        )
    return note


def totals(lines: list[VisitService]) -> dict:
    total = sum((line.total for line in lines), start=0)
    patient = sum((line.patient_amount for line in lines), start=0)
    return {"total": total, "patient": patient, "payer": total - patient}


OUTCOMES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


class OutcomeRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def record_outcome(appointment: Appointment, outcome: str, *, actor, now: dt.datetime | None = None) -> Appointment:
    """F9/practitioner's day: a confirmed visit whose time has come took place ("zrealizowana")
    or the patient did not come ("nieobecność"); through the appointment's state machine
    (compare-and-set, recorded, audited, announced)."""
    now = now or clock.now()
    if outcome not in OUTCOMES:
        raise OutcomeRefused(_("Nieznany wynik wizyty."))
    if appointment.start > now:
        raise OutcomeRefused(_("Wizytę można oznaczyć dopiero od godziny jej rozpoczęcia."))
    try:
        with transaction.atomic():
            return transitions.transition(
                appointment, outcome, now=now, actor=actor, actor_label=f"user:{actor.pk}" if actor else "system"
            )
    except TransitionNotAllowed as refused:
        raise OutcomeRefused(refused.message) from None


@dataclass(frozen=True)
class Attendance:
    """How a patient kept their visits at the provider: past visits that took place and those
    they missed (the no-show figure registrars weigh before booking again)."""

    completed: int
    no_show: int


def attendance(patient_id: int) -> Attendance:
    counts = dict(
        Appointment.objects.filter(patient_id=patient_id, status__in=OUTCOMES)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return Attendance(counts.get(AppointmentStatus.COMPLETED, 0), counts.get(AppointmentStatus.NO_SHOW, 0))
