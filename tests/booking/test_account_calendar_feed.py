"""K3 for patients: "Kalendarz w telefonie" makes a secret link to the acting account's visits
(shown once, stored as a SHA-256); a new link stops the old one, "Wyłącz link" stops it; the feed
holds the account's visits only – each with its booking reference as UID, a cancelled one marked
CANCELLED – names the practitioner and the place and never the patient; an erased account's link
stops."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from icalendar import Calendar

from terminarz.accounts.services import erase_patient_account
from terminarz.booking.models import AccountCalendarFeed
from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(frozen, today):
    provider, unit, practitioner, schedule = clinic(today=today, days=3)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    account = get_user_model().objects.create_user(
        "anna@example.com", "anna@example.com", "haslo-testowe-123", first_name="Anna", last_name="Nowak"
    )
    mine = book_appointment(slots[0].pk, {**PATIENT, "email": "anna@example.com"}, account=account)
    cancelled = book_appointment(slots[1].pk, {**PATIENT, "email": "anna@example.com"}, account=account)
    cancel_appointment_by_clinic(cancelled, actor=None, actor_label="client:x", reason="Choroba lekarza")
    someone_else = book_appointment(slots[2].pk, {**PATIENT, "email": "inny@example.com"})
    return {
        "account": account,
        "mine": mine,
        "cancelled": cancelled,
        "other": someone_else,
        "practitioner": practitioner,
    }


def make_link(client, account) -> str:
    client.force_login(account)
    response = client.post(reverse("account-calendar"), {"action": "create"})
    assert response["Cache-Control"] == "no-store"
    return response.context["link"]


def test_the_link_is_shown_once_and_serves_only_the_accounts_visits(client, world):
    link = make_link(client, world["account"])
    token = link.rsplit("/", 1)[1].removesuffix(".ics")
    assert AccountCalendarFeed.objects.get().token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.get(reverse("account-calendar")).content.decode()
    client.logout()
    response = client.get(reverse("calendar-feed", args=[token]))
    assert (response.status_code, response["Content-Type"]) == (200, "text/calendar; charset=utf-8")
    events = {
        str(e["uid"]): (str(e["status"]), str(e["summary"]))
        for e in Calendar.from_ical(response.content).walk("VEVENT")
    }
    who = world["practitioner"].full_name
    assert events == {
        f"{world['mine'].reference}@terminarz": ("CONFIRMED", f"Wizyta: {who} (Poradnia kardiologiczna)"),
        f"{world['cancelled'].reference}@terminarz": ("CANCELLED", f"Wizyta: {who} (Poradnia kardiologiczna)"),
    }
    text = response.content.decode()
    for personal in (PATIENT["first_name"], PATIENT["last_name"], "anna@example.com"):
        assert personal not in text


def test_a_new_link_stops_the_old_and_switching_off_stops_it(client, world):
    first = make_link(client, world["account"]).rsplit("/", 1)[1].removesuffix(".ics")
    second = make_link(client, world["account"]).rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(reverse("calendar-feed", args=[first])).status_code == 404
    assert client.get(reverse("calendar-feed", args=[second])).status_code == 200
    client.post(reverse("account-calendar"), {"action": "revoke"})
    assert client.get(reverse("calendar-feed", args=[second])).status_code == 404


def test_the_page_needs_a_signed_in_patient(client, world):
    response = client.get(reverse("account-calendar"))
    assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("account_login"))


def test_an_erased_accounts_link_stops(client, world):
    token = make_link(client, world["account"]).rsplit("/", 1)[1].removesuffix(".ics")
    erase_patient_account(world["account"])
    assert client.get(reverse("calendar-feed", args=[token])).status_code == 404


def test_a_guardians_link_to_a_dependents_visits_stops_when_the_dependent_takes_over(client, world):
    from terminarz.accounts.models import PatientProfile

    guardian = world["account"]
    dependent = get_user_model().objects.create_user("zosia", "", first_name="Zosia", last_name="Nowak")
    PatientProfile.objects.update_or_create(user=dependent, defaults={"guardian": guardian})
    client.force_login(guardian)
    session = client.session
    session["acting_account_id"] = dependent.pk
    session.save()
    response = client.post(reverse("account-calendar"), {"action": "create"})
    feed = AccountCalendarFeed.objects.get(account=dependent)
    assert (feed.created_by_id, feed.account_id) == (guardian.pk, dependent.pk)
    token = response.context["link"].rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(reverse("calendar-feed", args=[token])).status_code == 200
    PatientProfile.objects.filter(user=dependent).update(guardian=None)  # the dependent took it over
    assert client.get(reverse("calendar-feed", args=[token])).status_code == 404


def test_a_held_visit_is_tentative(client, world, frozen):
    from terminarz.providers.models import settings_for

    rules = settings_for(world["mine"].provider_id)
    rules.multi_step = True
    rules.save()
    slot = Slot.objects.filter(schedule__practitioner=world["practitioner"], state="free", start__gt=FROZEN_NOW).first()
    held = book_appointment(slot.pk, {**PATIENT, "email": "anna@example.com"}, account=world["account"])
    token = make_link(client, world["account"]).rsplit("/", 1)[1].removesuffix(".ics")
    events = Calendar.from_ical(client.get(reverse("calendar-feed", args=[token])).content).walk("VEVENT")
    assert {str(e["uid"]): str(e["status"]) for e in events}[f"{held.reference}@terminarz"] == "TENTATIVE"
