import datetime as dt

from django.db import models
from django.db.models import F, Q
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


class ServiceGroup(models.Model):
    """A product group of the procedure dictionary (seed 000 §4.2.1 "produkt kontraktowy", e.g. a
    specialization and the services done within it); the payers' price lists are shown and
    offered to payers by these groups (seed 001 §11.2, §11.4 "grupy cennika")."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="service_groups")
    unscoped = models.Manager()
    objects = TenantManager()
    code = models.CharField(_("kod grupy"), max_length=30)
    name = models.CharField(_("nazwa grupy"), max_length=200)

    class Meta:
        verbose_name = _("grupa usług")
        verbose_name_plural = _("grupy usług")
        ordering = ["provider", "name"]
        constraints = [models.UniqueConstraint(fields=["provider", "code"], name="service_group_code_per_provider")]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A provider's medical service (produkt jednostkowy of the procedure dictionary) with its
    general gross price (the general price list, "cennik ogólny"), in a product group."""

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
    group = models.ForeignKey(
        ServiceGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("grupa"),
    )
    valid_from = models.DateField(_("ważna od"), null=True, blank=True)
    valid_to = models.DateField(_("ważna do"), null=True, blank=True, help_text=_("Puste – bezterminowo."))

    class Meta:
        verbose_name = _("usługa")
        verbose_name_plural = _("usługi")
        ordering = ["provider", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="service_code_per_provider"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="service_validity_ordered",
            ),
        ]

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Payer(models.Model):
    """A payer of the provider beside the patient and the NFZ (G4): an insurer the provider
    cooperates with, imported from the platform's insurer catalogue (seed 001 §11.1 "Pobranie
    płatników"). `insurer_ref` is the platform insurer's id; the import adds, updates and
    deactivates these rows ("usunięto": kept inactive for the visits that name it)."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="payers")
    unscoped = models.Manager()
    objects = TenantManager()
    insurer_ref = models.PositiveIntegerField(_("identyfikator ubezpieczyciela na platformie"))
    name = models.CharField(_("nazwa płatnika"), max_length=200)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    is_active = models.BooleanField(_("aktywny"), default=True)
    imported_at = models.DateTimeField(_("pobrano"))

    class Meta:
        verbose_name = _("płatnik")
        verbose_name_plural = _("płatnicy")
        ordering = ["provider", "name"]
        constraints = [models.UniqueConstraint(fields=["provider", "insurer_ref"], name="payer_insurer_per_provider")]

    def __str__(self) -> str:
        return self.name


class PayerService(models.Model):
    """A service overridden from the general price list to a payer's price list ("usługa
    nadpisana", seed 001 §11.2). It keeps no copy of the name or price: it follows later changes
    of its base service, and the price list is sent to the payer again to take them over."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="price_list")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="overrides")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("usługa nadpisana")
        verbose_name_plural = _("usługi nadpisane")
        ordering = ["payer", "service__name"]
        constraints = [models.UniqueConstraint(fields=["payer", "service"], name="payer_service_once")]


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("umowa w przygotowaniu")
    ACTIVE = "active", _("Umowa aktywna")
    ENDED = "ended", _("umowa zakończona")


class PaymentType(models.TextChoices):
    TRANSFER = "transfer", _("przelew")
    CASH = "cash", _("gotówka")
    CARD = "card", _("karta płatnicza")


class Contract(models.Model):
    """A commercial contract (seed 000 §4.2.3 "umowa komercyjna"): the price list of services a
    payer pays for, with its signing date, validity, payment type and status."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    name = models.CharField(_("Moja nazwa umowy"), max_length=200)
    signed_on = models.DateField(_("Data zawarcia"))
    valid_from = models.DateField(_("Data od"))
    valid_to = models.DateField(_("Data do"))
    payment_type = models.CharField(_("Typ płatności"), max_length=10, choices=PaymentType.choices)
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("Płatnik"))
    status = models.CharField(_("Status umowy"), max_length=10, choices=ContractStatus.choices)

    class Meta:
        verbose_name = _("umowa komercyjna")
        verbose_name_plural = _("umowy komercyjne")
        ordering = ["provider", "-valid_from", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="contract_validity_ordered")
        ]

    def __str__(self) -> str:
        return self.name


class ContractProduct(models.Model):
    """A priced service of a contract ("produkt jednostkowy"): the price of one point, its own
    validity (by default the contract's), VAT ("zw." by default), active, and the places
    (units) where it is given."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="products")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", verbose_name=_("usługa"))
    point_price = models.DecimalField(_("Cena jednego punktu w produkcie (zł)"), max_digits=9, decimal_places=2)
    valid_from = models.DateField(_("Data od"))
    valid_to = models.DateField(_("Data do"))
    vat_rate = models.CharField(_("Stawka VAT"), max_length=3, choices=VatRate.choices, default=VatRate.EXEMPT)
    is_active = models.BooleanField(_("Czy aktywna"), default=True)
    units = models.ManyToManyField("providers.Unit", blank=True, related_name="+", verbose_name=_("Miejsca"))

    class Meta:
        verbose_name = _("produkt umowy")
        verbose_name_plural = _("produkty umów")
        ordering = ["contract", "service__name", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="contract_product_validity_ordered")
        ]
