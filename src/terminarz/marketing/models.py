"""I2 marketing campaigns: a provider's e-mail or SMS to its patients who agreed to marketing
on that channel (003: "informując pacjentów o promocjach, nowych usługach lub zachęcając ich do
ponownych konsultacji")."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.tenancy import TenantManager
from terminarz.providers.models import Provider


class Campaign(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        DRAFT = "draft", _("szkic")
        SENT = "sent", _("wysłana")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="campaigns")
    unscoped = models.Manager()
    objects = TenantManager()
    name = models.CharField(_("nazwa kampanii"), max_length=200, help_text=_("Widzi ją tylko placówka."))
    channel = models.CharField(_("kanał"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(_("temat wiadomości"), max_length=200, blank=True)
    body = models.TextField(_("treść"), max_length=3000)
    unit = models.ForeignKey(
        "providers.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a unit's campaign must not widen to every patient
        related_name="+",
        verbose_name=_("tylko pacjenci poradni"),
        help_text=_("Pacjenci po wizycie w tej poradni; bez wyboru – wszyscy, którzy zgodzili się na ten kanał."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("kampania marketingowa")
        verbose_name_plural = _("kampanie marketingowe")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class CampaignRecipient(models.Model):
    """One patient a sent campaign went to (its message in the outbox), by the account whose
    consent allowed it; the unsubscribe link of the message names this row."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    message = models.ForeignKey(
        "notifications.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "patient"], name="one_campaign_message_a_patient")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.patient_id}"
