from django import forms
from django.utils.translation import gettext_lazy as _

from terminarz.core.crypto import lookup_hash

from .models import Patient
from .validation import CardNumberField, email_field, name_field, pesel_field, phone_field


class PatientRecordForm(forms.Form):
    """A new patient record at the desk: names required, contacts and PESEL optional."""

    first_name = name_field(_("Imię"), _("Podaj imię."))
    last_name = name_field(_("Nazwisko"), _("Podaj nazwisko."))
    pesel = pesel_field()
    phone = phone_field()
    email = email_field(required=False)

    def clean_pesel(self):
        return self.cleaned_data.get("pesel") or ""

    def clean_phone(self):
        return (self.cleaned_data.get("phone") or "").strip()


class PatientEditForm(PatientRecordForm):
    birth_date = forms.DateField(
        label=_("Data urodzenia"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("Przy numerze PESEL ustalana automatycznie."),
    )
    sex = forms.ChoiceField(
        label=_("Płeć"), required=False, choices=[("", "—"), ("F", _("kobieta")), ("M", _("mężczyzna"))]
    )
    guardian_pesel = forms.CharField(label=_("PESEL opiekuna"), required=False, max_length=11)
    blacklisted = forms.BooleanField(label=_("Czarna lista"), required=False)
    blacklist_reason = forms.CharField(label=_("Powód wpisu na czarną listę"), required=False, max_length=300)

    def __init__(self, *args, provider, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.patient = patient

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("blacklisted") and not cleaned.get("blacklist_reason", "").strip():
            self.add_error("blacklist_reason", _("Podaj powód wpisu na czarną listę."))
        if not cleaned.get("blacklisted"):
            cleaned["blacklist_reason"] = ""
        guardian_pesel = (cleaned.get("guardian_pesel") or "").strip()
        cleaned["guardian"] = None
        if guardian_pesel:
            guardian = Patient.objects.filter(provider=self.provider, pesel_hash=lookup_hash(guardian_pesel)).first()
            if guardian is None or guardian == self.patient:
                self.add_error("guardian_pesel", _("Nie ma w kartotece pacjenta o tym numerze PESEL."))
            cleaned["guardian"] = guardian
        pesel = cleaned.get("pesel")
        if pesel and self.provider is not None:
            duplicate = Patient.objects.filter(provider=self.provider, pesel_hash=lookup_hash(pesel))
            if self.patient is not None:
                duplicate = duplicate.exclude(pk=self.patient.pk)
            if duplicate.exists():
                self.add_error("pesel", _("W kartotece jest już pacjent z tym numerem PESEL."))
        return cleaned


class CardForm(forms.Form):
    number = CardNumberField(label=_("Numer karty pacjenta"), error_messages={"required": _("Podaj numer karty.")})
    active = forms.TypedChoiceField(
        label=_("Status karty"),
        choices=[("0", _("nieaktywna")), ("1", _("aktywna"))],
        coerce=lambda value: value == "1",
        required=False,
        initial="0",
        empty_value=None,
        widget=forms.RadioSelect,
    )


class DeskPatientForm(PatientRecordForm):
    """A new patient in the booking window; with card handling on, an optional card number that
    is added as active (seed 001 §5.5 point 3)."""

    card_number = CardNumberField(label=_("Numer karty pacjenta"), required=False)

    def __init__(self, *args, cards: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not cards:
            del self.fields["card_number"]
