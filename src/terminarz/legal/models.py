"""Versioned terms documents and who accepted which version (A3): one model for every kind –
the platform's (published by the operator) and each insurer's (published at its desk)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

INSURER_KINDS = ("insurer_general", "insurer_thematic")


class TermsDocument(models.Model):
    """One version of a terms document. The version in force is the newest whose
    `effective_from` has passed; older ones stay, because acceptances point at them."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("Regulamin serwisu Terminarz")
        INSURANCE = "insurance", _("Regulamin usługi Ubezpieczenia")
        PROVIDER = "provider", _("Regulamin Świadczeniodawcy")
        TELEVISIT = "televisit", _("Regulamin usługi Telewizyta")
        BRANDED_APP = "branded_app", _("Regulamin aplikacji mobilnej placówki")
        # An insurer's own terms (G1, G9), published at its desk; `insurer_ref` says whose.
        INSURER_GENERAL = "insurer_general", _("regulamin ogólny")
        INSURER_THEMATIC = "insurer_thematic", _("regulamin tematyczny")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The insurer of an insurer's terms: a plain id, as `legal` sits below `insurers` (like
    # `TermsAcceptance.provider_ref`); every read of those filters by it explicitly.
    insurer_ref = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    # A thematic document's area of services (`catalog.ServiceArea` values).
    area = models.CharField(_("obszar usług"), max_length=20, blank=True)
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
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"], condition=models.Q(insurer_ref__isnull=True), name="terms_kind_version"
            ),
            models.UniqueConstraint(
                fields=["insurer_ref", "kind", "title", "version"],
                condition=models.Q(insurer_ref__isnull=False),
                name="terms_insurer_version",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=INSURER_KINDS, insurer_ref__isnull=False)
                | (~models.Q(kind__in=INSURER_KINDS) & models.Q(insurer_ref__isnull=True)),
                name="terms_insurer_kinds_have_insurer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


# The kinds the platform operator publishes (an insurer publishes its own at its desk).
PLATFORM_KINDS = tuple(kind for kind in TermsDocument.Kind.values if kind not in INSURER_KINDS)
PLATFORM_KIND_CHOICES = [(kind, label) for kind, label in TermsDocument.Kind.choices if kind in PLATFORM_KINDS]


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
