"""A4: the online-registration service a provider orders – "Włącz tryb demo" (3 months, free)
or "Kup" (12 months) – for "Ilość" schedules published online. Each order is one row ("Wykaz
umów": type, validity, quantity) on its own state machine."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.tenancy import TenantManager


class SubscriptionKind(models.TextChoices):
    DEMO = "demo", _("demonstracyjna (3 miesiące)")
    FULL = "full", _("12 miesięcy")


class SubscriptionStatus(models.TextChoices):
    ORDERED = "ordered", _("Zamówiona – oczekuje na płatność")
    PAID = "paid", _("Opłacona – do włączenia")
    ACTIVE = "active", _("Aktywna")
    EXPIRED = "expired", _("Wygasła")
    CANCELLED = "cancelled", _("Anulowana")


class Subscription(models.Model):
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals; queries go through the scoped `objects`.
    unscoped = models.Manager()
    objects = TenantManager()
    kind = models.CharField(_("rodzaj umowy"), max_length=10, choices=SubscriptionKind.choices)
    quantity = models.PositiveSmallIntegerField(_("ilość terminarzy"))
    status = models.CharField(_("status"), max_length=10, choices=SubscriptionStatus.choices)
    valid_from = models.DateField(_("obowiązuje od"), null=True, blank=True)
    valid_to = models.DateField(_("data ważności umowy"), null=True, blank=True)
    amount = models.DecimalField(_("kwota"), max_digits=10, decimal_places=2, default=0)
    invoice = models.BooleanField(_("faktura"), default=False)
    invoice_decided = models.BooleanField(default=False)  # "Czy wystawić fakturę?" answered
    invoice_data = models.JSONField(default=dict, blank=True)
    ordered_at = models.DateTimeField()
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    # The payment at the gateway (one attempt at a time): our session id, its reference, when paid.
    gateway = models.CharField(max_length=20, blank=True)
    session_id = models.CharField(max_length=100, blank=True, db_index=True)
    payment_reference = models.CharField(max_length=100, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    warned_14_at = models.DateTimeField(null=True, blank=True)
    warned_3_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("umowa na rejestrację on-line")
        verbose_name_plural = _("umowy na rejestrację on-line")
        ordering = ["-ordered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider"], condition=models.Q(kind="demo"), name="one_demo_per_provider"),
            models.UniqueConstraint(
                fields=["provider"], condition=models.Q(status="active"), name="one_active_subscription"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1) & models.Q(quantity__lte=500), name="subscription_quantity_1_500"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} – {self.get_kind_display()} ({self.get_status_display()})"


class PlatformInvoiceCounter(models.Model):
    """The last number of the platform's own invoices (for subscriptions) in a year, taken under
    a row lock in the transaction that writes the invoice: no gaps, no repeats."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)


class PlatformInvoice(models.Model):
    """The invoice the platform operator issues for a paid subscription order the provider
    wanted one for. `data` is the document as issued (`invoicing.document.to_json`); the PDF
    and the KSeF FA(3) XML are rendered from it, the same every time."""

    # PROTECT: an issued invoice is kept (its number is part of a series without gaps).
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    subscription = models.OneToOneField(Subscription, on_delete=models.PROTECT, related_name="platform_invoice")
    number = models.CharField(_("numer faktury"), max_length=40, unique=True)
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    issue_date = models.DateField(_("data wystawienia"))
    gross = models.DecimalField(_("kwota brutto"), max_digits=10, decimal_places=2)
    data = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("faktura za abonament")
        verbose_name_plural = _("faktury za abonament")
        ordering = ["-year", "-seq"]
        constraints = [models.UniqueConstraint(fields=["year", "seq"], name="platform_invoice_number_per_year")]

    def __str__(self) -> str:
        return self.number
