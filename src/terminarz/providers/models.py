from django.db import models
from django.utils.translation import gettext_lazy as _

from terminarz.core.tenancy import TenantManager

from .voivodeships import VOIVODESHIP_CHOICES


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
    regon = models.CharField("REGON", max_length=14, blank=True)
    # Set by the platform operator with `is_active=False`: the provider leaves the portal and
    # its staff are told why when they sign in.
    suspended_reason = models.CharField(_("powód zawieszenia"), max_length=500, blank=True)
    suspended_at = models.DateTimeField(_("zawieszona"), null=True, blank=True)
    # A2: "Potwierdzam poprawność danych" – when and by whom the admin confirmed the data.
    data_confirmed_at = models.DateTimeField(_("dane potwierdzone"), null=True, blank=True)
    data_confirmed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("świadczeniodawca")
        verbose_name_plural = _("świadczeniodawcy")
        ordering = ["name"]
        # One account per taxpayer (its locations are the branches); ASCII digits only.
        constraints = [
            models.UniqueConstraint(fields=["nip"], condition=~models.Q(nip=""), name="provider_one_per_nip")
        ]

    def __str__(self) -> str:
        return self.name


class LocationStatus(models.TextChoices):
    """A5: a location the provider adds waits for the platform operator's approval."""

    PENDING = "pending", _("oczekująca")
    APPROVED = "approved", _("zatwierdzona")
    REJECTED = "rejected", _("odrzucona")


class Location(models.Model):
    """An address where patients are seen; number 1 is the main location. A location the
    provider adds is "oczekująca" (and hidden from the portal) until the operator approves it."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="locations")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    number = models.PositiveSmallIntegerField(_("numer"), default=1)
    name = models.CharField(_("nazwa"), max_length=200)
    street = models.CharField(_("ulica i numer"), max_length=200)
    postal_code = models.CharField(_("kod pocztowy"), max_length=6)
    city = models.CharField(_("miejscowość"), max_length=100, db_index=True)
    # TERYT code (`voivodeships.VOIVODESHIP_CHOICES`); FHIR `address.state` (K1, K2).
    voivodeship = models.CharField(_("województwo"), max_length=2, choices=VOIVODESHIP_CHOICES, blank=True)
    timezone = models.CharField(_("strefa czasowa"), max_length=50, default="Europe/Warsaw")
    is_visible = models.BooleanField(_("widoczna w portalu"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LocationStatus.choices, default=LocationStatus.APPROVED
    )
    rejection_reason = models.CharField(_("powód odrzucenia"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("zgłoszona do zatwierdzenia"), null=True, blank=True)

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
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
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
    # D6 (seed 001 §5.4): the rules for first-time NFZ patients apply to units "do których
    # wymagany jest wpis do kolejki oczekujących" only.
    requires_queue_entry = models.BooleanField(
        _("wymagany wpis do kolejki oczekujących"),
        default=True,
        help_text=_(
            "Pacjent pierwszorazowy umawiany online na wizytę NFZ w tej komórce trafia do kolejki "
            "oczekujących albo nie może się umówić – zależnie od ustawień rejestracji on-line."
        ),
    )

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
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
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


class RegistrationSettings(models.Model):
    """A provider's online-registration settings (seed 001, Tabela 4). One row per provider,
    created with the defaults on first read (`settings_for`)."""

    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="registration")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    online_registration = models.BooleanField(
        _("Rejestracja on-line"),
        default=True,
        help_text=_("Włącza lub wyłącza rejestrację wizyt przez pacjentów w portalu i w API."),
    )
    without_account = models.BooleanField(
        _("Rejestracja bez konta pacjenta"),
        default=True,
        help_text=_(
            "Pacjent może umówić wizytę bez zakładania konta. Wyłączenie: online umawiają się tylko zalogowani "
            "pacjenci. Zalecane jest włączenie opcji."
        ),
    )
    phone_required = models.BooleanField(
        _("Numer telefonu wymagany"),
        default=False,
        help_text=_("Imię i nazwisko oraz adres e-mail są zawsze wymagane; telefon domyślnie jest opcjonalny."),
    )
    pesel_required = models.BooleanField(
        _("PESEL wymagany"),
        default=False,
        help_text=_(
            "Przy blokadzie wielokrotnej rejestracji do specjalisty zaznacz tę opcję, aby blokada działała "
            "także dla pacjentów bez konta."
        ),
    )
    account_data_required = models.BooleanField(
        _("Czy wymagane dane osobowe w rejestracji z kontem?"),
        default=True,
        help_text=_(
            "Włączenie wymusza wpisanie (sprawdzenie) danych osobowych pacjenta podczas rejestracji z kontem. "
            "Wyłączenie: do rezerwacji trafiają dane z konta pacjenta bez ponownego wpisywania."
        ),
    )
    multi_step = models.BooleanField(
        _("Rejestracja wieloetapowa"),
        default=False,
        help_text=_(
            "Tak – pacjent potwierdza rezerwację, klikając link w wiadomości e-mail; do tego czasu termin "
            "jest wstępnie zarezerwowany. Nie – rezerwacja nie wymaga dodatkowego potwierdzenia."
        ),
    )
    hold_minutes = models.PositiveSmallIntegerField(
        _("Czas na potwierdzenie (minuty)"),
        default=30,
        help_text=_("Po tym czasie niepotwierdzona rezerwacja wygasa, a termin wraca do puli wolnych."),
    )
    one_visit_per_specialization = models.BooleanField(
        _("Blokada wielokrotnej rejestracji do specjalisty"),
        default=False,
        help_text=_(
            "Pacjent może mieć w tej placówce tylko jedną przyszłą wizytę w danej specjalizacji "
            "(rozpoznawany po koncie, a gdy PESEL jest wymagany – także po numerze PESEL)."
        ),
    )
    cancel_reason_required = models.BooleanField(
        _("Wymaganie podawania powodu anulowania wizyty przez pacjenta"),
        default=False,
        help_text=_("Pacjent odwołujący wizytę musi podać powód swojej decyzji."),
    )
    cancel_cutoff_hours = models.PositiveSmallIntegerField(
        _("Odwołanie online najpóźniej (godzin przed wizytą)"),
        default=0,
        help_text=_("0 – pacjent może odwołać wizytę online aż do jej rozpoczęcia."),
    )
    nfz_first_visit_online = models.BooleanField(
        _("Możliwość umawiania przez Internet wizyt w ramach NFZ dla pacjentów pierwszorazowych"),
        default=True,
        help_text=_(
            "Zaznaczenie: pacjent pierwszorazowy, który umówi się online na wizytę NFZ, zostaje wpisany do "
            "kolejki oczekujących (przypadek stabilny). Odznaczenie: takie umówienie nie jest możliwe, a pacjent "
            "zobaczy prośbę o kontakt z placówką."
        ),
    )
    nfz_queues = models.BooleanField(
        _("Obsługa kolejek oczekujących"),
        default=True,
        help_text=_(
            "Włączenie opcji powoduje, że placówka w ramach rejestracji on-line będzie udostępniała pacjentom "
            "terminy pracy poradni w ramach kontraktu NFZ."
        ),
    )
    cards_enabled = models.BooleanField(
        _("Obsługa kart pacjenta"),
        default=True,
        help_text=_(
            "W oknie umawiania: wyszukiwanie pacjenta po numerze aktywnej karty, numer aktywnej karty przy "
            "znalezionym pacjencie i numer karty przy nowym pacjencie (karta dodana jako aktywna)."
        ),
    )
    return_email = models.EmailField(
        _("E-mail zwrotny"),
        blank=True,
        help_text=_("Adres, na który wysyłamy powiadomienia o wizytach umówionych online przez pacjentów bez konta."),
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("Przypomnienie o wizycie (godzin przed)"),
        default=24,
        help_text=_(
            "0 – bez przypomnień. Pacjent, który umówił się później niż tyle godzin przed wizytą, "
            "nie dostaje przypomnienia."
        ),
    )
    reminder_email = models.BooleanField(_("Przypomnienie e-mailem"), default=True)
    confirmation_sms = models.BooleanField(
        _("Potwierdzenie rezerwacji SMS-em"),
        default=False,
        help_text=_("Oprócz e-maila, gdy pacjent podał numer telefonu komórkowego."),
    )
    reminder_sms = models.BooleanField(
        _("Przypomnienie SMS-em"), default=True, help_text=_("Gdy pacjent podał numer telefonu komórkowego.")
    )
    group_by_units = models.BooleanField(
        _("Grupowanie lekarzy według poradni specjalistycznych"),
        default=True,
        help_text=_("Na wizytówce placówki lekarze są prezentowani według poradni."),
    )

    class Meta:
        verbose_name = _("ustawienia rejestracji on-line")
        verbose_name_plural = _("ustawienia rejestracji on-line")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hold_minutes__gte=5) & models.Q(hold_minutes__lte=1440),
                name="registration_hold_5_to_1440_min",
            ),
            models.CheckConstraint(condition=models.Q(cancel_cutoff_hours__lte=720), name="registration_cutoff_max"),
            models.CheckConstraint(condition=models.Q(reminder_hours__lte=168), name="registration_reminder_max"),
        ]

    def __str__(self) -> str:
        return f"Ustawienia rejestracji: {self.provider}"


def settings_of(provider: Provider) -> RegistrationSettings:
    """The settings of a provider loaded with `select_related("provider__registration")` (no
    query then), else read or made like `settings_for`."""
    try:
        return provider.registration
    except RegistrationSettings.DoesNotExist:
        return settings_for(provider.pk)


def settings_for(provider_id: int) -> RegistrationSettings:
    """The provider's registration settings (a row with the defaults is made on first use)."""
    found, _created = RegistrationSettings.objects.get_or_create(provider_id=provider_id)
    return found


class ClosureDay(models.Model):
    """C3: a day on which the provider's calendar differs from its ordinary week, for all its
    practitioners at once: closed (the provider's own closure) or open although it is a public
    holiday (public holidays make no slots otherwise: `providers.holidays`)."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("placówka nieczynna")
        OPEN = "open", _("dzień pracy mimo święta")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="closure_days")
    # Default manager for framework internals (model forms, admin, relations); queries go through
    # the scoped `objects` (core.tenancy).
    unscoped = models.Manager()
    objects = TenantManager()
    date = models.DateField(_("dzień"))
    kind = models.CharField(_("rodzaj"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("powód"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dzień wolny lub dzień pracy")
        verbose_name_plural = _("dni wolne i dni pracy")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["provider", "date"], name="closure_day_once")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}: {self.get_kind_display()}"
