"""What a provider shares with a patient (E5: vaccinations, referrals, recommendations,
documents) and what a patient asks of a provider (prescription requests, RODO requests)."""

import datetime as dt

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.tenancy import TenantManager
from terminarz.core.uploads import validate_document_size
from terminarz.patients.models import Patient
from terminarz.providers.models import Provider

RODO_DEADLINE_DAYS = 30  # RODO art. 12(3): one month


class SharedDocument(models.Model):
    class Kind(models.TextChoices):
        VACCINATION = "vaccination", _("szczepienie")
        REFERRAL = "referral", _("skierowanie")
        RECOMMENDATION = "recommendation", _("zalecenia lekarskie")
        DOCUMENT = "document", _("dokument medyczny")
        PRESCRIPTION = "prescription", _("recepta wystawiona")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="shared_documents")
    kind = models.CharField(_("rodzaj"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("tytuł"), max_length=200)
    date = models.DateField(_("data"))
    text = models.TextField(_("treść / opis"), blank=True, max_length=5000)
    # E5: a vaccination done or planned; recommendations of a finished visit name the visit.
    planned = models.BooleanField(
        _("szczepienie zaplanowane"), default=False, help_text=_("Zaznacz, jeśli szczepienie jeszcze się nie odbyło.")
    )
    appointment = models.ForeignKey(
        "booking.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shared_documents",
        verbose_name=_("wizyta"),
        help_text=_("Zakończona wizyta, której dotyczą zalecenia."),
    )
    file = models.FileField(
        _("plik"),
        upload_to="documents/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg", "png"]), validate_document_size],
        help_text=_("PDF, JPG lub PNG, najwyżej 10 MB."),
    )
    shared_at = models.DateTimeField(auto_now_add=True)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("dokument udostępniony pacjentowi")
        verbose_name_plural = _("dokumenty udostępnione pacjentom")


class PrescriptionRequest(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("złożony")
        ISSUED = "issued", _("recepta wystawiona")
        REJECTED = "rejected", _("odrzucony")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="prescription_requests")
    practitioner = models.ForeignKey(
        "staff.Practitioner", on_delete=models.CASCADE, related_name="+", verbose_name=_("lekarz")
    )
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    medicines = models.TextField(_("leki"), max_length=2000)
    note = models.TextField(_("informacja dla lekarza"), blank=True, max_length=1000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    answer = models.TextField(_("odpowiedź"), blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]


class RodoRequest(models.Model):
    class Kind(models.TextChoices):
        INFORMATION = "information", _("informacja o przetwarzaniu danych osobowych")
        RECTIFICATION = "rectification", _("sprostowanie danych osobowych")
        ACCESS = "access", _("udostępnienie dokumentacji medycznej")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("złożony")
        IN_PROGRESS = "in_progress", _("w realizacji")
        DONE = "done", _("zrealizowany")
        REJECTED = "rejected", _("odrzucony")
        WITHDRAWN = "withdrawn", _("wycofany")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="rodo_requests")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("rodzaj wniosku"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("treść wniosku"), max_length=3000)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    answer = models.TextField(_("odpowiedź"), blank=True, max_length=3000)
    created_at = models.DateTimeField(auto_now_add=True)
    due_date = models.DateField(_("termin odpowiedzi"))
    answered_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    @staticmethod
    def deadline(submitted: dt.date) -> dt.date:
        return submitted + dt.timedelta(days=RODO_DEADLINE_DAYS)

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.IN_PROGRESS)
