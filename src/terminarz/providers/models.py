from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.Model):
    """Świadczeniodawca: the tenant. Every tenant-owned row carries a provider."""

    name = models.CharField(_("nazwa"), max_length=200)
    slug = models.SlugField(unique=True)
    nip = models.CharField("NIP", max_length=10, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefon"), max_length=30, blank=True)
    description = models.TextField(_("opis"), blank=True)
    is_active = models.BooleanField(_("aktywny"), default=True)
    require_staff_2fa = models.BooleanField(
        _("wymagaj logowania dwuskładnikowego od personelu"),
        default=False,
        help_text=_("Każde logowanie pracownika wymaga kodu z aplikacji lub z e-maila."),
    )

    class Meta:
        verbose_name = _("świadczeniodawca")
        verbose_name_plural = _("świadczeniodawcy")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """An address where patients are seen; number 1 is the main location."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="locations")
    number = models.PositiveSmallIntegerField(_("numer"), default=1)
    name = models.CharField(_("nazwa"), max_length=200)
    street = models.CharField(_("ulica i numer"), max_length=200)
    postal_code = models.CharField(_("kod pocztowy"), max_length=6)
    city = models.CharField(_("miejscowość"), max_length=100, db_index=True)
    timezone = models.CharField(_("strefa czasowa"), max_length=50, default="Europe/Warsaw")
    is_visible = models.BooleanField(_("widoczna w portalu"), default=True)

    class Meta:
        verbose_name = _("lokalizacja")
        verbose_name_plural = _("lokalizacje")
        ordering = ["provider", "number"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "number"], name="location_number_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class Unit(models.Model):
    """Komórka organizacyjna / poradnia with its department code (kod resortowy cz. VIII)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="units")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="units", verbose_name=_("lokalizacja")
    )
    code = models.CharField(_("kod komórki"), max_length=20)
    department_code = models.CharField(_("kod resortowy cz. VIII"), max_length=4)
    name = models.CharField(_("nazwa publiczna"), max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("komórka nadrzędna"),
    )
    address = models.CharField(_("adres"), max_length=300, blank=True)
    is_visible = models.BooleanField(_("widoczna w portalu"), default=True)

    class Meta:
        verbose_name = _("komórka organizacyjna")
        verbose_name_plural = _("komórki organizacyjne")
        ordering = ["provider", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="unit_code_per_provider"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff user's role at one provider; back-office queries start from it."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("administrator")
        REGISTRAR = "registrar", _("rejestracja")
        PRACTITIONER = "practitioner", _("personel medyczny")
        FINANCE = "finance", _("finanse")

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="memberships")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rola"), max_length=20, choices=Role.choices)
    # Per-person exceptions to the role's permissions (names from providers.permissions).
    granted = models.JSONField(_("dodatkowe uprawnienia"), default=list, blank=True)
    revoked = models.JSONField(_("odebrane uprawnienia"), default=list, blank=True)

    class Meta:
        verbose_name = _("uprawnienie w placówce")
        verbose_name_plural = _("uprawnienia w placówkach")
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="one_membership_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider} ({self.get_role_display()})"

    @property
    def permissions(self) -> frozenset[str]:
        from .permissions import PERMISSIONS, ROLE_PERMISSIONS

        granted = {p for p in self.granted if p in PERMISSIONS}
        return (ROLE_PERMISSIONS.get(self.role, frozenset()) | granted) - set(self.revoked)

    def has_permission(self, permission: str) -> bool:
        return permission in self.permissions


class OpeningHours(models.Model):
    """A6: when a unit is open on a weekday (no row: closed)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("dzień tygodnia"))
    opens = models.TimeField(_("od"))
    closes = models.TimeField(_("do"))

    WEEKDAY_SHORT = ("pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz.")

    class Meta:
        ordering = ["unit", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "weekday"], name="one_opening_per_weekday"),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="opening_closes_after_opens",
                violation_error_message=_("Godzina zamknięcia musi być po godzinie otwarcia."),
            ),
        ]

    @property
    def weekday_name(self) -> str:
        return self.WEEKDAY_SHORT[self.weekday]


class Room(models.Model):
    """F8: a consulting room (gabinet) at a location."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="rooms")
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("lokalizacja")
    )
    name = models.CharField(_("nazwa gabinetu"), max_length=100)

    class Meta:
        verbose_name = _("gabinet")
        verbose_name_plural = _("gabinety")
        ordering = ["location", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="room_name_per_location")]

    def __str__(self) -> str:
        return self.name
