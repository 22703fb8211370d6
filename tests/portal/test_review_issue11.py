"""Fixes from the security review of the booking steps, languages and doctor-centred search
(issue 11): each test is one finding, reproduced and shown closed."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.providers.models import RegistrationSettings
from terminarz.scheduling.models import Slot
from terminarz.scheduling.services import generate_slots
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, every_day, make_practitioner, make_schedule

pytestmark = pytest.mark.django_db


def slots_of(schedule):
    return list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))


def test_accepted_conditions_are_not_carried_to_another_slot(client, today):
    _, _, _, schedule = clinic(
        today=today, days=2, blocks=every_day(dt.time(11), dt.time(12), requirement_text="Na czczo")
    )
    first = slots_of(schedule)[0]
    client.post(
        reverse("portal:book", args=[first.pk]), {**PATIENT, "email": "ktos@example.com", "accept_requirements": "on"}
    )
    taken = client.post(reverse("portal:book", args=[first.pk]), {**PATIENT, "accept_requirements": "on"})
    html = taken.content.decode()
    assert taken.status_code == 409
    assert 'name="first_name" value="Jan"' in html
    assert 'name="accept_requirements"' not in html


def test_the_review_shows_the_visits_conditions(client, today):
    _, _, _, schedule = clinic(
        today=today, days=2, blocks=every_day(dt.time(11), dt.time(12), requirement_text="Na czczo")
    )
    data = {k: v for k, v in PATIENT.items() if k not in ("action", "accept_terms", "terms_version")}
    review = client.post(
        reverse("portal:book", args=[slots_of(schedule)[0].pk]),
        {**data, "accept_requirements": "on", "action": "review"},
    )
    assert "Na czczo" in review.content.decode()
    assert "Zaakceptowane w poprzednim kroku." in review.content.decode()


def test_only_the_reviews_button_books(client, today):
    _, _, _, schedule = clinic(today=today, days=2)
    url = reverse("portal:book", args=[slots_of(schedule)[0].pk])
    skipped = {k: v for k, v in PATIENT.items() if k not in ("action", "terms_version")}
    assert client.post(url, skipped).status_code == 200  # the review, not a booking
    assert client.post(url, {**skipped, "action": "confirm"}).status_code == 422  # no version shown
    assert Appointment.objects.count() == 0


def test_a_form_sent_again_after_signing_out_does_not_show_the_accounts_visit(client, today):
    _, _, _, schedule = clinic(today=today, days=2)
    user = get_user_model().objects.create_user("ewa", "jan.kowalski@example.com", "haslo-testowe-123")
    client.force_login(user)
    url = reverse("portal:book", args=[slots_of(schedule)[0].pk])
    assert client.post(url, {**PATIENT, "submission": "klucz-ewy"}).status_code == 302
    client.logout()
    again = client.post(url, {**PATIENT, "submission": "klucz-ewy"})
    assert again.status_code == 409
    assert Appointment.objects.get().cancel_token not in again.content.decode()


@pytest.mark.parametrize("key", ["klucz\x00zly", "x" * 65, "ż"])
def test_a_submission_key_not_of_the_forms_making_is_ignored(client, today, key):
    _, _, _, schedule = clinic(today=today, days=2)
    response = client.post(reverse("portal:book", args=[slots_of(schedule)[0].pk]), {**PATIENT, "submission": key})
    assert response.status_code == 302
    assert Appointment.objects.get().submission_key == ""


@pytest.mark.parametrize(
    "params",
    [{"provider": "99999999"}, {"strona": "²"}, {"strona": "9" * 5000}, {"q": "Kowal\x00ski"}, {"tydzien": "\x00"}],
)
def test_odd_search_parameters_answer_normally_and_write_nothing(client, today, params):
    clinic(today=today, days=2)
    before = RegistrationSettings.objects.count()
    response = client.get("/", params)
    assert response.status_code == 200
    assert RegistrationSettings.objects.count() == before


def test_the_search_page_varies_on_htmx(client):
    assert "HX-Request" in client.get("/")["Vary"]


def test_a_name_finds_a_doctor_beyond_the_first_page(client, today):
    provider, unit, _, _ = clinic(today=today, days=2)
    for i in range(12):
        p = make_practitioner(provider, unit, last_name=f"Wczesny{i}")
        generate_slots(
            make_schedule(p, unit, valid_from=today, blocks=every_day(dt.time(10, 30), dt.time(11))),
            start_day=today,
            end_day=today + dt.timedelta(days=1),
        )
    late = make_practitioner(provider, unit, last_name="Ostatnia")
    generate_slots(
        make_schedule(late, unit, valid_from=today, blocks=every_day(dt.time(17), dt.time(18))),
        start_day=today,
        end_day=today + dt.timedelta(days=1),
    )
    everyone = client.get("/").content.decode()
    assert "Strona 1 z 2" in everyone and late.full_name not in everyone
    assert late.full_name in client.get("/", {"q": "ostatnia"}).content.decode()


def test_the_practitioner_card_far_in_the_future(client, today):
    _, _, practitioner, _ = clinic(today=today, days=2)
    assert client.get(reverse("portal:practitioner", args=[practitioner.pk]), {"od": "9999-12-31"}).status_code == 200


def test_subjects_are_not_html_escaped(client, today, django_capture_on_commit_callbacks):
    provider, _, _, schedule = clinic(today=today, days=2)
    slot = slots_of(schedule)[0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("set-language"), {"language": "uk", "next": "/"})
        client.post(reverse("portal:book", args=[slot.pk]), PATIENT)
    appointment = Appointment.objects.get()
    assert (
        mail.outbox[0].subject == f"Підтвердження візиту {appointment.reference} – п'ятниця, 20 листопада 2026, 10:15"
    )
