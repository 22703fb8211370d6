"""Joining the platform (A1): the registry of known facilities, the providers' applications
and the one-time links that set the first password. Platform data, not a tenant's: the
operator's back-office reads it across providers, the wizard only what the applicant typed."""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import link_token, link_token_matches, new_salt
from terminarz.core.tenancy import TenantManager
from terminarz.core.uploads import validate_document_size
from terminarz.providers.voivodeships import VOIVODESHIP_CHOICES

APPLICATION_LINK_PURPOSE = "onboarding-application"
EMAIL_LINK_PURPOSE = "onboarding-email"
PASSWORD_LINK_PURPOSE = "onboarding-password"


class RegistryFacility(models.Model):
    """A medical facility as the public register (RPWDL) knows it; imported by the operator from
    a CSV file. `provider` is the platform account that holds it, once there is one."""

    name = models.CharField(_("nazwa"), max_length=300)
    nip = models.CharField("NIP", max_length=10, blank=True, db_index=True)
    regon = models.CharField("REGON", max_length=14, blank=True, db_index=True)
    rpwdl_book = models.CharField(_("numer księgi rejestrowej RPWDL"), max_length=12, blank=True, db_index=True)
    street = models.CharField(_("ulica i numer"), max_length=200, blank=True)
    postal_code = models.CharField(_("kod pocztowy"), max_length=6, blank=True)
    city = models.CharField(_("miejscowość"), max_length=100, blank=True)
    voivodeship = models.CharField(_("województwo"), max_length=2, choices=VOIVODESHIP_CHOICES, blank=True)
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("podmiot z rejestru")
        verbose_name_plural = _("rejestr podmiotów")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["rpwdl_book"], condition=~models.Q(rpwdl_book=""), name="registry_one_per_book"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return ", ".join(part for part in (self.street, f"{self.postal_code} {self.city}".strip()) if part)


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("W przygotowaniu")
    SUBMITTED = "submitted", _("Oczekuje na weryfikację")
    APPROVED = "approved", _("Zaakceptowany")
    REJECTED = "rejected", _("Odrzucony")
    CANCELLED = "cancelled", _("Anulowany")


class ProviderApplication(models.Model):
    """Wniosek o przystąpienie: the facility's data, the RPWDL extract, the terms accepted and
    the operator's decision. The applicant follows it by a secret link (salt stored, the token
    derived with a key the database never holds)."""

    status = models.CharField(_("status"), max_length=20, choices=ApplicationStatus.choices)
    facility = models.ForeignKey(
        RegistryFacility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
        verbose_name=_("podmiot z rejestru"),
    )
    name = models.CharField(_("nazwa podmiotu"), max_length=300)
    nip = models.CharField("NIP", max_length=10)
    regon = models.CharField("REGON", max_length=14)
    rpwdl_book = models.CharField(_("numer księgi rejestrowej RPWDL"), max_length=12)
    street = models.CharField(_("ulica i numer"), max_length=200)
    postal_code = models.CharField(_("kod pocztowy"), max_length=6)
    city = models.CharField(_("miejscowość"), max_length=100)
    voivodeship = models.CharField(_("województwo"), max_length=2, choices=VOIVODESHIP_CHOICES)
    phone = models.CharField(_("telefon placówki"), max_length=30)
    first_name = models.CharField(_("imię"), max_length=100)
    last_name = models.CharField(_("nazwisko"), max_length=100)
    email = models.EmailField(_("e-mail osoby zgłaszającej"))
    extract = models.FileField(
        _("wypis z RPWDL"),
        upload_to="onboarding/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg"]), validate_document_size],
    )
    terms = models.ForeignKey("legal.TermsDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    email_confirmed_at = models.DateTimeField(_("e-mail potwierdzony"), null=True, blank=True)
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("powód odrzucenia"), max_length=500, blank=True)
    provider = models.ForeignKey(
        "providers.Provider", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_salt = models.CharField(max_length=32, default=new_salt, editable=False)

    class Meta:
        verbose_name = _("wniosek o przystąpienie")
        verbose_name_plural = _("wnioski o przystąpienie")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="application_queue")]
        permissions = [("operate_platform", "Panel operatora platformy: wnioski, zmiany, rejestr")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def token(self) -> str:
        return link_token(APPLICATION_LINK_PURPOSE, self.token_salt)

    def token_matches(self, token: object) -> bool:
        return link_token_matches(APPLICATION_LINK_PURPOSE, self.token_salt, token)

    @property
    def email_token(self) -> str:
        """Only in the e-mail: following it proves the applicant reads that mailbox."""
        return link_token(EMAIL_LINK_PURPOSE, self.token_salt)

    def email_token_matches(self, token: object) -> bool:
        return link_token_matches(EMAIL_LINK_PURPOSE, self.token_salt, token)

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"

    @property
    def contact_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PasswordLink(models.Model):
    """The e-mailed link that sets a new admin's first password: valid for 48 hours, once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(ProviderApplication, on_delete=models.CASCADE, related_name="password_links")
    salt = models.CharField(max_length=32, default=new_salt, editable=False)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def token(self) -> str:
        return link_token(PASSWORD_LINK_PURPOSE, self.salt)

    def token_matches(self, token: object) -> bool:
        return link_token_matches(PASSWORD_LINK_PURPOSE, self.salt, token)


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Oczekuje na zatwierdzenie")
    APPROVED = "approved", _("Zatwierdzony")
    REJECTED = "rejected", _("Odrzucony")
    WITHDRAWN = "withdrawn", _("Wycofany")


class ChangeRequest(models.Model):
    """A2: an edit of a provider's confirmed data, or of an approved location's address, that
    the platform operator approves before the live data changes. `before` is what the data was
    when the request was made (the diff shown), `proposed` what it becomes."""

    class Target(models.TextChoices):
        PROVIDER = "provider", _("dane placówki")
        LOCATION = "location", _("adres lokalizacji")

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals; queries go through the scoped `objects`.
    unscoped = models.Manager()
    objects = TenantManager()
    target = models.CharField(_("czego dotyczy"), max_length=10, choices=Target.choices)
    location = models.ForeignKey(
        "providers.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    before = models.JSONField(default=dict)
    proposed = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=ChangeStatus.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("powód odrzucenia"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("wniosek o zmianę danych")
        verbose_name_plural = _("wnioski o zmianę danych")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=models.Q(status="pending", location__isnull=True),
                name="one_pending_provider_change",
            ),
            models.UniqueConstraint(
                fields=["location"],
                condition=models.Q(status="pending", location__isnull=False),
                name="one_pending_location_change",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} – {self.get_target_display()} ({self.get_status_display()})"


class SupportSession(models.Model):
    """The provider lets the platform operator's support see its patients' data for a limited
    time (the only way the operator reaches them); every look is written to the provider's log."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals; queries go through the scoped `objects`.
    unscoped = models.Manager()
    objects = TenantManager()
    reason = models.CharField(_("w jakiej sprawie"), max_length=300)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("dostęp do"))
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("sesja wsparcia")
        verbose_name_plural = _("sesje wsparcia")
        ordering = ["-granted_at", "-pk"]

    def is_open(self, now) -> bool:
        return self.ended_at is None and self.granted_at <= now < self.expires_at
