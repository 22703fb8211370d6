from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.tenancy import TenantManager


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


class VatRate(models.TextChoices):
    EXEMPT = "zw", _("zw.")
    ZERO = "0", "0%"
    FIVE = "5", "5%"
    EIGHT = "8", "8%"
    STANDARD = "23", "23%"


class Service(models.Model):
    """A provider's medical service (produkt jednostkowy of the procedure dictionary) with its
    general gross price. Payer price lists and product groups come with the insurers' issue."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="services")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    code = models.CharField(_("kod własny"), max_length=30)
    name = models.CharField(_("nazwa usługi"), max_length=200)
    price = models.DecimalField(_("cena brutto (zł)"), max_digits=9, decimal_places=2, default=0)
    vat_rate = models.CharField(_("stawka VAT"), max_length=3, choices=VatRate.choices, default=VatRate.EXEMPT)
    self_service = models.BooleanField(
        _("dostęp do kanałów self service"),
        default=False,
        help_text=_("Usługa widoczna dla pacjentów w e-Rejestracji."),
    )
    is_active = models.BooleanField(
        _("aktywna"), default=True, help_text=_("Nieaktywna usługa nie pojawia się na listach wyboru.")
    )
    units = models.ManyToManyField(
        "providers.Unit",
        blank=True,
        related_name="services",
        verbose_name=_("komórki, w których jest wykonywana"),
        help_text=_("Puste – we wszystkich komórkach."),
    )

    class Meta:
        verbose_name = _("usługa")
        verbose_name_plural = _("usługi")
        ordering = ["provider", "name"]
        constraints = [models.UniqueConstraint(fields=["provider", "code"], name="service_code_per_provider")]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"
