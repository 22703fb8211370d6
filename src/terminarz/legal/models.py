"""Versioned terms documents and who accepted which version (A3)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TermsDocument(models.Model):
    """One version of a terms document. The version in force is the newest whose
    `effective_from` has passed; older ones stay, because acceptances point at them."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("Regulamin serwisu Terminarz")
        INSURANCE = "insurance", _("Regulamin usługi Ubezpieczenia")
        PROVIDER = "provider", _("Regulamin Świadczeniodawcy")
        TELEVISIT = "televisit", _("Regulamin usługi Telewizyta")
        BRANDED_APP = "branded_app", _("Regulamin aplikacji mobilnej placówki")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.CharField(_("wersja"), max_length=20)
    title = models.CharField(_("tytuł"), max_length=200)
    body = models.TextField(_("treść"))
    effective_from = models.DateTimeField(_("obowiązuje od"))
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("regulamin")
        verbose_name_plural = _("regulaminy")
        ordering = ["kind", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="terms_kind_version")]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class TermsAcceptance(models.Model):
    """Who accepted which version, when and where: a signed-in user, or the patient of a
    booking made without an account (identified by the booking's reference)."""

    document = models.ForeignKey(TermsDocument, on_delete=models.PROTECT, related_name="acceptances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booking_reference = models.CharField(max_length=20, blank=True)
    # A3: the provider on whose behalf its admin accepted (a plain id: `legal` sits below
    # `providers`, like `catalog.Payer.insurer_ref`); every read filters by it explicitly.
    provider_ref = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=20)
    accepted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("akceptacja regulaminu")
        verbose_name_plural = _("akceptacje regulaminów")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "booking_reference"],
                condition=~models.Q(booking_reference=""),
                name="terms_once_per_booking",
            ),
            models.UniqueConstraint(
                fields=["document", "provider_ref"],
                condition=models.Q(provider_ref__isnull=False),
                name="terms_once_per_provider",
            ),
        ]
