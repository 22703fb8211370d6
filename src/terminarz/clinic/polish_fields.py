"""Form fields for Polish identifiers with the messages in Polish: NIP, REGON (check digits
from django-localflavor), the RPWDL book number and the postal code. Only ASCII digits are
taken: Python's `\\d` also matches fullwidth or Arabic-Indic digits, which would slip past
every comparison with the stored numbers."""

import re

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from localflavor.pl.forms import PLNIPField, PLPostalCodeField, PLREGONField

BOOK = re.compile(r"^[0-9]{1,12}$")


class _AsciiOnly(forms.Field):
    def clean(self, value):
        if value and not str(value).isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().clean(value)


class NIPField(_AsciiOnly, PLNIPField):
    default_error_messages = {
        "invalid": _("Wpisz NIP: 10 cyfr, z kreskami lub bez."),
        "checksum": _("Ten NIP ma błędną cyfrę kontrolną. Sprawdź numer."),
    }


class REGONField(_AsciiOnly, PLREGONField):
    default_error_messages = {
        "invalid": _("REGON ma 9 albo 14 cyfr."),
        "checksum": _("Ten REGON ma błędną cyfrę kontrolną. Sprawdź numer."),
    }


class PostalCodeField(_AsciiOnly, PLPostalCodeField):
    default_error_messages = {"invalid": _("Wpisz kod pocztowy w formacie 00-000.")}


def book_number(value: str) -> str:
    """The RPWDL book number with its leading zeros (12 digits)."""
    value = re.sub(r"\s", "", value)
    if not BOOK.match(value):
        raise forms.ValidationError(gettext("Numer księgi rejestrowej to do 12 cyfr."))
    return value.zfill(12)
