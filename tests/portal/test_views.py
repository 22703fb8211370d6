import datetime as dt
import re

import pytest
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment, cancel_appointment_by_patient
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, every_day

pytestmark = pytest.mark.django_db


def free_slot(schedule, n=0):
    return Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start")[n]


def test_search_page_lists_earliest_slots_with_booking_links(client, today):
    _, _, practitioner, schedule = clinic(today=today, days=2)
    response = client.get("/", {"specialization": "kardiologia", "city": "Kraków"})
    assert response.status_code == 200
    html = response.content.decode()
    assert practitioner.full_name in html
    assert reverse("portal:book", args=[free_slot(schedule).pk]) in html
    assert "Następny tydzień" in html


def test_search_form_errors_are_polish(client):
    response = client.get("/", {"date_from": "2026-12-10", "date_to": "2026-12-01"})
    assert "Data końcowa nie może być wcześniejsza niż początkowa." in response.content.decode()


def test_practitioner_and_provider_cards(client, today):
    provider, unit, practitioner, schedule = clinic(today=today, days=3)
    card = client.get(reverse("portal:practitioner", args=[practitioner.pk]))
    assert card.status_code == 200
    assert "Kardiologia" in card.content.decode()
    assert reverse("portal:book", args=[free_slot(schedule).pk]) in card.content.decode()
    assert client.get(reverse("portal:practitioner", args=[practitioner.pk]), {"od": "zle"}).status_code == 200
    page = client.get(reverse("portal:provider", args=[provider.pk]))
    assert unit.name in page.content.decode() and practitioner.full_name in page.content.decode()
    assert client.get(reverse("portal:provider", args=[99999])).status_code == 404


def test_booking_form_round_trip(client, today, mailoutbox, django_capture_on_commit_callbacks):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = free_slot(schedule)
    url = reverse("portal:book", args=[slot.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**PATIENT, "note": "<script>alert(1)</script>"})
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    page = client.get(response["Location"])
    assert "Twoja wizyta została zarezerwowana" in page.content.decode()
    assert appointment.reference in page.content.decode()
    assert len(mailoutbox) == 1


def test_the_same_form_sent_twice_books_once_and_shows_that_booking(client, today):
    """A double click or Back and send: the second send finds the booking the first one made
    (issue 11 item 6), never "Ten termin jest już zajęty"."""
    _, _, _, schedule = clinic(today=today, days=1)
    slot = free_slot(schedule)
    url = reverse("portal:book", args=[slot.pk])
    key = re.search(r'name="submission" value="([^"]+)"', client.get(url).content.decode()).group(1)
    first = client.post(url, {**PATIENT, "submission": key})
    second = client.post(url, {**PATIENT, "submission": key})
    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == first["Location"]
    assert Appointment.objects.count() == 1


def test_a_submission_key_shows_nobody_elses_booking(client, today):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = free_slot(schedule)
    url = reverse("portal:book", args=[slot.pk])
    assert client.post(url, {**PATIENT, "submission": "klucz-formularza-123"}).status_code == 302
    other = client.post(url, {**PATIENT, "email": "ktos.inny@example.com", "submission": "klucz-formularza-123"})
    assert other.status_code == 409
    assert "Ten termin jest już zajęty" in other.content.decode()


def test_the_form_sent_again_after_the_visit_was_cancelled_books_anew(client, today):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = free_slot(schedule)
    url = reverse("portal:book", args=[slot.pk])
    client.post(url, {**PATIENT, "submission": "klucz-1"})
    first = Appointment.objects.get()
    cancel_appointment_by_patient(first.pk, first.cancel_token)
    again = client.post(url, {**PATIENT, "submission": "klucz-1"})
    assert again.status_code == 302
    assert sorted(Appointment.objects.values_list("status", flat=True)) == ["cancelled", "confirmed"]


def test_the_form_sent_again_with_another_persons_name_is_not_the_first_booking(client, today):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = free_slot(schedule)
    url = reverse("portal:book", args=[slot.pk])
    client.post(url, {**PATIENT, "submission": "klucz-2"})
    child = client.post(url, {**PATIENT, "first_name": "Zosia", "submission": "klucz-2"})
    assert child.status_code == 409
    assert Appointment.objects.get().first_name == PATIENT["first_name"]


def test_a_key_sent_with_another_free_slot_books_that_slot(client, today):
    _, _, _, schedule = clinic(today=today, days=1)
    first, second = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start")[:2]
    assert client.post(reverse("portal:book", args=[first.pk]), {**PATIENT, "submission": "k"}).status_code == 302
    assert client.post(reverse("portal:book", args=[second.pk]), {**PATIENT, "submission": "k"}).status_code == 302
    assert Appointment.objects.count() == 2


def test_booking_form_shows_field_errors_and_keeps_input(client, today):
    _, _, _, schedule = clinic(today=today, days=1)
    url = reverse("portal:book", args=[free_slot(schedule).pk])
    response = client.post(url, {**PATIENT, "pesel": "12345678901", "email": ""})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Nieprawidłowy numer PESEL" in html and "Podaj adres e-mail" in html
    assert 'value="Kowalski"' in html
    assert not Appointment.objects.exists()


def test_lost_race_shows_taken_message_and_alternatives(client, today):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = free_slot(schedule)
    book_appointment(slot.pk, PATIENT)
    response = client.post(reverse("portal:book", args=[slot.pk]), PATIENT)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Ten termin jest już zajęty" in html
    assert reverse("portal:book", args=[free_slot(schedule, 1).pk]) in html
    opened_later = client.get(reverse("portal:book", args=[slot.pk]))  # e.g. from an old link
    assert opened_later.status_code == 409 and "Ten termin jest już zajęty" in opened_later.content.decode()


def test_unknown_past_and_call_center_slots(client, today):
    _, _, _, schedule = clinic(
        today=today,
        days=1,
        blocks=every_day(dt.time(8), dt.time(12)) + every_day(dt.time(13), dt.time(14), callcenter_only=True),
    )
    assert client.get(reverse("portal:book", args=[999999])).status_code == 404
    past = Slot.objects.filter(schedule=schedule, start__lt=FROZEN_NOW).first()
    assert "już minął" in client.get(reverse("portal:book", args=[past.pk])).content.decode()
    cc = Slot.objects.filter(schedule=schedule, callcenter_only=True).first()
    assert client.get(reverse("portal:book", args=[cc.pk])).status_code == 404


def test_cancel_via_email_link(client, today):
    _, _, _, schedule = clinic(today=today, days=1)
    appointment = book_appointment(free_slot(schedule).pk, PATIENT)
    url = reverse("portal:cancel", args=[appointment.pk])
    assert client.get(url, {"t": "zly"}).status_code == 404
    page = client.get(url, {"t": appointment.cancel_token})
    assert "Odwołuję wizytę" in page.content.decode()
    done = client.post(url, {"t": appointment.cancel_token, "reason": "wyjazd"})
    assert "Wizyta została odwołana" in done.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert "została już odwołana" in client.post(url, {"t": appointment.cancel_token}).content.decode()


def test_demo_mailbox_shows_sent_messages(client, today, django_capture_on_commit_callbacks):
    _, _, _, schedule = clinic(today=today, days=1)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(free_slot(schedule).pk, PATIENT)
    box = client.get("/dev/poczta/")
    assert appointment.reference in box.content.decode()
    from terminarz.notifications.models import Message

    message = Message.objects.get()
    message_url = reverse("dev-mailbox-message", args=[message.pk])
    assert f'<a href="{message_url}">' in box.content.decode()  # the list links to the message
    page = client.get(message_url)
    assert (
        f'href="http://127.0.0.1:8000/wizyta/{appointment.pk}/odwolaj/?t={appointment.cancel_token}"'
        in page.content.decode()
    )


def test_mailbox_does_not_exist_outside_demo(client, settings):
    settings.DEMO_MODE = False
    response = client.get("/dev/poczta/")
    assert response.status_code == 404


def test_portal_is_rate_limited_per_ip(client, settings, frozen):  # frozen: no window boundary mid-test
    from django.core.cache import cache

    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_SEARCH = "2/m"
    cache.clear()
    codes = [client.get("/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "Zbyt wiele prób w krótkim czasie" in client.get("/").content.decode()
    assert client.get("/", REMOTE_ADDR="10.1.1.1").status_code == 200
