"""K3: every confirmation carries an .ics calendar file; the confirmation page links to it."""

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from terminarz.booking.ics import appointment_ics
from terminarz.booking.services import book_appointment, move_appointment
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(today, django_capture_on_commit_callbacks):
    _, _, _, schedule = clinic(today=today, days=3)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(slots[0].pk, PATIENT)
    return appointment, slots


def event_of(data: bytes):
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return event


def test_confirmation_email_has_the_visit_as_ics(visit):
    appointment, _ = visit
    (sent,) = mail.outbox
    (name, content, mimetype) = sent.attachments[0]
    assert name == f"wizyta-{appointment.reference}.ics" and mimetype == "text/calendar"
    event = event_of(content.encode() if isinstance(content, str) else content)
    assert event.decoded("dtstart") == appointment.start and event.decoded("dtend") == appointment.end
    assert str(event["uid"]) == f"{appointment.reference}@terminarz"
    assert appointment.practitioner.full_name in str(event["summary"])
    assert appointment.unit.location.address in str(event["location"])
    assert f"/wizyta/{appointment.pk}/odwolaj/?t={appointment.cancel_token}" in str(event["description"])
    assert f"/wizyta/{appointment.pk}/kalendarz.ics?t={appointment.cancel_token}" in sent.alternatives[0][0]


def test_moved_visit_sends_an_updated_ics_with_the_same_uid(visit, django_capture_on_commit_callbacks):
    appointment, slots = visit
    with django_capture_on_commit_callbacks(execute=True):
        moved = move_appointment(appointment, slots[3].pk, actor=make_user("rachel"))
    name, content, _ = mail.outbox[-1].attachments[0]
    event = event_of(content.encode() if isinstance(content, str) else content)
    assert event.decoded("dtstart") == slots[3].start
    assert str(event["uid"]) == f"{moved.reference}@terminarz"


def test_confirmation_page_offers_the_file_behind_the_secret_token(client, visit):
    appointment, _ = visit
    page = client.get(reverse("portal:confirmation", args=[appointment.pk]), {"t": appointment.cancel_token})
    assert "Dodaj do kalendarza (.ics)" in page.content.decode()
    url = reverse("portal:calendar-file", args=[appointment.pk])
    response = client.get(url, {"t": appointment.cancel_token})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert event_of(response.content).decoded("dtstart") == appointment.start
    assert client.get(url, {"t": "wrong"}).status_code == 404
    assert client.get(url).status_code == 404


def test_ics_of_a_cancelled_visit_says_cancelled(visit):
    appointment, _ = visit
    appointment.status = "cancelled"
    assert str(event_of(appointment_ics(appointment))["status"]) == "CANCELLED"
