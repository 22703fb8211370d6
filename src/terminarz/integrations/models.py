"""Integration credentials (A7): an external clinic system signs in to the platform's API with a
client id and a secret (shown once, stored as a keyed hash), limited to its scopes; the admin
revokes or rotates it. Every authenticated call records the last contact; the connection is
"Aktywna" while contact keeps coming within the credential's threshold, "Utracona" after."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField
from terminarz.core.tenancy import TenantManager

SCOPES = [
    ("system/Slot.read", _("odczyt terminów")),
    ("system/Slot.write", _("zapis terminów (harmonogramy, blokady)")),
    ("system/Schedule.write", _("zapis harmonogramów")),
    ("system/Appointment.read", _("odczyt wizyt")),
    ("system/Appointment.write", _("zapis wizyt (rezerwacje z recepcji placówki)")),
    ("system/Patient.read", _("odczyt pacjentów placówki")),
]


class ConnectionState(models.TextChoices):
    NEVER = "never", _("Nie nawiązano")
    ACTIVE = "active", _("Aktywna")
    LOST = "lost", _("Utracona")


class ApiCredential(models.Model):
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    name = models.CharField(_("nazwa systemu"), max_length=100)
    client_id = models.CharField(_("identyfikator klienta"), max_length=40, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("zakres dostępu"), default=list)
    alert_after_minutes = models.PositiveIntegerField(
        _("alarm po braku kontaktu (min)"),
        default=30,
        help_text=_("Po tylu minutach bez kontaktu wyślemy e-mail o utracie połączenia."),
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The creating form's one-time key: sent again, it makes no second credential.
    submission_key = models.CharField(max_length=64, blank=True)
    rotation_key = models.CharField(max_length=64, blank=True)  # the same for "Nowy sekret" sent again
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(_("ostatni kontakt"), null=True, blank=True)
    state = models.CharField(
        _("status połączenia"), max_length=10, choices=ConnectionState.choices, default=ConnectionState.NEVER
    )

    class Meta:
        verbose_name = _("dane dostępowe API")
        verbose_name_plural = _("dane dostępowe API")
        ordering = ["provider", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(alert_after_minutes__gte=5) & models.Q(alert_after_minutes__lte=10080),
                name="credential_alert_threshold_range",
            ),
            models.UniqueConstraint(
                fields=["provider", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="credential_submission_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class AccessToken(models.Model):
    """A bearer token from the OAuth2 client-credentials grant (RFC 6749 §4.4): issued to a
    credential for some of its scopes, short-lived, kept only as a keyed hash. It stops working
    when it expires, when its credential is revoked, or when the credential's secret is rotated
    after it was issued."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    credential = models.ForeignKey(ApiCredential, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    credential_version = models.CharField(max_length=16, default="")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("token dostępu API")
        verbose_name_plural = _("tokeny dostępu API")


# -- webhooks ------------------------------------------------------------------------------------

WEBHOOK_EVENTS = [
    ("appointment.booked", _("wizyta umówiona")),
    ("appointment.cancelled", _("wizyta odwołana")),
    ("appointment.moved", _("wizyta przeniesiona na inny termin")),
    ("appointment.status", _("zmiana statusu wizyty (potwierdzona, wygasła, zrealizowana, nieobecność)")),
    ("payment.settled", _("płatność za wizytę zaksięgowana")),
]


class Webhook(models.Model):
    """A provider's endpoint told of its visits' events: each delivery is signed with the
    webhook's secret (HMAC-SHA256 over the timestamp and the body), shown once when made."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    url = models.URLField(_("adres (URL)"), max_length=500)
    secret = EncryptedTextField()
    events = models.JSONField(_("zdarzenia"), default=list)
    is_active = models.BooleanField(_("włączony"), default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submission_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooki")
        ordering = ["provider", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="webhook_submission_once",
            ),
        ]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("w kolejce")
    DELIVERED = "delivered", _("dostarczone")
    FAILED = "failed", _("nieudane")


class WebhookDelivery(models.Model):
    """One event for one webhook: an outbox row, sent and retried with backoff by the worker
    until the endpoint answers 2xx or the attempts run out. The payload holds ids and states."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event = models.CharField(_("zdarzenie"), max_length=40)
    payload = models.JSONField()
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("próby"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("ostatnia próba"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("kod odpowiedzi"), null=True, blank=True)
    error = models.CharField(_("błąd"), max_length=200, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dostawa webhooka")
        verbose_name_plural = _("dostawy webhooków")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_id"], name="webhook_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]
