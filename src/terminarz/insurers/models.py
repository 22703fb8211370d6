"""Insurers and a provider's cooperation with them (G1, G2) – the domain model.

`InsuranceService` is the provider's side of the insurance service: the service terms accepted
(which version, who, when) and online registration for insurers. `Insurer` is an insurer of the
catalogue with its versioned terms (`InsurerTerms`, rows of `legal.TermsDocument`) and the
documents it requires. `Cooperation` is one provider × insurer with its status on a
`core.statemachine.Machine` (`machines.py`), its parameters (start date, bank account, contact person) and documents.

`LocationCode` is an insurer's identifier of a provider's location (G3). `SigningCertificate`
is the provider's certificate (PKCS#12, encrypted at rest; its password is asked for at each
signing) and `PriceListPublication` a payer's price list as sent to the insurer: a signed
XML document (G5, `pricelists.py`).

Not built yet (issue 13): the insurer's desk, schedules for payers, payer bookings, referrals
and the OLS."""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import EncryptedTextField
from terminarz.core.tenancy import TenantManager
from terminarz.core.uploads import validate_document_size
from terminarz.legal.models import INSURER_KINDS, TermsDocument


class Insurer(models.Model):
    name = models.CharField(_("nazwa"), max_length=200)
    slug = models.SlugField(unique=True)
    nip = models.CharField("NIP", max_length=10, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    description = models.TextField(_("opis oferty współpracy"), blank=True)
    # Titles of the documents a provider must attach to its offer ("Wpis do rejestru…").
    required_documents = models.JSONField(_("wymagane dokumenty"), default=list, blank=True)
    is_active = models.BooleanField(_("aktywny"), default=True)

    class Meta:
        verbose_name = _("ubezpieczyciel")
        verbose_name_plural = _("ubezpieczyciele")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceArea(models.TextChoices):
    """The insurer's thematic areas (seed 002: "obszary usług" of the thematic terms)."""

    CONSULTATIONS = "consultations", _("konsultacje i zabiegi ambulatoryjne")
    NURSING = "nursing", _("zabiegi pielęgniarskie")
    HOME_VISITS = "home_visits", _("wizyty domowe")
    LABORATORY = "laboratory", _("badania laboratoryjne")
    IMAGING = "imaging", _("obrazowe badania diagnostyczne")
    REHABILITATION = "rehabilitation", _("rehabilitacja")


class InsurerRole(models.TextChoices):
    ADMIN = "admin", _("Administrator ubezpieczyciela")
    AGENT = "agent", _("Konsultant (call center)")


class InsurerMembership(models.Model):
    """A person working for an insurer at its desk (`/ubezpieczyciel/`): the insurer's staff
    who decide on offers and publish terms ("admin"), or its call center ("agent"). Each one
    sees only its insurer; the desk always asks for a second sign-in factor."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="insurer_memberships")
    insurer = models.ForeignKey(Insurer, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rola"), max_length=10, choices=InsurerRole.choices, default=InsurerRole.AGENT)
    is_active = models.BooleanField(_("aktywny"), default=True)

    class Meta:
        verbose_name = _("pracownik ubezpieczyciela")
        verbose_name_plural = _("pracownicy ubezpieczycieli")
        constraints = [models.UniqueConstraint(fields=["user", "insurer"], name="one_membership_per_insurer")]

    def __str__(self) -> str:
        return f"{self.user} – {self.insurer}"


class InsurerTermsQuerySet(models.QuerySet):
    def of(self, insurer: "Insurer | int") -> "InsurerTermsQuerySet":
        return self.filter(insurer_ref=insurer if isinstance(insurer, int) else insurer.pk)


class InsurerTermsManager(models.Manager.from_queryset(InsurerTermsQuerySet)):  # type: ignore[misc]
    def get_queryset(self):
        return super().get_queryset().filter(kind__in=INSURER_KINDS, insurer_ref__isnull=False)

    def create(self, *, insurer: "Insurer", kind: str = TermsDocument.Kind.INSURER_GENERAL, **fields):
        return super().create(insurer_ref=insurer.pk, kind=kind, **fields)


class InsurerTerms(TermsDocument):
    """One version of an insurer's terms, general or thematic: a row of `legal`'s one terms
    model (A3) with the insurer as `insurer_ref`. The version in force is the newest already
    effective."""

    class Kind(models.TextChoices):
        GENERAL = TermsDocument.Kind.INSURER_GENERAL.value, _("regulamin ogólny")
        THEMATIC = TermsDocument.Kind.INSURER_THEMATIC.value, _("regulamin tematyczny")

    objects = InsurerTermsManager()  # type: ignore[misc]  # the proxy's rows only

    class Meta:
        proxy = True
        verbose_name = _("regulamin ubezpieczyciela")
        verbose_name_plural = _("regulaminy ubezpieczycieli")
        ordering = ["insurer_ref", "kind", "-effective_from"]

    @property
    def insurer_id(self) -> int:
        if self.insurer_ref is None:  # never: a check constraint requires it for these kinds
            raise ValueError("insurer terms without an insurer")
        return self.insurer_ref

    @cached_property
    def insurer(self) -> Insurer | None:
        return Insurer.objects.filter(pk=self.insurer_id).first()

    @property
    def published_at(self):
        return self.created_at

    def get_area_display(self) -> str:
        return str(dict(ServiceArea.choices).get(self.area, self.area))


class InsuranceService(models.Model):
    """The provider's insurance service (G1): the service terms accepted, online registration
    for insurers on, and on automatically for every new cooperation."""

    provider = models.OneToOneField("providers.Provider", on_delete=models.CASCADE, related_name="insurance")
    unscoped = models.Manager()
    objects = TenantManager()
    terms = models.ForeignKey("legal.TermsDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    online_registration = models.BooleanField(_("Rejestracja on-line dla Ubezpieczycieli"), default=False)
    auto_enable_new = models.BooleanField(
        _("Automatyczne włączanie Rejestracji on-line dla nowych Ubezpieczycieli"), default=False
    )

    class Meta:
        verbose_name = _("usługa ubezpieczeń")
        verbose_name_plural = _("usługi ubezpieczeń")

    @property
    def active(self) -> bool:
        """The service terms accepted in the version in force: when a new version takes effect
        the service waits for the acceptance again (A3)."""
        if self.terms_id is None:
            return False
        from terminarz.core import clock
        from terminarz.legal import services as legal

        return legal.in_force("insurance", clock.now()).pk == self.terms_id

    @property
    def needs_new_acceptance(self) -> bool:
        return self.terms_id is not None and not self.active


class CooperationStatus(models.TextChoices):
    NONE = "none", _("Brak współpracy")
    TERMS_ACCEPTED = "terms_accepted", _("Regulamin zaakceptowany – uzupełnij dane")
    OFFER_SENT = "offer_sent", _("Oferta wysłana – rozpatruje ubezpieczyciel")
    ACTIVE = "active", _("Współpraca aktywna")
    REJECTED = "rejected", _("Oferta odrzucona")
    ENDED = "ended", _("Współpraca zakończona")


class Cooperation(models.Model):
    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="cooperations")
    unscoped = models.Manager()
    objects = TenantManager()
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="cooperations")
    status = models.CharField(_("status współpracy"), max_length=20, choices=CooperationStatus.choices)
    terms = models.ForeignKey(InsurerTerms, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Parametry
    start_date = models.DateField(_("Data rozpoczęcia współpracy"), null=True, blank=True)
    iban = models.CharField(_("Numer konta bankowego"), max_length=34, blank=True)
    contact_name = models.CharField(_("Osoba do kontaktu"), max_length=200, blank=True)
    contact_email = models.EmailField(_("E-mail osoby do kontaktu"), blank=True)
    contact_phone = models.CharField(_("Telefon osoby do kontaktu"), max_length=30, blank=True)
    decision_reason = models.CharField(_("uzasadnienie decyzji"), max_length=500, blank=True)
    online_registration = models.BooleanField(_("Rejestracja on-line"), default=False)

    class Meta:
        verbose_name = _("współpraca z ubezpieczycielem")
        verbose_name_plural = _("współprace z ubezpieczycielami")
        constraints = [models.UniqueConstraint(fields=["provider", "insurer"], name="one_cooperation_per_insurer")]

    def __str__(self) -> str:
        return f"{self.insurer}: {self.get_status_display()}"

    @property
    def parameters_complete(self) -> bool:
        return bool(self.start_date and self.iban and self.contact_name and (self.contact_email or self.contact_phone))


class CooperationDocument(models.Model):
    """A document the insurer requires, attached to the offer (PDF or JPG)."""

    cooperation = models.ForeignKey(Cooperation, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("dokument"), max_length=200)
    file = models.FileField(
        _("plik"),
        upload_to="insurers/%Y/%m/",
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg"]), validate_document_size],
        help_text=_("PDF lub JPG, najwyżej 10 MB."),
    )
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["uploaded_at", "pk"]


class LocationCodeStatus(models.TextChoices):
    NONE = "none", _("Brak powiązania")
    UNKNOWN = "unknown", _("Kod nieznany")
    ACCEPTED = "accepted", _("Zaakceptowano")


class LocationCode(models.Model):
    """G3: the insurer's identifier of one of the provider's locations. The operator enters it
    first (from the insurer), then the provider; the status follows from what both entered."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    insurer = models.ForeignKey(Insurer, on_delete=models.CASCADE, related_name="location_codes")
    location = models.ForeignKey("providers.Location", on_delete=models.CASCADE, related_name="+")
    operator_code = models.CharField(_("kod wprowadzony przez operatora"), max_length=40, blank=True)
    operator_at = models.DateTimeField(null=True, blank=True)
    provider_code = models.CharField(_("kod wprowadzony przez placówkę"), max_length=40, blank=True)
    provider_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LocationCodeStatus.choices, default=LocationCodeStatus.NONE
    )

    class Meta:
        verbose_name = _("identyfikator lokalizacji")
        verbose_name_plural = _("identyfikatory lokalizacji")
        constraints = [models.UniqueConstraint(fields=["insurer", "location"], name="one_code_per_insurer_location")]

    def __str__(self) -> str:
        return f"{self.insurer} – {self.location}: {self.get_status_display()}"


class SigningCertificate(models.Model):
    """The provider's signing certificate with its private key, as the PKCS#12 file it uploaded
    (base64, encrypted at rest). The file's password is not kept: it is asked for at each
    signing, as a signature card asks for its PIN."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    pkcs12 = EncryptedTextField()
    certificate_pem = models.TextField()
    subject = models.CharField(_("właściciel certyfikatu"), max_length=300)
    serial = models.CharField(_("numer seryjny"), max_length=80)
    not_before = models.DateTimeField(_("ważny od"))
    not_after = models.DateTimeField(_("ważny do"))
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("certyfikat do podpisu")
        verbose_name_plural = _("certyfikaty do podpisu")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"], condition=models.Q(is_active=True), name="one_active_certificate"
            )
        ]

    def __str__(self) -> str:
        return self.subject


class PriceListPublication(models.Model):
    """A payer's price list as sent to the insurer (seed 001 §11.3): the signed XML document,
    how many services it holds, and the fingerprint of the list it was made from (a later change
    of an overridden service makes the list differ: "niewysłane zmiany")."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="price_lists")
    payer = models.ForeignKey("catalog.Payer", on_delete=models.PROTECT, related_name="publications")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    certificate = models.ForeignKey(SigningCertificate, on_delete=models.PROTECT, related_name="+")
    services_count = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    document = models.TextField()

    class Meta:
        verbose_name = _("wysłany cennik płatnika")
        verbose_name_plural = _("wysłane cenniki płatników")
        ordering = ["-created_at", "-pk"]


class PayerBooking(models.Model):
    """A visit an insurer's desk booked for its insured patient (G7): the payer, the service it
    chose from the provider's price list, the price and the patient's discount. The visit shows
    the note the seed shows ("Konsultacja lekarza dermatologa: 100.0 zł - zniżka: 50%")."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    appointment = models.OneToOneField("booking.Appointment", on_delete=models.CASCADE, related_name="payer_booking")
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="bookings")
    payer = models.ForeignKey("catalog.Payer", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(_("cena"), max_digits=9, decimal_places=2)
    discount = models.PositiveSmallIntegerField(_("zniżka (%)"), default=0)
    booked_at = models.DateTimeField()
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("wizyta umówiona przez ubezpieczyciela")
        verbose_name_plural = _("wizyty umówione przez ubezpieczycieli")
        constraints = [models.CheckConstraint(condition=models.Q(discount__lte=100), name="payer_discount_max_100")]

    @property
    def note(self) -> str:
        return f"{self.service.name}: {self.price} zł - zniżka: {self.discount}%"


class Referral(models.Model):
    """A referral exchanged with the payer (G8, seed 001 §12.2): received with a payer's booking,
    or sent from the visit view (issue date, validity, one service of the payer's price list;
    one per visit), delivered to the insurer."""

    class Direction(models.TextChoices):
        RECEIVED = "received", _("otrzymane")
        SENT = "sent", _("wysyłane")

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    appointment = models.ForeignKey("booking.Appointment", on_delete=models.CASCADE, related_name="referrals")
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="referrals")
    direction = models.CharField(_("rodzaj"), max_length=10, choices=Direction.choices)
    number = models.CharField(_("numer skierowania"), max_length=40, blank=True)
    issued_on = models.DateField(_("data wystawienia"))
    valid_until = models.DateField(_("data ważności"))
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("usługa")
    )
    description = models.TextField(_("opis"), max_length=1000, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("skierowanie")
        verbose_name_plural = _("skierowania")
        ordering = ["appointment", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("issued_on")), name="referral_valid_after_issue"
            ),
            models.UniqueConstraint(
                fields=["appointment"], condition=models.Q(direction="sent"), name="one_sent_referral_per_visit"
            ),
        ]


# -- OLS (G9, seed 002 stage III): thematic terms with price limits, claims, settlements ---------


class ThematicService(models.Model):
    """A service of a thematic terms document with the insurer's price limit; a provider's price
    at or under it is "preferowana" (seed 002: "ceny niższe lub równe niż limity")."""

    terms = models.ForeignKey(InsurerTerms, on_delete=models.CASCADE, related_name="services")
    code = models.CharField(_("kod"), max_length=30)
    name = models.CharField(_("nazwa usługi"), max_length=200)
    limit = models.DecimalField(_("limit ceny (zł)"), max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = _("usługa regulaminu tematycznego")
        verbose_name_plural = _("usługi regulaminów tematycznych")
        ordering = ["terms", "name"]
        constraints = [models.UniqueConstraint(fields=["terms", "code"], name="thematic_service_code_once")]

    def __str__(self) -> str:
        return self.name


class ThematicAcceptance(models.Model):
    """ "Akceptuję regulamin i chcę nawiązać współpracę": the provider joins a thematic terms
    document (which version, who, when)."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    terms = models.ForeignKey(InsurerTerms, on_delete=models.PROTECT, related_name="thematic_acceptances")
    accepted_at = models.DateTimeField()
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "terms"], name="thematic_acceptance_once")]


class OfferedPrice(models.Model):
    """The provider's price of a thematic service ("Cennik usług")."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    service = models.ForeignKey(ThematicService, on_delete=models.CASCADE, related_name="prices")
    price = models.DecimalField(_("cena (zł)"), max_digits=9, decimal_places=2)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "service"], name="offered_price_once")]

    @property
    def preferred(self) -> bool:
        return self.price <= self.service.limit


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("złożony")
    ACCEPTED = "accepted", _("zaakceptowany")
    REJECTED = "rejected", _("odrzucony")
    SETTLED = "settled", _("rozliczony")


class Claim(models.Model):
    """A benefit claim ("wniosek o wypłatę świadczenia"): a service given to an insured patient,
    at the provider's price, for the insurer to accept and settle."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="claims")
    number = models.CharField(_("numer wniosku"), max_length=30, unique=True)
    service = models.ForeignKey(ThematicService, on_delete=models.PROTECT, related_name="claims")
    amount = models.DecimalField(_("kwota (zł)"), max_digits=9, decimal_places=2)
    patient_name = models.CharField(_("ubezpieczony"), max_length=200)
    patient_pesel = models.CharField(_("PESEL ubezpieczonego"), max_length=11)
    service_date = models.DateField(_("data udzielenia świadczenia"))
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices)
    decision_reason = models.CharField(_("uzasadnienie"), max_length=500, blank=True)
    settlement = models.ForeignKey(
        "Settlement", null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("wniosek o wypłatę świadczenia")
        verbose_name_plural = _("wnioski o wypłatę świadczeń")
        ordering = ["-created_at", "-pk"]


class SettlementStatus(models.TextChoices):
    DUE = "due", _("do zapłaty")
    PAID = "paid", _("zapłacone")


class Settlement(models.Model):
    """A settlement report ("Rozliczenia finansowe"): the provider's accepted claims of a period,
    the amount due and the day it is due – 3 Polish business days after the report."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.CASCADE, related_name="+")
    unscoped = models.Manager()
    objects = TenantManager()
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="settlements")
    number = models.CharField(_("numer rozliczenia"), max_length=30, unique=True)
    period_start = models.DateField(_("od"))
    period_end = models.DateField(_("do"))
    total = models.DecimalField(_("kwota należna (zł)"), max_digits=11, decimal_places=2)
    due_date = models.DateField(_("termin płatności"))
    status = models.CharField(_("status"), max_length=10, choices=SettlementStatus.choices)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("rozliczenie")
        verbose_name_plural = _("rozliczenia")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="settlement_period_ordered"
            )
        ]
