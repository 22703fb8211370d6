from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.catalog.models import Service, Specialization
from terminarz.core.tenancy import TenantManager
from terminarz.providers.models import Provider, Room, Unit

PHOTO_MAX_BYTES = 2 * 1024 * 1024


def validate_photo_size(photo) -> None:
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("Zdjęcie może mieć najwyżej 2 MB."))


class Practitioner(models.Model):
    class StaffType(models.TextChoices):
        DOCTOR = "doctor", _("lekarz")
        NURSE = "nurse", _("pielęgniarka")
        PHYSIO = "physio", _("fizjoterapeuta")
        OTHER = "other", _("inny personel")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="practitioners")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    title = models.CharField(_("tytuł"), max_length=50, blank=True)
    first_name = models.CharField(_("imię"), max_length=100)
    last_name = models.CharField(_("nazwisko"), max_length=100)
    staff_type = models.CharField(
        _("rodzaj personelu"), max_length=20, choices=StaffType.choices, default=StaffType.DOCTOR
    )
    pwz = models.CharField(_("numer PWZ"), max_length=10, blank=True)
    specializations = models.ManyToManyField(
        Specialization, related_name="practitioners", verbose_name=_("specjalizacje")
    )
    units = models.ManyToManyField(Unit, related_name="practitioners", blank=True)
    description = models.TextField(_("opis dla pacjentów"), blank=True)
    callcenter_description = models.TextField(_("dodatkowy opis tylko dla CallCenter"), blank=True)
    languages = models.CharField(_("języki"), max_length=200, blank=True, help_text=_("np. polski, angielski"))
    procedures = models.ManyToManyField(
        Service,
        blank=True,
        related_name="practitioners",
        verbose_name=_("wykonywane procedury"),
        help_text=_("Usługi ze słownika usług, które wykonuje ta osoba."),
    )
    photo = models.ImageField(
        _("zdjęcie"),
        upload_to="practitioners/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"]), validate_photo_size],
        help_text=_("JPG, PNG lub WebP, najwyżej 2 MB; widoczne na karcie lekarza w portalu."),
    )
    is_visible_online = models.BooleanField(_("publikowany online"), default=True)
    # K2: free slots also in the feed for external search engines (SMART Scheduling Links);
    # the provider opts each practitioner in.
    in_aggregators = models.BooleanField(
        _("publikowany w wyszukiwarkach zewnętrznych"),
        default=False,
        help_text=_("Wolne terminy trafiają też do serwisów wyszukujących wizyty (format SMART Scheduling Links)."),
    )
    online_booking_for = models.CharField(
        _("rezerwacja online tylko dla"),
        max_length=20,
        choices=[
            ("everyone", _("wszystkich")),
            ("patients", _("pacjentów")),
            ("payers", _("płatników i CallCenter")),
        ],
        default="everyone",
    )

    class Meta:
        verbose_name = _("personel medyczny")
        verbose_name_plural = _("personel medyczny")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def public_procedures(self) -> list[Service]:
        """Procedures patients may see (active, available in self-service channels)."""
        return [s for s in self.procedures.all() if s.is_active and s.self_service]

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)


class RoomAssignment(models.Model):
    """F8: which room a practitioner uses on a day; a room holds one practitioner a day."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("gabinet"))
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="room_assignments", verbose_name=_("lekarz")
    )
    day = models.DateField(_("dzień"))

    class Meta:
        ordering = ["day", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "day"],
                name="room_one_practitioner_a_day",
                violation_error_message=_("Ten gabinet jest już zajęty w tym dniu."),
            ),
            models.UniqueConstraint(
                fields=["practitioner", "day"],
                name="practitioner_one_room_a_day",
                violation_error_message=_("Ta osoba ma już przydzielony gabinet w tym dniu."),
            ),
        ]
