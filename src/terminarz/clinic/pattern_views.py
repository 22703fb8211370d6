"""The design system's pattern page (issue 11 item 1): every component of the back-office and
the patient pages on one screen, with the colours' contrast ratios, so a change to the shared
styles is checked in one place (and by the browser sweep: overflow, axe). Demo mode only."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from .access import clinic_view

# (name, text colour, background colour) as in portal/site.css and clinic/clinic.css.
COLOUR_PAIRS = [
    (gettext_lazy("Tekst"), "#1b1f24", "#ffffff"),
    (gettext_lazy("Tekst drugorzędny"), "#555c66", "#ffffff"),
    (gettext_lazy("Pasek i przycisk główny"), "#ffffff", "#0b5cad"),
    (gettext_lazy("Link"), "#0b5cad", "#f6f7f9"),
    (gettext_lazy("Sukces"), "#126b2e", "#e6f4ea"),
    (gettext_lazy("Błąd"), "#a4161a", "#fdecea"),
    (gettext_lazy("Wizyta w siatce"), "#1b1f24", "#dcebff"),
    (gettext_lazy("Wolny termin w siatce"), "#1b1f24", "#eaf7ee"),
    (gettext_lazy("Minął (siatka)"), "#4a505a", "#f1f2f4"),
    (gettext_lazy("Wstępna rezerwacja"), "#1b1f24", "#fff4d6"),
    (gettext_lazy("Znacznik NFZ"), "#0b4d8f", "#ffffff"),
]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two colours."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@clinic_view("")
def patterns(request):
    if not settings.DEMO_MODE:
        raise Http404
    colours = [
        {"name": name, "fg": fg, "bg": bg, "ratio": contrast(fg, bg), "aa": contrast(fg, bg) >= 4.5}
        for name, fg, bg in COLOUR_PAIRS
    ]
    return render(request, "clinic/patterns.html", {"colours": colours})
