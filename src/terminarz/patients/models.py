from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.providers.models import Provider


class Patient(models.Model):
    """Kartoteka pacjenta: the provider's own record of a patient."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="patients")
    first_name = models.CharField(_("imię"), max_length=100)
    last_name = models.CharField(_("nazwisko"), max_length=100)
    pesel = models.CharField("PESEL", max_length=11, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefon"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pacjent")
        verbose_name_plural = _("pacjenci")
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["provider", "pesel"], name="patient_provider_pesel")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"
