"""Validation of the data a patient submits when booking (shared by portal and API)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from terminarz.patients.validation import email_field, name_field, pesel_field, phone_field

NOTE_MAX = 1000


class PatientDataForm(forms.Form):
    first_name = name_field(_("Imię"), _("Podaj imię."))
    last_name = name_field(_("Nazwisko"), _("Podaj nazwisko."))
    email = email_field(required=True)
    phone = phone_field()
    pesel = pesel_field()
    note = forms.CharField(
        label=_("Chcę przesłać lekarzowi dodatkową informację"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    accept_requirements = forms.BooleanField(label=_("Zgadzam się na powyższe warunki wizyt"), required=False)

    def __init__(
        self,
        *args,
        requirement_text: str = "",
        phone_required: bool = False,
        pesel_required: bool = False,
        email_required: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.requirement_text = requirement_text
        if not email_required:  # a clinic system's own desk booking: the patient may have none
            self.fields["email"].required = False
        if phone_required:
            self.fields["phone"].required = True
            self.fields["phone"].error_messages["required"] = gettext("Podaj numer telefonu – placówka go wymaga.")
        if pesel_required:
            self.fields["pesel"].required = True
            self.fields["pesel"].error_messages["required"] = gettext("Podaj numer PESEL – placówka go wymaga.")
        if not requirement_text:
            del self.fields["accept_requirements"]
        else:
            self.fields["accept_requirements"].required = True
            self.fields["accept_requirements"].error_messages["required"] = gettext(
                "Aby umówić wizytę, zaakceptuj warunki wizyty."
            )

    def clean_pesel(self):
        return self.cleaned_data.get("pesel") or ""

    def clean_phone(self):
        return (self.cleaned_data.get("phone") or "").strip()
