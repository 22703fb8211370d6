"""Referrals sent to the payer (G8, seed 001 §12.2.1): from the view of a visit an insurer booked,
the provider adds one referral – issue date, validity, one service of the payer's price list –
and it goes to the insurer: on its desk at once, and by e-mail through the outbox (no patient
data in the message: the insurer opens the visit on its desk)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from terminarz.booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from terminarz.catalog.models import PayerService, Service
from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import queue_email

from .models import PayerBooking, Referral


class ReferralError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.field = field


def can_send(appointment: Appointment) -> bool:
    return appointment.status in (*ACTIVE_STATUSES, AppointmentStatus.COMPLETED)


def payer_services(found: PayerBooking) -> list[Service]:
    """The services of the payer's price list (its overrides of active services)."""
    rows = PayerService.objects.filter(payer=found.payer, service__is_active=True).select_related("service")
    return [row.service for row in rows.order_by("service__name")]


def send(
    appointment: Appointment,
    *,
    issued_on: dt.date,
    valid_until: dt.date,
    service: Service,
    actor,
    now: dt.datetime | None = None,
) -> Referral:
    now = now or clock.now()
    found = PayerBooking.objects.filter(appointment=appointment).select_related("payer", "insurer").first()
    if found is None:
        raise ReferralError(_("Skierowanie wysyła się tylko z wizyty umówionej przez ubezpieczyciela."))
    if not can_send(appointment):
        raise ReferralError(_("Do odwołanej lub wygasłej wizyty nie można wysłać skierowania."))
    if valid_until < issued_on:
        raise ReferralError(_("Data ważności nie może być wcześniejsza niż data wystawienia."), field="valid_until")
    if service.pk not in {s.pk for s in payer_services(found)}:
        raise ReferralError(_("Wybierz usługę z cennika tego płatnika."), field="service")
    try:
        with transaction.atomic():
            made = Referral.objects.create(
                provider_id=appointment.provider_id,
                appointment=appointment,
                insurer=found.insurer,
                direction=Referral.Direction.SENT,
                issued_on=issued_on,
                valid_until=valid_until,
                service=service,
                created_at=now,
                created_by=actor,
            )
            record_audit(
                provider_id=appointment.provider_id,
                action="referral.sent",
                target=appointment,
                summary=f"Wizyta {appointment.reference}: wysłano skierowanie do {found.insurer.name} ({service.code})",
                actor=actor,
                changes={"referral": made.pk, "service": service.pk},
            )
            if found.insurer.email:
                queue_email(
                    provider=appointment.provider,
                    kind="referral_sent",
                    recipient=found.insurer.email,
                    template="insurers/email/referral_sent",
                    context={"referral_id": made.pk},
                    idempotency_key=f"referral-sent:{made.pk}",
                )
    except IntegrityError as exc:  # one sent referral per visit (seed: "tylko jedno skierowanie wysyłane")
        raise ReferralError(_("Do tej wizyty wysłano już skierowanie – można dodać tylko jedno.")) from exc
    return made


@register_context("referral_sent")
def referral_context(stored: dict) -> dict:
    referral = Referral.unscoped.select_related("appointment__provider", "service", "insurer").get(
        pk=stored["referral_id"]
    )
    found = PayerBooking.unscoped.filter(appointment_id=referral.appointment_id).first()
    return {"referral": referral, "booking_id": found.pk if found else None}
