"""Patient account forms (E1, E3): sign-up extras, personal data and consents."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from terminarz.core import clock
from terminarz.patients.pesel import age_on, birth_date_from_pesel
from terminarz.patients.validation import CardNumberField, name_field, pesel_field, phone_field

from . import human_check
from .models import Consent, PatientProfile, record_consents

SELF_SIGN_UP_AGE = 16
UNDER_16 = _(
    "Osoba poniżej 16 lat nie może sama założyć konta. Poproś rodzica lub opiekuna, aby dodał(a) "
    "Cię w swoim koncie jako subkonto (Moje konto → Subkonta)."
)
RODO_REQUIRED = _("Aby założyć konto, zaakceptuj zgodę na przetwarzanie danych osobowych.")


class ConsentFields(forms.Form):
    consent_rodo = forms.BooleanField(
        label=Consent.Kind.RODO.label,
        required=True,
        error_messages={"required": RODO_REQUIRED},
        help_text=_(
            "Administratorem danych jest placówka, w której umawiasz wizytę. Dane służą do rejestracji wizyt "
            "i kontaktu w ich sprawie."
        ),
    )
    consent_marketing_email = forms.BooleanField(label=Consent.Kind.MARKETING_EMAIL.label, required=False)
    consent_marketing_sms = forms.BooleanField(label=Consent.Kind.MARKETING_SMS.label, required=False)

    def consents(self) -> dict[str, bool]:
        c = self.cleaned_data
        return {
            Consent.Kind.RODO: bool(c.get("consent_rodo")),
            Consent.Kind.MARKETING_EMAIL: bool(c.get("consent_marketing_email")),
            Consent.Kind.MARKETING_SMS: bool(c.get("consent_marketing_sms")),
        }


class PatientSignupForm(ConsentFields):
    """Extra fields of allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    first_name = name_field(_("Imię"), _("Podaj imię."))
    last_name = name_field(_("Nazwisko"), _("Podaj nazwisko."))
    pesel = pesel_field()
    phone = phone_field()
    adult = forms.BooleanField(
        label=_("Mam co najmniej 16 lat"),
        required=False,
        help_text=_("Nie trzeba zaznaczać, gdy podajesz PESEL."),
    )
    # E2: a human check on every sign-up (ALTCHA proof of work).
    altcha = human_check.HumanCheckField()

    field_order = [
        "first_name",
        "last_name",
        "pesel",
        "phone",
        "adult",
        "email",
        "password1",
        "password2",
        "consent_rodo",
        "consent_marketing_email",
        "consent_marketing_sms",
        "altcha",
    ]

    def clean_pesel(self):
        """E4: a person under 16 does not sign up alone – a guardian adds them as a sub-account."""
        pesel = self.cleaned_data.get("pesel") or ""
        born = birth_date_from_pesel(pesel) if pesel else None
        if born is not None and age_on(born, clock.local_today()) < SELF_SIGN_UP_AGE:
            raise forms.ValidationError(UNDER_16)
        return pesel

    def clean(self):
        cleaned = super().clean() or {}
        if not cleaned.get("pesel") and not cleaned.get("adult") and "pesel" not in self.errors:
            self.add_error("adult", UNDER_16)
        return cleaned

    def signup(self, request, user) -> None:
        c = self.cleaned_data
        user.first_name, user.last_name = c["first_name"], c["last_name"]
        user.save(update_fields=["first_name", "last_name"])
        PatientProfile.objects.create(user=user, pesel=c.get("pesel") or "", phone=(c.get("phone") or "").strip())
        record_consents(user, self.consents(), source="signup")


class ProfileForm(forms.Form):
    first_name = name_field(_("Imię"), _("Podaj imię."))
    last_name = name_field(_("Nazwisko"), _("Podaj nazwisko."))
    pesel = pesel_field()
    phone = phone_field()
    card_number = CardNumberField(
        label=_("Numer karty pacjenta"),
        required=False,
        help_text=_(
            "18 znaków, spacje można pominąć. Trafi do kartotek placówek, w których umawiasz wizyty – "
            "placówka ją aktywuje."
        ),
    )


class ConsentsForm(ConsentFields):
    consent_rodo = forms.BooleanField(
        label=Consent.Kind.RODO.label,
        required=False,
        help_text=_("Bez tej zgody nie umówisz wizyty z konta; możesz wtedy usunąć konto."),
    )


class CurrentPasswordForm(forms.Form):
    """The account's password asked again before a change that needs it."""

    password = forms.CharField(
        label=_("Hasło"), widget=forms.PasswordInput, strip=False, error_messages={"required": _("Podaj hasło.")}
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(gettext("Nieprawidłowe hasło."))
        return password


class DeleteAccountForm(CurrentPasswordForm):
    confirm = forms.BooleanField(
        label=_("Rozumiem, że konto zostanie usunięte bezpowrotnie."),
        error_messages={"required": _("Potwierdź usunięcie konta.")},
    )


class NewDependentForm(forms.Form):
    first_name = name_field(_("Imię"), _("Podaj imię."))
    last_name = name_field(_("Nazwisko"), _("Podaj nazwisko."))
    pesel = pesel_field()
    uses_guardian_pesel = forms.BooleanField(
        label=_("PESEL opiekuna"), required=False, help_text=_("Zaznacz, gdy podopieczny nie ma jeszcze numeru PESEL.")
    )
    birth_date = forms.DateField(
        label=_("Data urodzenia"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("Wymagana, gdy podopieczny nie ma numeru PESEL."),
    )
    reason = forms.ChoiceField(
        label=_("Podopieczny to"),
        choices=[
            ("no_pesel", _("osoba bez numeru PESEL")),
            ("under_16", _("osoba poniżej 16 lat")),
            ("adult_care", _("osoba dorosła, która nie może samodzielnie zarządzać kontem")),
        ],
    )

    def clean(self):
        cleaned = super().clean() or {}
        if not cleaned.get("pesel") and not cleaned.get("uses_guardian_pesel"):
            self.add_error("pesel", gettext("Podaj PESEL podopiecznego albo zaznacz „PESEL opiekuna”."))
        if cleaned.get("uses_guardian_pesel") and not cleaned.get("birth_date"):
            self.add_error("birth_date", gettext("Podaj datę urodzenia podopiecznego."))
        return cleaned


class AttachAccountForm(forms.Form):
    email = forms.EmailField(
        label=_("Adres e-mail konta podopiecznego"), error_messages={"required": _("Podaj adres e-mail.")}
    )
    password = forms.CharField(
        label=_("Hasło do konta podopiecznego"),
        widget=forms.PasswordInput,
        strip=False,
        error_messages={"required": _("Podaj hasło.")},
    )


class HandOverForm(forms.Form):
    email = forms.EmailField(
        label=_("Adres e-mail podopiecznego"),
        help_text=_("Wyślemy na niego zaproszenie do ustawienia własnego hasła."),
        error_messages={"required": _("Podaj adres e-mail.")},
    )
