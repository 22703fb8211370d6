from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
