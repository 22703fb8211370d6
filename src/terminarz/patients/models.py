from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField, lookup_hash
from terminarz.core.phone import phone_digits
from terminarz.core.tenancy import TenantManager
from terminarz.providers.models import Provider

from .pesel import birth_date_from_pesel, sex_from_pesel


class Patient(models.Model):
    """Kartoteka pacjenta: the provider's own record of a patient."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="patients")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    first_name = models.CharField(_("imię"), max_length=100)
    last_name = models.CharField(_("nazwisko"), max_length=100)
    # Personal data encrypted at rest (L2); found by exact match through the keyed hashes.
    pesel = EncryptedTextField("PESEL", blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    phone = EncryptedTextField(_("telefon"), blank=True)
    birth_date = models.DateField(_("data urodzenia"), null=True, blank=True)
    sex = models.CharField(_("płeć"), max_length=1, choices=[("F", _("kobieta")), ("M", _("mężczyzna"))], blank=True)
    guardian = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="wards", verbose_name=_("opiekun")
    )
    # E5: the patient account this record belongs to – set only when the record was created by
    # that account's booking (a PESEL typed into a form never links someone else's record).
    account = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="patient_records"
    )
    blacklisted = models.BooleanField(_("czarna lista"), default=False)
    blacklist_reason = models.CharField(_("powód wpisu na czarną listę"), max_length=300, blank=True)
    pesel_hash = models.CharField(max_length=64, blank=True, editable=False)
    email_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pacjent")
        verbose_name_plural = _("pacjenci")
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["provider", "pesel_hash"], name="patient_provider_pesel"),
            models.Index(fields=["provider", "email_hash"], name="patient_provider_email"),
            models.Index(fields=["provider", "phone_hash"], name="patient_provider_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day) -> int | None:
        """Full years on a day (from the birth date, which a PESEL fills in)."""
        born = self.birth_date
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def save(self, *args, **kwargs):
        if self.pesel:
            # Birth date and sex follow from the PESEL when there is one.
            self.birth_date = birth_date_from_pesel(self.pesel) or self.birth_date
            self.sex = sex_from_pesel(self.pesel) or self.sex
        self.pesel_hash = lookup_hash(self.pesel or "")
        self.email_hash = lookup_hash(self.email or "")
        self.phone_hash = lookup_hash(phone_digits(self.phone or ""))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "pesel_hash",
                "email_hash",
                "phone_hash",
                "birth_date",
                "sex",
            }
        super().save(*args, **kwargs)


CARD_LENGTH = 18


class HealthCard(models.Model):
    """Karta pacjenta (E6): 18 characters; arrives inactive, a registrar activates it; at most
    one active card per patient."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="cards")
    number = models.CharField(_("numer karty"), max_length=18)
    is_active = models.BooleanField(_("aktywna"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("karta pacjenta")
        verbose_name_plural = _("karty pacjenta")
        ordering = ["-is_active", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(is_active=True), name="one_active_card_per_patient"
            ),
            models.UniqueConstraint(fields=["provider", "number"], name="card_number_per_provider"),
        ]

    def __str__(self) -> str:
        return self.number
