"""The booking flow's steps (D3, issue 11 item 6): the data form leads to a review with the
RODO information clause and the platform terms; only a confirmation with the terms of the
version shown accepted books, and the acceptance is recorded with that version."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.legal.models import TermsAcceptance, TermsDocument
from terminarz.legal.services import in_force
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, every_day

pytestmark = pytest.mark.django_db

TYPED = {k: v for k, v in PATIENT.items() if k != "accept_terms"}


def first_slot(schedule):
    return Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()


def test_the_data_step_leads_to_the_review_which_books_nothing(client, today):
    provider, _, _, schedule = clinic(today=today, days=2)
    url = reverse("portal:book", args=[first_slot(schedule).pk])
    form = client.get(url).content.decode()
    assert 'aria-current="step">Dane</li>' in form
    review = client.post(url, {**TYPED, "note": "Ból w klatce", "action": "review"})
    html = review.content.decode()
    assert review.status_code == 200
    assert 'aria-current="step">Podsumowanie</li>' in html
    assert "Informacja o przetwarzaniu danych osobowych (RODO)" in html
    assert f"Administratorem Twoich danych osobowych jest {provider.name}" in html
    assert "Akceptuję regulamin serwisu Terminarz (wersja 1.0)" in html
    # What was typed travels as hidden fields to the confirmation.
    assert '<input type="hidden" name="note" value="Ból w klatce">' in html
    assert Appointment.objects.count() == 0


def test_confirming_without_the_terms_asks_for_them_and_books_nothing(client, today):
    _, _, _, schedule = clinic(today=today, days=2)
    url = reverse("portal:book", args=[first_slot(schedule).pk])
    response = client.post(url, {**TYPED, "action": "confirm"})
    assert response.status_code == 422
    assert "Aby zarezerwować wizytę, zaakceptuj regulamin." in response.content.decode()
    assert Appointment.objects.count() == 0


def test_confirming_with_the_terms_books_and_records_the_version(client, today):
    _, _, _, schedule = clinic(today=today, days=2)
    url = reverse("portal:book", args=[first_slot(schedule).pk])
    response = client.post(url, {**TYPED, "action": "confirm", "accept_terms": "on", "terms_version": "1.0"})
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    acceptance = TermsAcceptance.objects.get(provider_ref__isnull=True)
    assert (acceptance.document.version, acceptance.booking_reference, acceptance.channel) == (
        "1.0",
        appointment.reference,
        "portal",
    )


def test_terms_changed_since_the_review_are_shown_again(client, today):
    _, _, _, schedule = clinic(today=today, days=2)
    in_force(TermsDocument.Kind.PLATFORM, FROZEN_NOW)
    TermsDocument.objects.create(
        kind="platform",
        version="2.0",
        title="Regulamin serwisu Terminarz",
        body="Nowa treść.",
        effective_from=FROZEN_NOW - dt.timedelta(minutes=1),
    )
    url = reverse("portal:book", args=[first_slot(schedule).pk])
    response = client.post(url, {**TYPED, "action": "confirm", "accept_terms": "on", "terms_version": "1.0"})
    assert response.status_code == 422
    assert "Regulamin się zmienił. Przeczytaj i zaakceptuj wersję 2.0." in response.content.decode()
    assert "Akceptuję regulamin serwisu Terminarz (wersja 2.0)" in response.content.decode()
    assert Appointment.objects.count() == 0


def test_back_from_the_review_keeps_the_data(client, today):
    _, _, _, schedule = clinic(today=today, days=2)
    url = reverse("portal:book", args=[first_slot(schedule).pk])
    page = client.post(url, {**TYPED, "first_name": "Zażółć", "action": "edit"}).content.decode()
    assert 'aria-current="step">Dane</li>' in page
    assert 'value="Zażółć"' in page
    assert "Popraw zaznaczone pola." not in page


def test_nfz_first_visit_at_a_specialist_tells_about_the_e_referral(client, today):
    _, _, _, nfz = clinic(today=today, days=2, blocks=every_day(dt.time(8), dt.time(10), financing="nfz"))
    page = client.get(reverse("portal:book", args=[first_slot(nfz).pk])).content.decode()
    assert "Wizyta na NFZ u specjalisty – potrzebne e-skierowanie" in page


def test_no_referral_note_for_a_private_visit_or_a_specialist_without_referral(client, today):
    _, _, _, private = clinic(today=today, days=2, blocks=every_day(dt.time(8), dt.time(10), financing="private"))
    _, _, _, gyn = clinic(
        today=today, days=2, spec="ginekologia", blocks=every_day(dt.time(8), dt.time(10), financing="nfz")
    )
    for schedule in (private, gyn):
        page = client.get(reverse("portal:book", args=[first_slot(schedule).pk])).content.decode()
        assert "e-skierowania" not in page


def test_the_terms_page_shows_the_version_in_force(client):
    page = client.get(reverse("portal:terms")).content.decode()
    assert "Regulamin serwisu Terminarz" in page
    assert "Wersja 1.0, obowiązuje od 1 stycznia 2026." in page
