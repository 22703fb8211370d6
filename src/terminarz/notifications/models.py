from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField
from terminarz.core.tenancy import TenantManager
from terminarz.providers.models import Provider


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("oczekuje")
    SENDING = "sending", _("wysyłanie")
    SENT = "sent", _("wysłana")
    FAILED = "failed", _("nieudana")


KIND_LABELS = {
    "booking_confirmation": _("potwierdzenie rezerwacji"),
    "booking_hold": _("prośba o potwierdzenie rezerwacji"),
    "booking_cancelled": _("odwołanie przez pacjenta"),
    "booking_cancelled_by_clinic": _("odwołanie przez placówkę"),
    "booking_moved": _("zmiana terminu"),
    "booking_reminder": _("przypomnienie"),
    "marketing": _("kampania marketingowa"),
    "booking_clinic_notice": _("powiadomienie dla placówki"),
    "staff_login_code": _("kod logowania personelu"),
    "payment_link": _("link do płatności"),
    "payment_optional": _("link do płatności opcjonalnej"),
    "payment_reminder": _("przypomnienie o płatności"),
    "payment_cancelled": _("anulowanie z powodu braku płatności"),
}


DELIVERY_LABELS = {
    "QUEUE": "w kolejce bramki",
    "ACCEPTED": "przyjęty przez operatora",
    "SENT": "wysłany do operatora",
    "DELIVERED": "doręczony",
    "404": "doręczony",
    "UNDELIVERED": "niedoręczony",
    "FAILED": "nie wysłano",
    "EXPIRED": "wygasł przed doręczeniem",
    "REJECTED": "odrzucony przez operatora",
    "UNKNOWN": "stan nieznany",
}


class Message(models.Model):
    """Outbox row: written in the transaction of the change that causes it."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    kind = models.CharField(max_length=50)
    recipient = models.CharField(max_length=254)
    # Rendered by the worker at delivery from `template` and the ids in `context`. The text is
    # encrypted at rest: it carries secrets (visit links, sign-in codes, account links) and
    # personal data, and a database dump alone must not yield them.
    template = models.CharField(max_length=200, blank=True)
    context = models.JSONField(default=dict)
    subject = EncryptedTextField(blank=True)
    body = EncryptedTextField(blank=True)
    html_body = EncryptedTextField(blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The gateway's id and delivery status (SMS), updated by its status callbacks.
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    delivery_status = models.CharField(max_length=30, blank=True)  # the SMS gateway's own word
    # Which patient record it concerns, for the message log per patient (no personal data here).
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )

    class Meta:
        verbose_name = _("wiadomość")
        verbose_name_plural = _("wiadomości")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="message_due")]

    @property
    def delivery_label(self) -> str:
        """The gateway's delivery status in Polish (SMSAPI's names; a code it adds stays as is)."""
        return DELIVERY_LABELS.get(self.delivery_status.upper(), self.delivery_status)

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"

    @property
    def kind_label(self) -> str:
        if self.kind.startswith("account:"):
            return str(_("konto pacjenta"))
        return str(KIND_LABELS.get(self.kind, self.kind))


class MessageTemplate(models.Model):
    """A provider's own wording of one message on one channel (I1); see templating.py."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="message_templates")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    kind = models.CharField(max_length=50)
    channel = models.CharField(max_length=10, choices=Message.Channel.choices)
    subject = models.CharField(_("temat"), max_length=200, blank=True)
    body = models.TextField(_("treść"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("szablon wiadomości")
        verbose_name_plural = _("szablony wiadomości")
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind", "channel"], name="one_template_per_message"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.kind} ({self.channel})"
