from django.db import models
from django.utils.translation import gettext_lazy as _


class Specialization(models.Model):
    """Dictionary of medical specializations patients search by."""

    code = models.CharField(_("kod"), max_length=20, unique=True)
    name = models.CharField(_("nazwa"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("specjalizacja")
        verbose_name_plural = _("specjalizacje")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
