"""Validation of search parameters (shared by the portal and the API)."""

import datetime as dt

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .availability import MAX_DAYS as AVAILABILITY_MAX_DAYS
from .models import Financing, Televisit
from .search import InvalidCursor, SlotQuery, decode_cursor

# D1 "typ wizyty": the slots' televisit values each answer accepts.
VISIT_TYPES: dict[str, list[str]] = {
    "office": [Televisit.NO.value, Televisit.POSSIBLE.value],
    "televisit": [Televisit.POSSIBLE.value, Televisit.ONLY.value],
}
MAX_RANGE_DAYS = 92
MAX_LIMIT = 100
MAX_ID = 2**62  # ids above any real primary key are refused, never sent to the database
# Search dates outside these years are mistakes (and year 1 / 9999 overflow the UTC bounds).
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)


def _id_errors(whose) -> dict:
    """One message for an id that is not a positive integer up to MAX_ID."""
    message = format_lazy(_("Nieprawidłowy identyfikator {}."), whose)
    return {"invalid": message, "min_value": message, "max_value": message}


class SlotSearchForm(forms.Form):
    specialization = forms.CharField(label=_("Specjalizacja"), max_length=200, required=False)
    city = forms.CharField(label=_("Miejscowość"), max_length=100, required=False)
    provider = forms.IntegerField(
        label=_("Placówka"), required=False, min_value=1, max_value=MAX_ID, error_messages=_id_errors(_("placówki"))
    )
    unit = forms.IntegerField(
        label=_("Poradnia"), required=False, min_value=1, max_value=MAX_ID, error_messages=_id_errors(_("poradni"))
    )
    practitioner = forms.IntegerField(
        label=_("Lekarz"), required=False, min_value=1, max_value=MAX_ID, error_messages=_id_errors(_("lekarza"))
    )
    financing = forms.ChoiceField(
        label=_("Finansowanie"),
        choices=[("", _("dowolne")), *Financing.choices],
        required=False,
    )
    visit_kind = forms.ChoiceField(
        label=_("Rodzaj wizyty"),
        choices=[("", _("dowolna")), ("first", _("pierwsza wizyta")), ("followup", _("wizyta kolejna"))],
        required=False,
    )
    visit_type = forms.ChoiceField(
        label=_("Typ wizyty"),
        choices=[("", _("dowolny")), ("office", _("w gabinecie")), ("televisit", _("teleporada"))],
        required=False,
    )
    service = forms.CharField(label=_("Świadczenie"), max_length=200, required=False)
    language = forms.CharField(label=_("Język wizyty"), max_length=50, required=False)
    payer = forms.IntegerField(
        label=_("Płatnik"), required=False, min_value=1, max_value=MAX_ID, error_messages=_id_errors(_("płatnika"))
    )
    date_from = forms.DateField(label=_("Od dnia"), required=False)
    date_to = forms.DateField(label=_("Do dnia"), required=False)
    limit = forms.IntegerField(label=_("Liczba wyników"), required=False, min_value=1, max_value=MAX_LIMIT)
    cursor = forms.CharField(label=_("Strona wyników"), required=False, max_length=200)

    def _clean_date(self, name: str) -> dt.date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not (MIN_DATE <= value <= MAX_DATE):
            raise forms.ValidationError(
                _("Podaj datę z lat %(first)s–%(last)s.") % {"first": MIN_DATE.year, "last": MAX_DATE.year}
            )
        return value

    def clean_date_from(self):
        return self._clean_date("date_from")

    def clean_date_to(self):
        return self._clean_date("date_to")

    def clean_cursor(self):
        cursor = self.cleaned_data.get("cursor") or ""
        if cursor:
            try:
                decode_cursor(cursor)
            except InvalidCursor:
                raise forms.ValidationError(_("Nieprawidłowy znacznik strony wyników.")) from None
        return cursor

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("Data końcowa nie może być wcześniejsza niż początkowa."))
            elif (end - start) > dt.timedelta(days=MAX_RANGE_DAYS):
                self.add_error("date_to", _("Zakres dat może obejmować najwyżej 92 dni."))
        return cleaned

    def to_query(self) -> SlotQuery:
        c = self.cleaned_data
        return SlotQuery(
            specialization=c.get("specialization") or None,
            city=c.get("city") or None,
            provider=c.get("provider"),
            unit=c.get("unit"),
            practitioner=c.get("practitioner"),
            financing=c.get("financing") or None,
            visit_kind=c.get("visit_kind") or None,
            date_from=c.get("date_from"),
            date_to=c.get("date_to"),
            televisit=VISIT_TYPES.get(c.get("visit_type") or ""),
            service=c.get("service") or None,
            language=c.get("language") or None,
            payer=c.get("payer"),
        )


class AvailabilityForm(SlotSearchForm):
    """The availability read's parameters: the search filters, with a required window of at
    most `availability.MAX_DAYS` days (no paging: the window bounds the answer)."""

    date_from = forms.DateField(label=_("Od dnia"), error_messages={"required": _("Podaj datę początkową.")})
    date_to = forms.DateField(label=_("Do dnia"), error_messages={"required": _("Podaj datę końcową.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["limit"], self.fields["cursor"]

    def clean(self):
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end >= start and (end - start) >= dt.timedelta(days=AVAILABILITY_MAX_DAYS):
            self.add_error("date_to", _("Zakres dat może obejmować najwyżej %(n)d dni.") % {"n": AVAILABILITY_MAX_DAYS})
        return cleaned
