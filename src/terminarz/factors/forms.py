"""The code form of both sign-in pages (staff and patients)."""

from django import forms
from django_otp.models import Device


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Kod",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages={"required": "Wpisz kod."},
    )

    def __init__(self, *args, device: Device | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        assert self.device is not None
        allowed, data = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError("Zbyt wiele błędnych kodów. Odczekaj chwilę i spróbuj ponownie.")
        if not code.isdigit() or not self.device.verify_token(code):
            raise forms.ValidationError("Nieprawidłowy lub nieaktualny kod. Sprawdź go i spróbuj ponownie.")
        return code
