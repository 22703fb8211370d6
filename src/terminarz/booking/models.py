from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField, link_token, link_token_matches, new_salt, secret_hash_matches
from terminarz.core.tenancy import TenantManager
from terminarz.patients.models import Patient
from terminarz.providers.models import Provider, Unit
from terminarz.scheduling.models import Slot
from terminarz.staff.models import Practitioner


class AppointmentStatus(models.TextChoices):
    HELD = "held", _("oczekuje na potwierdzenie")
    CONFIRMED = "confirmed", _("zarezerwowana")
    CANCELLED = "cancelled", _("odwołana")
    EXPIRED = "expired", _("wygasła")
    COMPLETED = "completed", _("zrealizowana")
    NO_SHOW = "no_show", _("nieobecność")


ACTIVE_STATUSES = [AppointmentStatus.HELD, AppointmentStatus.CONFIRMED]
TOKEN_PURPOSE = "appointment"
LEGACY_TOKEN_PURPOSE = "appointment-legacy-token"


class Source(models.TextChoices):
    PORTAL = "portal", _("portal")
    API = "api", _("API")
    DESK = "desk", _("rejestracja")
    PAYER = "payer", _("ubezpieczyciel")
    FHIR = "fhir", _("aplikacja FHIR")  # a patient-facing FHIR client (online rules)
    SYSTEM = "system", _("system placówki")  # the provider's own clinic system (desk rules)


class Appointment(models.Model):
    """Wizyta: one lifecycle from hold to completion. Transitions live in booking.transitions."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="appointments")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="appointments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField(_("początek"))
    end = models.DateTimeField(_("koniec"))
    status = models.CharField(_("status"), max_length=12, choices=AppointmentStatus.choices)
    hold_until = models.DateTimeField(null=True, blank=True)
    # Why a HELD visit waits: the patient's e-mail confirmation (D3) or a payment (H4, the
    # payments app confirms it). A capability's hold names itself here.
    hold_reason = models.CharField(max_length=20, blank=True, default="")
    source = models.CharField(_("źródło"), max_length=10, choices=Source.choices)
    reference = models.CharField(_("numer rezerwacji"), max_length=12, unique=True)
    # D7 link secret (`cancel_token`): only a random salt is stored, the token is derived from it
    # with a key the database never holds (core.crypto.link_token), so reminders and moves sent
    # later carry the same link and a dump alone cannot cancel a visit. A token issued before
    # that (already e-mailed) is kept as a keyed hash only, so its links keep working.
    token_salt = models.CharField(max_length=32, default=new_salt, editable=False)
    legacy_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # What the patient submitted, kept as given.
    first_name = models.CharField(_("imię"), max_length=100)
    last_name = models.CharField(_("nazwisko"), max_length=100)
    email = EncryptedTextField(_("e-mail"), blank=True)
    phone = EncryptedTextField(_("telefon"), blank=True)
    pesel = EncryptedTextField("PESEL", blank=True)
    note = models.TextField(_("informacja dla lekarza"), blank=True)
    accepted_requirements = models.BooleanField(default=False)
    # D6: booked online as a first-time NFZ visit (the patient goes to the stable waiting queue).
    nfz_first_time = models.BooleanField(_("pierwszorazowa NFZ"), default=False)
    # The language the patient booked in: their e-mails and SMS are written in it.
    language = models.CharField(_("język"), max_length=8, default="pl")
    # I2: the visit start a reminder was sent for (a moved visit gets a new one).
    reminded_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The patient account that booked it online (D4, E5); None for bookings without an account.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("powód odwołania"), max_length=300, blank=True)
    # The booking form's one-time key: the same form sent again (a double click, Back and send)
    # finds this visit instead of a "taken" slot (booking.pipeline.already_made).
    submission_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("wizyta")
        verbose_name_plural = _("wizyty")
        ordering = ["start"]
        constraints = [
            # Last line of defence against double booking: one active appointment per slot.
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=["held", "confirmed"]),
                name="one_active_appointment_per_slot",
            ),
        ]
        indexes = [
            # A resent booking form finds the visit it made (booking.pipeline.already_made).
            models.Index(fields=["submission_key"], condition=~Q(submission_key=""), name="appointment_submission"),
            models.Index(fields=["provider", "start"], name="appt_provider_start"),
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def cancel_token(self) -> str:
        """The secret of the visit's links (cancel, confirm a hold, calendar file)."""
        return link_token(TOKEN_PURPOSE, self.token_salt)

    def token_matches(self, token: object) -> bool:
        """Constant time: the derived token, or the one e-mailed before tokens were derived."""
        derived = link_token_matches(TOKEN_PURPOSE, self.token_salt, token)
        legacy = secret_hash_matches(LEGACY_TOKEN_PURPOSE, token, self.legacy_token_hash)
        return derived or legacy


class AppointmentTransition(models.Model):
    """Who moved an appointment from one status to another, when and why."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, choices=AppointmentStatus.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=50)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


GROSZ = Decimal("0.01")


class PayerKind(models.TextChoices):
    """Who pays for a visit's service: the patient, the NFZ, or one of the provider's insurer
    payers (G4, `VisitService.insurer_payer` says which)."""

    PATIENT = "patient", _("Pacjent")
    NFZ = "nfz", _("NFZ")
    INSURER = "insurer", _("Ubezpieczyciel")


class VisitService(models.Model):
    """A service performed at a visit (F9): price frozen when added, split between the payer
    and the patient (patient_share % paid by the patient, the rest by the payer)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="services")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+", verbose_name=_("usługa"))
    quantity = models.PositiveSmallIntegerField(_("ilość"), default=1)
    unit_price = models.DecimalField(_("cena jednostkowa brutto"), max_digits=9, decimal_places=2)
    payer = models.CharField(_("płatnik"), max_length=20, choices=PayerKind.choices)
    insurer_payer = models.ForeignKey(
        "catalog.Payer", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("płatnik")
    )
    patient_share = models.PositiveSmallIntegerField(_("udział pacjenta (%)"), default=100)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("usługa wizyty")
        verbose_name_plural = _("usługi wizyty")
        ordering = ["appointment", "added_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(patient_share__lte=100), name="visit_service_share_max_100"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="visit_service_quantity_min_1"),
            models.CheckConstraint(
                condition=~Q(payer="patient") | Q(patient_share=100), name="visit_service_patient_pays_all"
            ),
            models.CheckConstraint(
                condition=Q(payer="insurer", insurer_payer__isnull=False)
                | (~Q(payer="insurer") & Q(insurer_payer__isnull=True)),
                name="visit_service_insurer_named",
            ),
        ]

    @property
    def payer_name(self) -> str:
        if self.insurer_payer is not None:
            return self.insurer_payer.name
        return self.get_payer_display()

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def patient_amount(self) -> Decimal:
        return (self.total * self.patient_share / 100).quantize(GROSZ, rounding=ROUND_HALF_UP)

    @property
    def payer_amount(self) -> Decimal:
        return self.total - self.patient_amount


class VisitNote(models.Model):
    """An internal staff note on a visit (not shown to the patient)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="staff_notes")
    text = models.TextField(_("notatka"), max_length=2000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notatka do wizyty")
        verbose_name_plural = _("notatki do wizyt")
        ordering = ["appointment", "created_at", "pk"]


class CalendarFeed(models.Model):
    """K3: a practitioner's visits as an iCalendar feed behind a secret link (for Google, Apple
    or Outlook calendars). Only the token's SHA-256 is stored; the link is shown once when it is
    made. "Wygeneruj nowy link" revokes the old one; "Wyłącz" revokes without a new one."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    practitioner = models.ForeignKey("staff.Practitioner", on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kalendarz internetowy personelu")
        verbose_name_plural = _("kalendarze internetowe personelu")
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner"], condition=models.Q(revoked_at__isnull=True), name="one_open_calendar_feed"
            )
        ]


class AccountCalendarFeed(models.Model):
    """K3: a patient account's visits as an iCalendar feed behind a secret link (the patient
    subscribes in the phone's calendar). Like the practitioner's: only the token's SHA-256 is
    stored, one open link per account, a new one revokes the old. Not provider-scoped: an
    account's visits span providers."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    # Who made the link: the account itself or its guardian; served only while they still are.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="pl")
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kalendarz internetowy pacjenta")
        verbose_name_plural = _("kalendarze internetowe pacjentów")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(revoked_at__isnull=True), name="one_open_account_calendar_feed"
            )
        ]
