"""Fixes from the security review of the time grid (issue 11): a colleague's calendar opened by
default is audited, every practitioner id of a busy unit's read is kept, crafted days answer."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.core.models import AuditEntry
from terminarz.scheduling.services import generate_slots
from tests.clinic.test_access import make_user
from tests.factories import clinic, every_day, make_practitioner, make_schedule

pytestmark = pytest.mark.django_db


def test_a_colleagues_calendar_opened_by_default_is_audited(client, today):
    provider, _, colleague, _ = clinic(today=today, days=1)
    client.force_login(make_user("lekarz", provider, "practitioner", granted=["calendar.view_all"]))
    assert client.get(reverse("clinic:calendar")).status_code == 200
    entry = AuditEntry.objects.get(action="access.widened")
    assert entry.changes == {"permission": "calendar.view_all", "practitioners": [colleague.pk]}


def test_every_practitioner_of_a_units_day_is_in_the_audit(client, today):
    provider, unit, first, _ = clinic(today=today, days=1)
    others = []
    for i in range(3):
        colleague = make_practitioner(provider, unit, last_name=f"Kolega{i}")
        schedule = make_schedule(colleague, unit, valid_from=today, blocks=every_day(dt.time(8), dt.time(9)))
        generate_slots(schedule, start_day=today, end_day=today)
        others.append(colleague.pk)
    client.force_login(make_user("lekarz", provider, "practitioner", granted=["calendar.view_all"]))
    client.get(reverse("clinic:calendar"), {"poradnia": unit.pk, "dzien": "2026-11-20"})
    entry = AuditEntry.objects.filter(action="access.widened").latest("pk")
    assert entry.changes == {"permission": "calendar.view_all", "practitioners": sorted([first.pk, *others])}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-12-27"])
def test_days_at_the_ends_of_the_calendar_answer(client, today, day):
    provider, unit, practitioner, _ = clinic(today=today, days=1)
    client.force_login(make_user("rachel", provider, "registrar"))
    for name, params in (
        ("clinic:calendar", {"dzien": day}),
        ("clinic:calendar", {"dzien": day, "poradnia": unit.pk}),
        ("clinic:calendar-week", {"od": day}),
        ("clinic:calendar-week", {"od": day, "poradnia": unit.pk}),
        ("clinic:today", {"dzien": day}),
    ):
        assert client.get(reverse(name), params).status_code == 200, (name, params)
