from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField, lookup_hash
from terminarz.patients.pesel import birth_date_from_pesel, sex_from_pesel


class User(AbstractUser):
    """Sign-in identity of staff and patients (patients sign in with their e-mail, allauth)."""

    class Meta:
        verbose_name = _("użytkownik")
        verbose_name_plural = _("użytkownicy")


class PatientProfile(models.Model):
    """A patient account's personal data (E1, E3): prefilled into bookings; PESEL and phone
    encrypted at rest like the providers' records (L2)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_profile")
    pesel = EncryptedTextField("PESEL", blank=True)
    phone = EncryptedTextField(_("telefon"), blank=True)
    birth_date = models.DateField(_("data urodzenia"), null=True, blank=True)
    sex = models.CharField(_("płeć"), max_length=1, choices=[("F", _("kobieta")), ("M", _("mężczyzna"))], blank=True)
    pesel_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # E4: a dependent (sub-account) managed by a guardian's account.
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dependent_profiles",
        verbose_name=_("opiekun"),
    )
    uses_guardian_pesel = models.BooleanField(_("PESEL opiekuna"), default=False)
    # E6: the patient's card number; reaches each provider's record as an inactive card.
    card_number = models.CharField(_("numer karty pacjenta"), max_length=18, blank=True)
    dependent_reason = models.CharField(
        _("powód subkonta"),
        max_length=20,
        blank=True,
        choices=[
            ("no_pesel", _("osoba bez numeru PESEL")),
            ("under_16", _("osoba poniżej 16 lat")),
            ("adult_care", _("osoba dorosła, która nie może samodzielnie zarządzać kontem")),
        ],
    )

    class Meta:
        verbose_name = _("profil pacjenta")
        verbose_name_plural = _("profile pacjentów")

    def __str__(self) -> str:
        return gettext("Profil pacjenta %(id)s") % {"id": self.user_id}

    def save(self, *args, **kwargs):
        if self.pesel:
            self.birth_date = birth_date_from_pesel(self.pesel) or self.birth_date
            self.sex = sex_from_pesel(self.pesel) or self.sex
        self.pesel_hash = lookup_hash(self.pesel or "")
        super().save(*args, **kwargs)


class Consent(models.Model):
    """One decision of a patient about a consent (RODO processing, marketing e-mail/SMS);
    the newest row per kind is the current state, older rows are the history (E3)."""

    class Kind(models.TextChoices):
        RODO = "rodo", _("Zgoda na przetwarzanie danych osobowych w celu rejestracji wizyt (RODO)")
        MARKETING_EMAIL = "marketing_email", _("Zgoda na informacje marketingowe e-mailem")
        MARKETING_SMS = "marketing_sms", _("Zgoda na informacje marketingowe SMS-em")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    granted = models.BooleanField()
    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=20, default="account")

    class Meta:
        verbose_name = _("zgoda")
        verbose_name_plural = _("zgody")
        ordering = ["user", "kind", "-at", "-pk"]
        indexes = [models.Index(fields=["user", "kind", "-at"], name="consent_user_kind_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {gettext('tak') if self.granted else gettext('nie')}"


def current_consents(user) -> dict[str, bool]:
    state = {kind: False for kind in Consent.Kind.values}
    seen: set[str] = set()
    for consent in Consent.objects.filter(user=user).order_by("kind", "-at", "-pk"):
        if consent.kind not in seen:
            state[consent.kind] = consent.granted
            seen.add(consent.kind)
    return state


def consent_withdrawn(user, kind: str) -> bool:
    """Whether the patient's latest decision on `kind` is "no" (an account that never decided
    has withdrawn nothing)."""
    latest = Consent.objects.filter(user=user, kind=kind).order_by("-at", "-pk").values_list("granted", flat=True)
    return latest.first() is False


def record_consents(user, wanted: dict[str, bool], *, source: str = "account") -> list[str]:
    """Store the decisions that differ from the current state; returns the kinds changed."""
    current = current_consents(user)
    changed = [kind for kind, granted in wanted.items() if current.get(kind) != granted]
    Consent.objects.bulk_create(Consent(user=user, kind=kind, granted=wanted[kind], source=source) for kind in changed)
    return changed
