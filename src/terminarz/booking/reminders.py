"""Reminders before visits (I2): a periodic job queues an e-mail and/or SMS N hours before
each confirmed visit, once per visit time (a moved visit is reminded again)."""

import datetime as dt

from django.db import transaction
from django.db.models import F, Q

from terminarz.core import clock
from terminarz.providers.models import Provider, RegistrationSettings, settings_for

from .models import Appointment, AppointmentStatus
from .notify import notify_patient


def send_due_reminders(*, now: dt.datetime | None = None, limit: int = 2000) -> int:
    now = now or clock.now()
    for provider_id in Provider.objects.filter(is_active=True, registration__isnull=True).values_list("pk", flat=True):
        settings_for(provider_id)
    sent = 0
    active = RegistrationSettings.objects.filter(reminder_hours__gt=0, provider__is_active=True).filter(
        Q(reminder_email=True) | Q(reminder_sms=True)
    )
    for rules in active:
        ahead = dt.timedelta(hours=rules.reminder_hours)
        due = (
            Appointment.objects.filter(
                provider_id=rules.provider_id,
                status=AppointmentStatus.CONFIRMED,
                start__gt=now,
                start__lte=now + ahead,
                created_at__lte=F("start") - ahead,  # booked inside the window: the confirmation is enough
            )
            .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("start")))
            .select_related("provider", "patient")[:limit]
        )
        for appointment in due:
            with transaction.atomic():
                claimed = (
                    Appointment.objects.filter(
                        pk=appointment.pk, start=appointment.start, status=AppointmentStatus.CONFIRMED
                    )
                    .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("start")))
                    .update(reminded_for=F("start"))
                )
                if not claimed:
                    continue
                notify_patient(
                    appointment,
                    kind="booking_reminder",
                    template="booking/email/reminder",
                    key=f"reminder:{appointment.pk}:{appointment.start.isoformat()}",
                    email=rules.reminder_email,
                    sms=rules.reminder_sms,
                )
            sent += 1
    return sent
