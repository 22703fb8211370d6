from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import (
    EncryptedTextField,
    link_token,
    link_token_matches,
    new_salt,
    secret_hash,
    secret_hash_matches,
)
from terminarz.core.tenancy import TenantManager
from terminarz.patients.models import Patient
from terminarz.providers.models import Provider, Unit

ENTRY_TOKEN_PURPOSE = "waitlist-entry"
ENTRY_LEGACY_TOKEN_PURPOSE = "waitlist-entry-legacy-token"
OFFER_TOKEN_PURPOSE = "waitlist-offer"


class QueueEntry(models.Model):
    """An entry in a unit's NFZ waiting queue (kolejka oczekujących), stable or urgent (F7)."""

    class Category(models.TextChoices):
        STABLE = "stable", _("przypadek stabilny")
        URGENT = "urgent", _("przypadek pilny")

    class Status(models.TextChoices):
        WAITING = "waiting", _("oczekuje")
        SCHEDULED = "scheduled", _("termin wyznaczony")
        REMOVED = "removed", _("skreślony")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="queue_entries", verbose_name=_("komórka"))
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="queue_entries")
    category = models.CharField(_("kategoria"), max_length=10, choices=Category.choices, default=Category.STABLE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    appointment = models.ForeignKey(
        "booking.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="queue_entries"
    )
    note = models.CharField(_("uwagi"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("wpisano"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("źródło wpisu"), max_length=20, default="desk")

    class Meta:
        verbose_name = _("wpis do kolejki oczekujących")
        verbose_name_plural = _("kolejka oczekujących")
        ordering = ["unit", "created_at", "pk"]
        indexes = [models.Index(fields=["provider", "unit", "status"], name="queue_provider_unit_status")]

    def __str__(self) -> str:
        return f"{self.unit} – {self.get_category_display()} ({self.get_status_display()})"


class WaitlistEntry(models.Model):
    """Lista rezerwowa (F7): a patient asks to be told about an earlier free slot with a
    practitioner or in a specialization at a provider."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("oczekuje")
        BOOKED = "booked", _("umówiony")
        CANCELLED = "cancelled", _("zrezygnował")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    practitioner = models.ForeignKey(
        "staff.Practitioner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("lekarz"),
    )
    specialization = models.ForeignKey(
        "catalog.Specialization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("specjalizacja"),
    )
    before = models.DateField(_("termin najpóźniej do"), null=True, blank=True)
    # F7: an entry the registrar made for a record: the earliest day wanted, and the record.
    after = models.DateField(_("termin najwcześniej od"), null=True, blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="waitlist_entries",
        verbose_name=_("pacjent (nr w kartotece)"),
    )
    first_name = models.CharField(_("imię"), max_length=100)
    last_name = models.CharField(_("nazwisko"), max_length=100)
    email = EncryptedTextField(_("e-mail"))
    phone = EncryptedTextField(_("telefon"), blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="waitlist_entries"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    # The "leave the list" link's secret: derived from this salt with a key the database never
    # holds (see booking.Appointment.token_salt); a token from before as a keyed hash only.
    token_salt = models.CharField(max_length=32, default=new_salt, editable=False)
    legacy_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("zapisano"), auto_now_add=True)

    class Meta:
        verbose_name = _("wpis na listę rezerwową")
        verbose_name_plural = _("lista rezerwowa")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["provider", "status", "created_at"], name="waitlist_provider_status")]

    def __str__(self) -> str:
        return gettext("Lista rezerwowa #%(id)s (%(status)s)") % {"id": self.pk, "status": self.get_status_display()}

    @property
    def token(self) -> str:
        return link_token(ENTRY_TOKEN_PURPOSE, self.token_salt)

    def token_matches(self, token: object) -> bool:
        derived = link_token_matches(ENTRY_TOKEN_PURPOSE, self.token_salt, token)
        legacy = secret_hash_matches(ENTRY_LEGACY_TOKEN_PURPOSE, token, self.legacy_token_hash)
        return derived or legacy


class WaitlistOffer(models.Model):
    """A freed slot offered to a waiting patient, held for the offer's time: the first of
    the offered patients to accept gets it."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("zaproponowany")
        ACCEPTED = "accepted", _("przyjęty")
        GONE = "gone", _("zajęty przez inną osobę")
        EXPIRED = "expired", _("wygasł")

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    slot = models.ForeignKey("scheduling.Slot", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    # The offer link carries only the token, so the row is found by the token's keyed hash;
    # the token itself is derived from the salt when the offer e-mail/SMS is rendered.
    token_salt = models.CharField(max_length=32, default=new_salt, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        "booking.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["slot", "status"], name="offer_slot_status")]

    @property
    def token(self) -> str:
        return link_token(OFFER_TOKEN_PURPOSE, self.token_salt)

    def save(self, *args, **kwargs):
        if not self.token_hash:
            self.token_hash = offer_token_hash(self.token)
        super().save(*args, **kwargs)


def offer_token_hash(token: str) -> str:
    return secret_hash(OFFER_TOKEN_PURPOSE, token)
