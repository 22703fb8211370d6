"""F1 as a time grid (issue 11 item 2): slots placed by time, past free slots not "wolny",
a unit's day with its practitioners as columns, the now-line, icons with text."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from terminarz.booking.services import book_appointment
from terminarz.clinic import timegrid
from terminarz.scheduling.models import Slot
from terminarz.scheduling.services import generate_slots
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, every_day, make_practitioner, make_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_day(today, client):
    provider, unit, first, schedule = clinic(today=today, days=2)  # 8:00–12:00, 15-minute slots
    second = make_practitioner(provider, unit, last_name="Popołudniowa")
    generate_slots(
        make_schedule(second, unit, valid_from=today, blocks=every_day(dt.time(14), dt.time(15, 30))),
        start_day=today,
        end_day=today + dt.timedelta(days=1),
    )
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    visit = book_appointment(slot.pk, {**PATIENT, "last_name": "Siatkowy", "note": "x" * 1000})
    client.force_login(make_user("rachel", provider, "registrar"))
    return {"provider": provider, "unit": unit, "first": first, "second": second, "visit": visit}


def items(html: str) -> list[tuple[str, str, str]]:
    """(state, grid-row, time) of each slot in the grid, in page order."""
    return re.findall(
        r'<li class="tg-item state-(\w+)[^"]*" style="grid-row: (\d+ / span \d+)"'
        r'.*?<span class="tg-time">([\d:]+)</span>',
        html,
        flags=re.S,
    )


def test_a_practitioners_day_places_slots_by_time_and_past_ones_are_not_free(client, unit_day):
    html = client.get(reverse("clinic:calendar"), {"lekarz": unit_day["first"].pk, "dzien": "2026-11-20"}).content
    found = items(html.decode())
    # 8:00–16:00 at 5-minute rows: 8:00 is row 1, a 15-minute slot spans 3 rows. Now is 10:00.
    assert found[:2] == [("past", "1 / span 3", "08:00"), ("past", "4 / span 3", "08:15")]
    assert found[8] == ("past", "25 / span 3", "10:00")
    assert found[9] == ("booked", "28 / span 3", "10:15")
    assert found[10] == ("free", "31 / span 3", "10:30")
    assert len(found) == 16


def test_the_now_line_is_on_today_only(client, unit_day):
    today = client.get(reverse("clinic:calendar"), {"lekarz": unit_day["first"].pk, "dzien": "2026-11-20"})
    assert '<li class="tg-now" style="grid-row: 25"' in today.content.decode()
    tomorrow = client.get(reverse("clinic:calendar"), {"lekarz": unit_day["first"].pk, "dzien": "2026-11-21"})
    assert "tg-now" not in tomorrow.content.decode()


def test_a_units_day_has_its_practitioners_as_columns(client, unit_day):
    html = client.get(reverse("clinic:calendar"), {"poradnia": unit_day["unit"].pk, "dzien": "2026-11-21"})
    html = html.content.decode()
    heads = re.findall(r'<div class="tg-colhead[^"]*"[^>]*>\s*<a href="[^"]+">([^<]+)</a>', html)
    assert heads == [unit_day["first"].full_name, unit_day["second"].full_name]
    # The afternoon practitioner's 14:00 is row 73 (8:00 + 6 h × 12 rows).
    assert ("free", "73 / span 3", "14:00") in items(html)


def test_the_visit_carries_its_source_payer_and_a_cut_note(client, unit_day):
    html = client.get(reverse("clinic:calendar"), {"lekarz": unit_day["first"].pk, "dzien": "2026-11-20"})
    html = html.content.decode()
    assert "źródło: portal" in html
    assert '<span class="tag nfz" title="Finansowanie NFZ">NFZ</span>' in html
    assert f'<span class="tg-note">{"x" * 1000}</span>' in html  # cut by CSS, never widens the page


def test_the_hours_cover_every_slot():
    columns = [timegrid.Column(key="a", label="a")]

    class FakeSlot:
        state = "free"

        def __init__(self, start, end):
            self.start, self.end = start, end

    late = dt.datetime(2026, 11, 20, 19, 30, tzinfo=dt.UTC)  # 20:30 in Warsaw
    grid = timegrid.build(
        columns,
        {"a": [(FakeSlot(late, late + dt.timedelta(minutes=20)), None)]},
        now=FROZEN_NOW,
        today=dt.date(2026, 11, 20),
    )
    assert (grid.first_hour, grid.last_hour, grid.rows) == (8, 21, 156)
    assert (columns[0].items[0].row, columns[0].items[0].span) == (151, 4)
