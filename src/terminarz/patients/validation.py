"""Field rules for patient data, shared by online booking, the desk and patient records."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from localflavor.pl.forms import PLPESELField

PHONE_RE = re.compile(r"^\+?[0-9 ()-]{9,20}$")


def validate_phone(value: str) -> None:
    digits = re.sub(r"\D", "", value)
    if not PHONE_RE.match(value) or not 9 <= len(digits) <= 15:
        raise ValidationError(
            gettext("Podaj poprawny numer telefonu, np. 600 100 200 lub +48 600 100 200."),
            code="phone",
        )


def pesel_field() -> PLPESELField:
    return PLPESELField(
        label=_("PESEL"),
        required=False,
        error_messages={
            "invalid": _("Numer PESEL składa się z 11 cyfr."),
            "checksum": _("Nieprawidłowy numer PESEL – sprawdź, czy cyfry są wpisane poprawnie."),
            "birthdate": _("Nieprawidłowy numer PESEL – zawiera niepoprawną datę urodzenia."),
        },
    )


def phone_field() -> forms.CharField:
    return forms.CharField(label=_("Telefon"), max_length=20, required=False, validators=[validate_phone])


def no_control_characters(value: str) -> None:
    """Names and addresses go into e-mails, invoices and XML: invisible control characters
    (and the code points XML cannot carry) are refused."""
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\t\n\r" for ch in value):
        raise ValidationError(_("Usuń niedozwolone znaki (znaki sterujące)."), code="control_characters")


def name_field(label, required_message) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=100,
        error_messages={"required": required_message},
        validators=[no_control_characters],
    )


def email_field(*, required: bool) -> forms.EmailField:
    return forms.EmailField(
        label=_("Adres e-mail"),
        max_length=254,
        required=required,
        error_messages={
            "required": _("Podaj adres e-mail – wyślemy na niego potwierdzenie wizyty."),
            "invalid": _("Podaj poprawny adres e-mail, np. jan.kowalski@example.com."),
        },
    )


CARD_MESSAGE = _("Numer karty ma 18 znaków (nie licząc spacji): cyfry i litery.")


class CardNumberField(forms.CharField):
    """E6 (001 §6.3.2): a patient card's number – 18 letters and digits, "nie licząc spacji":
    typed in groups with spaces it is accepted, the spaces dropped and the letters capitalised."""

    default_error_messages = {"invalid": CARD_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_python(self, value):
        return "".join(str(super().to_python(value)).split()).upper()

    def validate(self, value):
        super().validate(value)
        if value and not (len(value) == 18 and value.isascii() and value.isalnum()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
