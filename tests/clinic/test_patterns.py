"""The design system's pattern page (issue 11 item 1) and the contrast of its colours."""

import pytest
from django.urls import reverse

from terminarz.clinic.pattern_views import COLOUR_PAIRS, contrast
from tests.clinic.test_access import make_user
from tests.factories import make_provider

pytestmark = pytest.mark.django_db


def test_contrast_ratio_follows_wcag():
    assert round(contrast("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast("#ffffff", "#0b5cad"), 2) == 6.67


def test_every_colour_pair_meets_aa():
    assert [name for name, fg, bg in COLOUR_PAIRS if contrast(fg, bg) < 4.5] == []


def test_the_pattern_page_shows_every_component_to_a_member(client):
    client.force_login(make_user("rachel", make_provider(), "registrar"))
    html = client.get(reverse("clinic:patterns")).content.decode()
    for component in (
        "Kolory i kontrast",
        "Przyciski",
        "Formularz z błędem",
        "Komunikaty",
        "Znaczniki i ikony",
        "Tabela (na telefonie – karty)",
        "Siatka godzin – stany terminów",
        "Nawigacja stron",
    ):
        assert f"<h2>{component}" in html
    assert "nie spełnia" not in html
