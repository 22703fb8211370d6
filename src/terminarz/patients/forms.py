from django import forms
from django.utils.translation import gettext_lazy as _

from .validation import email_field, name_field, pesel_field, phone_field


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
