"""Online prepayments (H1–H9): the rules a clinic sets, and each visit's payment.

`PaymentSettings` (one per provider) chooses the gateway, the special groups (first-time and
blacklisted patients), the links sent and the refund policy. `PaymentRule` says whether a visit
is paid online, how much and by when: one rule for the whole provider, overridden per
practitioner and per service (`rules.resolve` decides for one booking). `Payment` is one
visit's payment with its own state machine (`machines.PAYMENT`); `PaymentAttempt` is one
transaction started at the gateway (a patient may start several); `Refund` one refund;
`PaymentEvent` the history a registrar reads (links sent, rule changed, notifications
rejected). Money is Decimal PLN; grosze appear only inside the gateway adapters."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField, link_token, link_token_matches, new_salt
from terminarz.core.tenancy import TenantManager

TOKEN_PURPOSE = "payment"
RETURN_TOKEN_PURPOSE = "payment-return"


class GatewayName(models.TextChoices):
    PRZELEWY24 = "przelewy24", "Przelewy24"
    AUTOPAY = "autopay", "Autopay"


class Requirement(models.TextChoices):
    NONE = "none", _("bez płatności online")
    OPTIONAL = "optional", _("płatność opcjonalna")
    MANDATORY = "mandatory", _("płatność obowiązkowa")


class AmountKind(models.TextChoices):
    FULL = "full", _("pełna przedpłata")
    DEPOSIT_AMOUNT = "deposit_amount", _("zadatek – kwota")
    DEPOSIT_PERCENT = "deposit_percent", _("zadatek – procent ceny")


class DeadlineKind(models.TextChoices):
    BY_HOUR = "by_hour", _("do określonej godziny w dniu zapisu")
    BEFORE_VISIT = "before_visit", _("do terminu wizyty")
    AFTER_BOOKING = "after_booking", _("od momentu zapisu")


class PaymentSettings(models.Model):
    """A provider's payment settings (PLACÓWKI → Ustawienia → Płatności online)."""

    provider = models.OneToOneField("providers.Provider", on_delete=models.CASCADE, related_name="payment_settings")
    unscoped = models.Manager()
    objects = TenantManager()
    enabled = models.BooleanField(
        _("Płatności online włączone"),
        default=False,
        help_text=_("Bez tego żadna wizyta nie wymaga płatności online, niezależnie od zasad poniżej."),
    )
    gateway = models.CharField(
        _("Operator płatności"), max_length=20, choices=GatewayName.choices, default=GatewayName.PRZELEWY24
    )
    first_time_mandatory = models.BooleanField(
        _("Płatność obowiązkowa dla pacjentów pierwszorazowych"),
        default=False,
        help_text=_(
            "Osoba, która nie miała jeszcze wizyty w placówce, musi opłacić wizytę online; "
            "wizyta zostanie potwierdzona dopiero po płatności – niezależnie od kanału zapisu."
        ),
    )
    blacklist_mandatory = models.BooleanField(
        _("Płatność obowiązkowa dla pacjentów z czarnej listy"),
        default=False,
        help_text=_("Ta zasada ma priorytet nad wszystkimi pozostałymi ustawieniami płatności."),
    )
    link_email = models.BooleanField(
        _("Wysyłaj link do płatności e-mailem"), default=True, help_text=_("Zaraz po zapisie na wizytę.")
    )
    link_sms = models.BooleanField(
        _("Wysyłaj link do płatności SMS-em"),
        default=False,
        help_text=_("Pacjent szybciej otrzymuje link, co zmniejsza ryzyko nieopłaconych wizyt."),
    )
    optional_links = models.BooleanField(
        _("Wysyłaj link do płatności opcjonalnej"),
        default=True,
        help_text=_("Wiadomość z informacją o zarezerwowanym terminie i linkiem, gdy płatność nie jest obowiązkowa."),
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("Przypomnienie o płatności (godz. przed terminem płatności)"),
        default=2,
        validators=[MaxValueValidator(72)],
        help_text=_("0 – bez przypomnienia. Przypomnienie idzie tymi samymi kanałami co link."),
    )
    cancel_sms = models.BooleanField(
        _("SMS o anulowaniu wizyty z powodu braku płatności"),
        default=True,
        help_text=_("E-mail o anulowaniu jest wysyłany zawsze, gdy pacjent podał adres."),
    )
    refund_hours = models.PositiveSmallIntegerField(
        _("Pełny zwrot, gdy pacjent odwoła wizytę co najmniej (godz. przed wizytą)"),
        default=24,
        validators=[MaxValueValidator(720)],
        help_text=_(
            "Gdy placówka odwołuje wizytę, zwrot jest zawsze pełny. Gdy pacjent odwołuje później, "
            "o zwrocie decyduje placówka (wizyta trafia na listę „do decyzji”)."
        ),
    )

    class Meta:
        verbose_name = _("ustawienia płatności")
        verbose_name_plural = _("ustawienia płatności")

    def __str__(self) -> str:
        return f"{self.provider}: {self.get_gateway_display()}"


class PaymentRule(models.Model):
    """Whether, how much and by when a visit is paid online. The provider's own rule has no
    practitioner and no service; a practitioner's or a service's rule overrides it (a blank
    deadline kind keeps the provider's deadline)."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="payment_rules")
    unscoped = models.Manager()
    objects = TenantManager()
    practitioner = models.ForeignKey(
        "staff.Practitioner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="payment_rules",
        verbose_name=_("specjalista"),
    )
    service = models.ForeignKey(
        "catalog.Service",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="payment_rules",
        verbose_name=_("usługa"),
    )
    requirement = models.CharField(
        _("Płatność online"), max_length=10, choices=Requirement.choices, default=Requirement.NONE
    )
    amount_kind = models.CharField(_("Kwota"), max_length=16, choices=AmountKind.choices, default=AmountKind.FULL)
    deposit_amount = models.DecimalField(
        _("Zadatek (zł)"), max_digits=9, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    deposit_percent = models.PositiveSmallIntegerField(
        _("Zadatek (procent ceny)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    deadline_kind = models.CharField(_("Termin płatności"), max_length=16, choices=DeadlineKind.choices, blank=True)
    deadline_hour = models.PositiveSmallIntegerField(
        _("Do godziny"), null=True, blank=True, validators=[MaxValueValidator(23)]
    )
    close_after_hour = models.BooleanField(
        _("Limit godzinowy: po tej godzinie zapisy zamknięte"),
        default=False,
        help_text=_(
            "Zaznaczone: po tej godzinie nie można się zapisać na wizytę wymagającą płatności. "
            "Niezaznaczone: termin płatności przechodzi na tę godzinę następnego dnia."
        ),
    )
    hours_before_visit = models.PositiveSmallIntegerField(
        _("Najpóźniej (godz. przed wizytą)"), null=True, blank=True, validators=[MaxValueValidator(720)]
    )
    hours_after_booking = models.PositiveSmallIntegerField(
        _("W ciągu (godz. od zapisu)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(720)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("zasada płatności")
        verbose_name_plural = _("zasady płatności")
        constraints = [
            models.CheckConstraint(
                condition=Q(practitioner__isnull=True) | Q(service__isnull=True), name="payment_rule_one_target"
            ),
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(practitioner__isnull=True, service__isnull=True),
                name="payment_rule_provider",
            ),
            models.UniqueConstraint(
                fields=["provider", "practitioner"],
                condition=Q(practitioner__isnull=False),
                name="payment_rule_practitioner",
            ),
            models.UniqueConstraint(
                fields=["provider", "service"], condition=Q(service__isnull=False), name="payment_rule_service"
            ),
        ]

    def __str__(self) -> str:
        target = self.practitioner or self.service or _("cała placówka")
        return f"{target}: {self.get_requirement_display()}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("oczekuje")
    PAID = "paid", _("opłacone")
    EXPIRED = "expired", _("przeterminowane")
    CANCELLED = "cancelled", _("anulowane")
    WAIVED = "waived", _("zwolniono z płatności")
    LATE = "late", _("wpłata po anulowaniu – do zwrotu")
    PARTIALLY_REFUNDED = "partially_refunded", _("zwrócone częściowo")
    REFUNDED = "refunded", _("zwrócone")


class Payment(models.Model):
    """One visit's online payment: required (the booking waits for it until the deadline) or
    optional (the visit is confirmed; the link lets the patient pay ahead)."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="payments")
    unscoped = models.Manager()
    objects = TenantManager()
    appointment = models.OneToOneField("booking.Appointment", on_delete=models.CASCADE, related_name="payment")
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices)
    required = models.BooleanField(_("obowiązkowa"))
    reason = models.CharField(_("zasada"), max_length=30)  # rules.Decision.reason
    price = models.DecimalField(_("cena wizyty"), max_digits=9, decimal_places=2)
    amount = models.DecimalField(_("kwota do zapłaty"), max_digits=9, decimal_places=2)
    amount_kind = models.CharField(_("rodzaj kwoty"), max_length=16, choices=AmountKind.choices)
    # The service the visit was priced by (the invoice's line).
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("usługa")
    )
    deadline = models.DateTimeField(_("termin płatności"), null=True, blank=True)
    gateway = models.CharField(_("operator"), max_length=20, choices=GatewayName.choices)
    paid_at = models.DateTimeField(_("opłacono"), null=True, blank=True)
    paid_amount = models.DecimalField(_("wpłacono"), max_digits=9, decimal_places=2, default=Decimal("0.00"))
    refunded_amount = models.DecimalField(_("zwrócono"), max_digits=9, decimal_places=2, default=Decimal("0.00"))
    # The clinic decides about a refund (the patient cancelled late; refund policy).
    refund_decision_due = models.BooleanField(_("zwrot do decyzji"), default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    token_salt = models.CharField(max_length=32, default=new_salt, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("płatność online")
        verbose_name_plural = _("płatności online")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="payment_status_deadline"),
            models.Index(fields=["provider", "created_at"], name="payment_provider_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(amount__lte=models.F("price")), name="payment_amount_max_price"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount} zł ({self.get_status_display()})"

    @property
    def link_token(self) -> str:
        """The secret of the payment page link sent to the patient."""
        return link_token(TOKEN_PURPOSE, self.token_salt)

    @property
    def return_token(self) -> str:
        """The secret of the gateway's return link: it only shows the payment's status (the
        gateways see it, so it opens neither the payment page nor the visit)."""
        return link_token(RETURN_TOKEN_PURPOSE, self.token_salt)

    def return_token_matches(self, token: object) -> bool:
        return link_token_matches(RETURN_TOKEN_PURPOSE, self.token_salt, token)

    def token_matches(self, token: object) -> bool:
        return link_token_matches(TOKEN_PURPOSE, self.token_salt, token)

    @property
    def refundable(self) -> Decimal:
        return self.paid_amount - self.refunded_amount


class PaymentAttempt(models.Model):
    """One transaction started at the gateway for a payment (sessionId / OrderID)."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="attempts")
    session_id = models.CharField(max_length=40, unique=True)
    gateway = models.CharField(max_length=20, choices=GatewayName.choices)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    reference = models.CharField(max_length=100, blank=True)  # token / remote id
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    # Paid when the visit's payment was already paid (or refunded): this money is returned on
    # its own and never counts towards the payment.
    surplus = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("zlecony")
    DONE = "done", _("wykonany")
    FAILED = "failed", _("nieudany")


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="refunds")
    # The transaction refunded: set for a surplus payment's refund, else the payment's own.
    attempt = models.ForeignKey(PaymentAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("kwota zwrotu"), max_digits=9, decimal_places=2)
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    request_id = models.CharField(max_length=40, unique=True)
    reference = models.CharField(max_length=100, blank=True)
    reason = models.CharField(_("powód"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]


class PaymentEvent(models.Model):
    """What happened to a payment, for the visit view ("historia linku") and the audit trail
    of gateway notifications (accepted and rejected). No personal data in `details`."""

    class Kind(models.TextChoices):
        CREATED = "created", _("utworzono")
        LINK_SENT = "link_sent", _("wysłano link")
        REMINDER_SENT = "reminder_sent", _("wysłano przypomnienie")
        STARTED = "started", _("przejście do bramki")
        NOTIFIED = "notified", _("powiadomienie bramki")
        REJECTED = "rejected", _("odrzucone powiadomienie")
        CHANGED = "changed", _("zmiana zasad")
        REFUND = "refund", _("zwrot")

    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    provider_id_copy = models.IntegerField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class InvoiceCounter(models.Model):
    """The last invoice number of a provider in a year: taken under a row lock in the
    transaction that writes the invoice, so numbers have no gaps and no repeats."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "year"], name="invoice_counter_per_year")]


class Invoice(models.Model):
    """An invoice for a paid visit (H9). `data` is the document as issued (seller, buyer,
    lines, dates; encrypted: it holds the buyer's name and address); the PDF and the KSeF FA(3)
    XML are rendered from it, the same every time."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="invoices")
    unscoped = models.Manager()
    objects = TenantManager()
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="invoice")
    number = models.CharField(_("numer faktury"), max_length=40)
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    issue_date = models.DateField(_("data wystawienia"))
    gross = models.DecimalField(_("kwota brutto"), max_digits=9, decimal_places=2)
    data = EncryptedTextField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("faktura")
        verbose_name_plural = _("faktury")
        ordering = ["-year", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "year", "seq"], name="invoice_number_per_year"),
        ]

    def __str__(self) -> str:
        return self.number
