from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField
from terminarz.patients.models import Patient
from terminarz.providers.models import Provider, Unit
from terminarz.scheduling.models import Slot
from terminarz.staff.models import Practitioner


class AppointmentStatus(models.TextChoices):
    HELD = "held", _("oczekuje na potwierdzenie")
    CONFIRMED = "confirmed", _("zarezerwowana")
    CANCELLED = "cancelled", _("odwołana")
    EXPIRED = "expired", _("wygasła")
    COMPLETED = "completed", _("zrealizowana")
    NO_SHOW = "no_show", _("nieobecność")


ACTIVE_STATUSES = [AppointmentStatus.HELD, AppointmentStatus.CONFIRMED]


class Source(models.TextChoices):
    PORTAL = "portal", _("portal")
    API = "api", _("API")
    DESK = "desk", _("rejestracja")


class Appointment(models.Model):
    """Wizyta: one lifecycle from hold to completion. Transitions live in booking.transitions."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="appointments")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="appointments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField(_("początek"))
    end = models.DateTimeField(_("koniec"))
    status = models.CharField(_("status"), max_length=12, choices=AppointmentStatus.choices)
    hold_until = models.DateTimeField(null=True, blank=True)
    source = models.CharField(_("źródło"), max_length=10, choices=Source.choices)
    reference = models.CharField(_("numer rezerwacji"), max_length=12, unique=True)
    cancel_token = models.CharField(max_length=64, unique=True)
    # What the patient submitted, kept as given.
    first_name = models.CharField(_("imię"), max_length=100)
    last_name = models.CharField(_("nazwisko"), max_length=100)
    email = EncryptedTextField(_("e-mail"), blank=True)
    phone = EncryptedTextField(_("telefon"), blank=True)
    pesel = EncryptedTextField("PESEL", blank=True)
    note = models.TextField(_("informacja dla lekarza"), blank=True)
    accepted_requirements = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("powód odwołania"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("wizyta")
        verbose_name_plural = _("wizyty")
        ordering = ["start"]
        constraints = [
            # Last line of defence against double booking: one active appointment per slot.
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=["held", "confirmed"]),
                name="one_active_appointment_per_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "start"], name="appt_provider_start"),
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppointmentTransition(models.Model):
    """Who moved an appointment from one status to another, when and why."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, choices=AppointmentStatus.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=50)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
