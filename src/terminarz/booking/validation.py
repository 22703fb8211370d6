"""Validation of the data a patient submits when booking (shared by portal and API)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from localflavor.pl.forms import PLPESELField

PHONE_RE = re.compile(r"^\+?[0-9 ()-]{9,20}$")
NOTE_MAX = 1000


def validate_phone(value: str) -> None:
    digits = re.sub(r"\D", "", value)
    if not PHONE_RE.match(value) or not 9 <= len(digits) <= 15:
        raise ValidationError(
            _("Podaj poprawny numer telefonu, np. 600 100 200 lub +48 600 100 200."),
            code="phone",
        )


class PatientDataForm(forms.Form):
    first_name = forms.CharField(label=_("Imię"), max_length=100)
    last_name = forms.CharField(label=_("Nazwisko"), max_length=100)
    email = forms.EmailField(label=_("Adres e-mail"), max_length=254)
    phone = forms.CharField(label=_("Telefon"), max_length=20, required=False, validators=[validate_phone])
    pesel = PLPESELField(
        label=_("PESEL"),
        required=False,
        error_messages={
            "invalid": _("Numer PESEL składa się z 11 cyfr."),
            "checksum": _("Nieprawidłowy numer PESEL – sprawdź, czy cyfry są wpisane poprawnie."),
            "birthdate": _("Nieprawidłowy numer PESEL – zawiera niepoprawną datę urodzenia."),
        },
    )
    note = forms.CharField(
        label=_("Chcę przesłać lekarzowi dodatkową informację"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    accept_requirements = forms.BooleanField(label=_("Zgadzam się na powyższe warunki wizyt"), required=False)

    def __init__(self, *args, requirement_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.requirement_text = requirement_text
        if not requirement_text:
            del self.fields["accept_requirements"]
        else:
            self.fields["accept_requirements"].required = True
            self.fields["accept_requirements"].error_messages["required"] = _(
                "Aby umówić wizytę, zaakceptuj warunki wizyty."
            )
        self.fields["first_name"].error_messages["required"] = _("Podaj imię.")
        self.fields["last_name"].error_messages["required"] = _("Podaj nazwisko.")
        self.fields["email"].error_messages["required"] = _(
            "Podaj adres e-mail – wyślemy na niego potwierdzenie wizyty."
        )
        self.fields["email"].error_messages["invalid"] = _("Podaj poprawny adres e-mail, np. jan.kowalski@example.com.")

    def clean_pesel(self):
        return self.cleaned_data.get("pesel") or ""

    def clean_phone(self):
        return (self.cleaned_data.get("phone") or "").strip()
