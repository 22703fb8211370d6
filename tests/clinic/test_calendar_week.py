"""F1 week views (per practitioner, per unit), htmx partials and bounded query counts."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking.services import book_appointment
from terminarz.scheduling.models import Slot
from terminarz.scheduling.services import generate_slots
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, make_practitioner, make_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(today, client):
    provider, unit, practitioner, schedule = clinic(today=today, days=7)
    others = []
    for i in range(4):
        p = make_practitioner(provider, unit, last_name=f"Drugi{i}")
        s = make_schedule(
            p,
            unit,
            valid_from=today,
            blocks=[{"weekday": d, "start_time": dt.time(8), "end_time": dt.time(10)} for d in range(7)],
        )
        generate_slots(s, start_day=today, end_day=today + dt.timedelta(days=6))
        others.append(p)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    visit = book_appointment(slot.pk, {**PATIENT, "last_name": "Tygodniowy"})
    client.force_login(make_user("rachel", provider, "registrar"))
    return {"provider": provider, "unit": unit, "practitioner": practitioner, "visit": visit}


def test_practitioner_week_shows_visits_and_free_slots(client, week):
    html = client.get(
        reverse("clinic:calendar-week"), {"lekarz": week["practitioner"].pk, "od": "2026-11-20"}
    ).content.decode()
    assert "Tygodniowy" in html and "wolny" in html and "źródło: portal" in html
    assert "16 listopada" in html  # the week starts on Monday


def test_unit_week_counts_per_practitioner_and_day(client, week):
    html = client.get(
        reverse("clinic:calendar-week"), {"poradnia": week["unit"].pk, "od": "2026-11-20"}
    ).content.decode()
    assert "Drugi3" in html and "zajęte: 1 ·" in html


def test_htmx_navigation_returns_only_the_calendar_part(client, week):
    response = client.get(
        reverse("clinic:calendar-week"), {"lekarz": week["practitioner"].pk, "od": "2026-11-27"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html and "Następny tydzień" in html


@pytest.mark.parametrize("view, params", [("clinic:calendar-week", {"poradnia": None}), ("clinic:calendar", {})])
def test_calendar_query_count_is_bounded(client, week, django_assert_max_num_queries, view, params):
    params = {k: week["unit"].pk for k in params}
    with django_assert_max_num_queries(14):
        assert client.get(reverse(view), {**params, "dzien": "2026-11-20", "od": "2026-11-20"}).status_code == 200
