from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField
from terminarz.patients.models import Patient
from terminarz.providers.models import Provider, Unit


class QueueEntry(models.Model):
    """An entry in a unit's NFZ waiting queue (kolejka oczekujących), stable or urgent (F7)."""

    class Category(models.TextChoices):
        STABLE = "stable", _("przypadek stabilny")
        URGENT = "urgent", _("przypadek pilny")

    class Status(models.TextChoices):
        WAITING = "waiting", _("oczekuje")
        SCHEDULED = "scheduled", _("termin wyznaczony")
        REMOVED = "removed", _("skreślony")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="queue_entries", verbose_name=_("komórka"))
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="queue_entries")
    category = models.CharField(_("kategoria"), max_length=10, choices=Category.choices, default=Category.STABLE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    appointment = models.ForeignKey(
        "booking.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="queue_entries"
    )
    note = models.CharField(_("uwagi"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("wpisano"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("źródło wpisu"), max_length=20, default="desk")

    class Meta:
        verbose_name = _("wpis do kolejki oczekujących")
        verbose_name_plural = _("kolejka oczekujących")
        ordering = ["unit", "created_at", "pk"]
        indexes = [models.Index(fields=["provider", "unit", "status"], name="queue_provider_unit_status")]

    def __str__(self) -> str:
        return f"{self.unit} – {self.get_category_display()} ({self.get_status_display()})"


class WaitlistEntry(models.Model):
    """Lista rezerwowa (F7): a patient asks to be told about an earlier free slot with a
    practitioner or in a specialization at a provider."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("oczekuje")
        BOOKED = "booked", _("umówiony")
        CANCELLED = "cancelled", _("zrezygnował")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        "staff.Practitioner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("lekarz"),
    )
    specialization = models.ForeignKey(
        "catalog.Specialization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("specjalizacja"),
    )
    before = models.DateField(_("termin najpóźniej do"), null=True, blank=True)
    first_name = models.CharField(_("imię"), max_length=100)
    last_name = models.CharField(_("nazwisko"), max_length=100)
    email = EncryptedTextField(_("e-mail"))
    phone = EncryptedTextField(_("telefon"), blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="waitlist_entries"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("zapisano"), auto_now_add=True)

    class Meta:
        verbose_name = _("wpis na listę rezerwową")
        verbose_name_plural = _("lista rezerwowa")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["provider", "status", "created_at"], name="waitlist_provider_status")]

    def __str__(self) -> str:
        return f"Lista rezerwowa #{self.pk} ({self.get_status_display()})"


class WaitlistOffer(models.Model):
    """A freed slot offered to a waiting patient, held for the offer's time: the first of
    the offered patients to accept gets it."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("zaproponowany")
        ACCEPTED = "accepted", _("przyjęty")
        GONE = "gone", _("zajęty przez inną osobę")
        EXPIRED = "expired", _("wygasł")

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    slot = models.ForeignKey("scheduling.Slot", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        "booking.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["slot", "status"], name="offer_slot_status")]
