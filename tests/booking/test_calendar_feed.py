"""K3: a practitioner's visits as an iCalendar feed behind a secret link – made by the provider's
admin (shown once, stored hashed), replaced ("Wygeneruj nowy link": the old one stops), switched
off; the feed keeps each visit's UID when it moves and marks a cancelled one CANCELLED; it holds
no patient data; another provider's practitioner is out of reach and a registrar cannot manage
it."""

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from icalendar import Calendar

from terminarz.booking import feeds
from terminarz.booking.models import CalendarFeed
from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic, move_appointment
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.factories import PATIENT, clinic, make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, frozen, today):
    provider, unit, practitioner, schedule = clinic(today=today, days=3)
    admin = make_user("kierownik", provider, "admin")
    client.force_login(admin)
    return {"provider": provider, "practitioner": practitioner, "admin": admin, "schedule": schedule}


def events(client, link: str) -> dict[str, dict]:
    response = client.get(link)
    assert (response.status_code, response["Content-Type"], response["Cache-Control"]) == (
        200,
        "text/calendar; charset=utf-8",
        "private, no-store",
    )
    calendar = Calendar.from_ical(response.content)
    return {
        str(event["uid"]): {
            "start": event.decoded("dtstart"),
            "status": str(event["status"]),
            "summary": str(event["summary"]),
            "description": str(event["description"]),
        }
        for event in calendar.walk("VEVENT")
    }


def make_link(client, office) -> str:
    url = reverse("clinic:practitioner-calendar", args=[office["practitioner"].pk])
    page = client.post(url, {"action": "create"})
    assert page.status_code == 200
    return page.context["link"]


def test_the_admin_makes_a_link_and_the_feed_follows_the_visits(client, office):
    slots = list(Slot.objects.filter(schedule=office["schedule"], day=dt.date(2026, 11, 21)).order_by("start"))
    visit = book_appointment(slots[0].pk, PATIENT)
    other = book_appointment(slots[1].pk, PATIENT)
    link = make_link(client, office)
    token = link.rsplit("/", 1)[1].removesuffix(".ics")
    assert CalendarFeed.objects.get().token_hash == hashlib.sha256(token.encode()).hexdigest()
    shown = events(client, link)
    assert sorted(shown) == sorted([f"{visit.reference}@terminarz", f"{other.reference}@terminarz"])
    first = shown[f"{visit.reference}@terminarz"]
    assert (first["status"], first["summary"], first["description"]) == (
        "CONFIRMED",
        "Wizyta – Poradnia kardiologiczna",
        f"Numer rezerwacji: {visit.reference}",
    )
    assert PATIENT["last_name"] not in client.get(link).content.decode()
    move_appointment(visit, slots[4].pk, actor=office["admin"])
    cancel_appointment_by_clinic(other, actor=office["admin"], reason="choroba lekarza")
    after = events(client, link)
    assert after[f"{visit.reference}@terminarz"]["start"] == slots[4].start
    assert after[f"{other.reference}@terminarz"]["status"] == "CANCELLED"


def test_a_new_link_replaces_the_old_and_switching_off_stops_it(client, office):
    first = make_link(client, office)
    second = make_link(client, office)
    assert (client.get(first).status_code, client.get(second).status_code) == (404, 200)
    url = reverse("clinic:practitioner-calendar", args=[office["practitioner"].pk])
    off = client.post(url, {"action": "revoke"}, follow=True)
    assert [str(m) for m in off.context["messages"]] == ["Link wyłączony – kalendarze przestaną pobierać wizyty."]
    assert client.get(second).status_code == 404
    assert "Link jest wyłączony." in off.content.decode()
    assert client.get(reverse("calendar-feed", args=["x" * 200])).status_code == 404


def test_only_the_admin_of_the_practitioners_provider_manages_it(client, office, today):
    other = clinic(today=today, days=1, provider=make_provider(name="Inna"))
    assert client.get(reverse("clinic:practitioner-calendar", args=[other[2].pk])).status_code == 404
    client.force_login(make_user("rejestratorka", office["provider"], "registrar"))
    assert client.get(reverse("clinic:practitioner-calendar", args=[office["practitioner"].pk])).status_code == 403


def test_the_link_is_shown_once(client, office):
    make_link(client, office)
    page = client.get(reverse("clinic:practitioner-calendar", args=[office["practitioner"].pk]))
    assert (page.context["link"], "Link jest włączony" in page.content.decode()) == ("", True)
    assert feeds.current(office["practitioner"]).revoked_at is None
