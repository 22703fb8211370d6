"""Doctor-centred search (D1, issue 11 item 5): one card per practitioner with a week of free
slots, price from the service dictionary, the free-text box, week paging, grouping by unit."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from terminarz.catalog.models import Service
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot
from terminarz.scheduling.services import generate_slots
from tests.conftest import FROZEN_NOW
from tests.factories import clinic, every_day, make_practitioner, make_schedule, make_unit

pytestmark = pytest.mark.django_db


def cards(html: str) -> list[str]:
    return re.findall(r'<h3 class="name"><a href="[^"]+">([^<]+)</a>', html)


def test_one_card_per_practitioner_with_a_week_of_slots_earliest_first(client, today):
    provider, unit, late, _ = clinic(today=today, days=7, blocks=every_day(dt.time(14), dt.time(15)))
    early = make_practitioner(provider, unit, last_name="Wczesna")
    schedule = make_schedule(early, unit, valid_from=today, blocks=every_day(dt.time(11), dt.time(12)))
    generate_slots(schedule, start_day=today, end_day=today + dt.timedelta(days=6))
    html = client.get("/").content.decode()
    assert cards(html) == [early.full_name, late.full_name]
    # The week of the card: 7 days, the day's first four slots as buttons, the rest as "+N".
    first = Slot.objects.filter(practitioner=early, start__gt=FROZEN_NOW).order_by("start").first()
    assert reverse("portal:book", args=[first.pk]) in html
    assert html.count('class="week-day"') == 14
    assert "+4 terminy" not in html  # 14:00–15:00 in 15-minute slots: exactly 4 a day
    assert "Wolne terminy 20 listopada – 26 listopada 2026" in html


def test_more_than_four_slots_a_day_link_to_the_practitioner(client, today):
    _, _, practitioner, _ = clinic(today=today, days=2, blocks=every_day(dt.time(12), dt.time(14)))
    html = client.get("/").content.decode()
    # Today from 12:00 (after 10:00 now): 8 slots, 4 shown; tomorrow 8 slots, 4 shown.
    assert html.count("+4 terminy") == 2
    assert f'href="/lekarz/{practitioner.pk}/?od=2026-11-21"' in html


def test_the_price_comes_from_the_service_dictionary(client, today):
    provider, unit, practitioner, _ = clinic(today=today, days=2)
    cheap = Service.objects.create(
        provider=provider, code="K1", name="Konsultacja", price=Decimal("180.00"), self_service=True
    )
    hidden = Service.objects.create(provider=provider, code="K0", name="Wewnętrzna", price=Decimal("20.00"))
    practitioner.procedures.set([cheap, hidden])
    assert "od 180 zł" in client.get("/").content.decode()


def test_the_free_text_box_finds_a_doctor_by_name_or_becomes_a_filter(client, today):
    provider, unit, cardio, _ = clinic(today=today, days=2)
    derm = make_practitioner(provider, unit, spec="dermatologia", last_name="Skórska")
    generate_slots(
        make_schedule(derm, unit, valid_from=today, blocks=every_day(dt.time(8), dt.time(12))),
        start_day=today,
        end_day=today + dt.timedelta(days=1),
    )
    assert cards(client.get("/", {"q": "skórska"}).content.decode()) == [derm.full_name]
    assert cards(client.get("/", {"q": "Dermatologia i wenerologia"}).content.decode()) == [derm.full_name]
    assert cards(client.get("/", {"q": "Nikogo Takiego"}).content.decode()) == []
    # The folded filters are sent empty with the box: the box's specialization still applies.
    sent_with_filters = {"q": "Dermatologia i wenerologia", "specialization": "", "city": ""}
    assert cards(client.get("/", sent_with_filters).content.decode()) == [derm.full_name]


def test_next_week_and_the_nearest_free_slot_when_a_week_is_empty(client, today):
    _, _, practitioner, _ = clinic(today=today + dt.timedelta(days=10), days=3)
    html = client.get("/").content.decode()
    assert cards(html) == []
    assert "Najbliższy wolny termin: poniedziałek, 30 listopada 2026" in html
    later = client.get("/", {"tydzien": "2026-11-30"}).content.decode()
    assert cards(later) == [practitioner.full_name]
    assert "Wolne terminy 30 listopada – 6 grudnia 2026" in later


def test_week_paging_by_htmx_returns_only_the_results(client, today):
    clinic(today=today, days=10)
    part = client.get("/", {"tydzien": "2026-11-27"}, HTTP_HX_REQUEST="true").content.decode()
    assert part.startswith('<div class="results-head">')
    assert "<form" not in part


def test_grouping_by_unit_when_the_provider_enables_it(client, today):
    provider, first_unit, practitioner, _ = clinic(today=today, days=2)
    other_unit = make_unit(provider, name="Poradnia nadciśnienia")
    generate_slots(
        make_schedule(practitioner, other_unit, valid_from=today, blocks=every_day(dt.time(16), dt.time(17))),
        start_day=today,
        end_day=today + dt.timedelta(days=1),
    )
    rules = settings_for(provider.pk)
    rules.group_by_units = True
    rules.save()
    html = client.get("/", {"provider": provider.pk}).content.decode()
    assert re.findall(r'<h3 class="group">([^<]+) <span', html) == ["Poradnia kardiologiczna", "Poradnia nadciśnienia"]
    assert cards(html) == [practitioner.full_name, practitioner.full_name]


def test_a_bad_week_parameter_shows_this_week(client, today):
    clinic(today=today, days=2)
    for week in ("zle", "1900-01-01", "2026-02-30"):
        response = client.get("/", {"tydzien": week})
        assert response.status_code == 200
        assert "Wolne terminy 20 listopada – 26 listopada 2026" in response.content.decode()
