"""Provider-editable message texts (I1) with a fixed set of safe placeholders.

Texts use {placeholder} fields; only plain names from PLACEHOLDERS are allowed (no attribute
or index access, no format specs), so a template can never reach into objects."""

import string
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS = {
    "imie": _("imię pacjenta"),
    "nazwisko": _("nazwisko pacjenta"),
    "data": _("data wizyty, np. piątek, 27 listopada 2026"),
    "godzina": _("godzina wizyty, np. 10:30"),
    "lekarz": _("lekarz"),
    "poradnia": _("poradnia"),
    "adres": _("adres placówki"),
    "placowka": _("nazwa placówki"),
    "telefon": _("telefon placówki"),
    "numer": _("numer rezerwacji"),
    "link_odwolania": _("link do odwołania wizyty"),
    "link_potwierdzenia": _("link do potwierdzenia rezerwacji (rejestracja wieloetapowa)"),
    "powod": _("powód odwołania (odwołanie przez placówkę)"),
    "link_oferty": _("link do przyjęcia terminu z listy rezerwowej"),
    "oferta_do": _("godzina, do której termin z listy rezerwowej czeka"),
    "link_rezygnacji": _("link do rezygnacji z listy rezerwowej"),
}

# Which messages a provider may word itself, and on which channels.
EDITABLE = {
    ("booking_confirmation", "email"): _("Potwierdzenie rezerwacji"),
    ("booking_confirmation", "sms"): _("Potwierdzenie rezerwacji"),
    ("booking_hold", "email"): _("Prośba o potwierdzenie rezerwacji (rejestracja wieloetapowa)"),
    ("booking_cancelled", "email"): _("Potwierdzenie odwołania wizyty przez pacjenta"),
    ("booking_reminder", "email"): _("Przypomnienie o wizycie"),
    ("booking_reminder", "sms"): _("Przypomnienie o wizycie"),
    ("booking_cancelled_by_clinic", "email"): _("Odwołanie wizyty przez placówkę"),
    ("booking_cancelled_by_clinic", "sms"): _("Odwołanie wizyty przez placówkę"),
    ("booking_moved", "email"): _("Zmiana terminu wizyty"),
    ("booking_moved", "sms"): _("Zmiana terminu wizyty"),
    ("waitlist_joined", "email"): _("Zapis na listę rezerwową"),
    ("waitlist_offer", "email"): _("Propozycja terminu z listy rezerwowej"),
    ("waitlist_offer", "sms"): _("Propozycja terminu z listy rezerwowej"),
    ("waitlist_gone", "email"): _("Termin z listy rezerwowej przyjęty przez inną osobę"),
}


class TemplateError(ValueError):
    pass


def check(text: str) -> None:
    """Raise TemplateError naming the first placeholder that is not allowed."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(
            _("Nieprawidłowe nawiasy klamrowe – użyj {nazwa} albo {{ i }} dla samego nawiasu.")
        ) from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            raise TemplateError(
                _("Nieznane pole {%(f)s}. Dozwolone: %(all)s.")
                % {"f": field, "all": ", ".join("{" + p + "}" for p in PLACEHOLDERS)}
            )


def render(text: str, values: dict[str, str]) -> str:
    check(text)
    return text.format_map({k: values.get(k, "") for k in PLACEHOLDERS})


def values_for(appointment, site_url: str) -> dict[str, str]:
    from django.urls import reverse

    start = timezone.localtime(appointment.start)
    return {
        "imie": appointment.first_name,
        "nazwisko": appointment.last_name,
        "data": date_format(start, "l, j E Y").lower(),
        "godzina": f"{start:%H:%M}",
        "lekarz": appointment.practitioner.full_name,
        "poradnia": appointment.unit.name,
        "adres": appointment.unit.location.address,
        "placowka": appointment.provider.name,
        "telefon": appointment.provider.phone or "",
        "numer": appointment.reference,
        "link_odwolania": f"{site_url}{reverse('portal:cancel', args=[appointment.pk])}?t={appointment.cancel_token}",
        "link_potwierdzenia": (
            f"{site_url}{reverse('portal:confirm-booking', args=[appointment.pk])}?t={appointment.cancel_token}"
        ),
        "powod": appointment.cancel_reason or "",
    }


@dataclass
class Rendered:
    subject: str
    body: str
    html_body: str


def waitlist_values(entry, slot, offer, site_url: str) -> dict[str, str]:
    """The placeholders of a waiting-list message (F7): the entry's person and wish, and the
    offered slot when there is one."""
    from django.urls import reverse

    values = {
        "imie": entry.first_name,
        "nazwisko": entry.last_name,
        "lekarz": entry.practitioner.full_name if entry.practitioner_id else "",
        "placowka": entry.provider.name,
        "telefon": entry.provider.phone or "",
        "link_rezygnacji": f"{site_url}{reverse('waitlist-entry', args=[entry.pk])}?t={entry.token}",
    }
    if slot is not None:
        start = timezone.localtime(slot.start)
        values |= {
            "data": date_format(start, "l, j E Y").lower(),
            "godzina": f"{start:%H:%M}",
            "lekarz": slot.practitioner.full_name,
            "poradnia": slot.unit.name,
            "adres": slot.unit.location.address,
        }
    if offer is not None:
        values |= {
            "link_oferty": f"{site_url}{reverse('waitlist-offer', args=[offer.token])}",
            "oferta_do": f"{timezone.localtime(offer.expires_at):%H:%M}",
        }
    return values


def context_values(context: dict, site_url: str) -> dict[str, str] | None:
    """The placeholder values of a message's context: a visit's, or a waiting-list entry's
    (with its offered slot); None when the message is about neither."""
    if "appointment" in context:
        return values_for(context["appointment"], site_url)
    if "entry" in context:
        return waitlist_values(context["entry"], context.get("slot"), context.get("offer"), site_url)
    return None


def render_custom(custom, values: dict[str, str]) -> Rendered:
    body = render(custom.body, values)
    subject = " ".join(render(custom.subject, values).split()) if custom.subject else ""
    return Rendered(subject=subject[:250], body=body, html_body=linebreaks(escape(body)))
