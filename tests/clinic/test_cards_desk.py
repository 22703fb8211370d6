"""E6 (seed 001 §5.5, §6.3.2): with "Obsługa kart pacjenta" on, the booking window finds a
patient by an active card only, shows the active card's number, and takes a card number for a
new patient (added as active); the registrar chooses a card's status when adding it."""

import pytest
from django.urls import reverse

from terminarz.patients.models import HealthCard, Patient
from terminarz.patients.services import add_card
from tests.booking.test_registration_rules import set_rules
from tests.clinic.test_desk import book_url, desk  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

CARD = "PL1234567890ABCDEF"
OTHER = "PL0000000000ZZZZZZ"


def found_rows(client, slot, query) -> str:
    html = client.get(book_url(slot), {"q": query}).content.decode()
    return html[html.index("<tbody>") : html.index("</tbody>")]


def test_only_an_active_card_finds_the_patient_and_its_number_is_shown(client, desk):  # noqa: F811
    jan, slot = desk["kowalski"], desk["slots"][0]
    add_card(jan, OTHER, actor=desk["rachel"])  # inactive
    assert "Nie znaleziono pacjenta" in found_rows(client, slot, OTHER)
    add_card(jan, CARD, actor=desk["rachel"], active=True)
    rows = found_rows(client, slot, "PL12 3456 7890 ABCD EF")
    assert "Kowalski Jan" in rows and f'<td class="mono" data-label="Karta pacjenta">{CARD}</td>' in rows
    by_name = found_rows(client, slot, "Kowalski")
    assert f'<td class="mono" data-label="Karta pacjenta">{CARD}</td>' in by_name and OTHER not in by_name


def test_a_new_patient_at_the_desk_gets_an_active_card(client, desk):  # noqa: F811
    slot = desk["slots"][0]
    data = {"nowy-first_name": "Ewa", "nowy-last_name": "Nowa", "nowy-card_number": "pl12 3456 7890 abcd ef"}
    assert client.post(book_url(slot), data).status_code == 302
    ewa = Patient.objects.get(provider=desk["a"], last_name="Nowa")
    assert list(ewa.cards.values_list("number", "is_active")) == [(CARD, True)]


def test_a_bad_card_number_keeps_the_new_patient_out(client, desk):  # noqa: F811
    slot = desk["slots"][0]
    data = {"nowy-first_name": "Ewa", "nowy-last_name": "Nowa", "nowy-card_number": "PL12"}
    response = client.post(book_url(slot), data)
    assert response.status_code == 422
    assert "Numer karty ma 18 znaków (nie licząc spacji): cyfry i litery." in response.content.decode()
    assert not Patient.objects.filter(last_name="Nowa").exists()


def test_a_card_taken_by_another_patient_refuses_the_whole_booking(client, desk):  # noqa: F811
    add_card(desk["kowalski"], CARD, actor=desk["rachel"], active=True)
    data = {"nowy-first_name": "Ewa", "nowy-last_name": "Nowa", "nowy-card_number": CARD}
    response = client.post(book_url(desk["slots"][0]), data)
    assert response.status_code == 422
    assert "Karta o tym numerze jest już w kartotece." in response.content.decode()
    assert not Patient.objects.filter(last_name="Nowa").exists()


def test_the_registrar_chooses_the_status_when_adding_a_card(client, desk):  # noqa: F811
    jan = desk["kowalski"]
    add_card(jan, OTHER, actor=desk["rachel"], active=True)
    url = reverse("clinic:card-add", args=[jan.pk])
    page = client.get(reverse("clinic:patient", args=[jan.pk])).content.decode()
    assert 'name="active"' in page
    client.post(url, {"number": CARD, "active": "1"})
    assert dict(HealthCard.objects.values_list("number", "is_active")) == {CARD: True, OTHER: False}


def test_with_card_handling_off_the_window_has_no_cards(client, desk):  # noqa: F811
    jan, slot = desk["kowalski"], desk["slots"][0]
    add_card(jan, CARD, actor=desk["rachel"], active=True)
    set_rules(desk["a"], cards_enabled=False)
    assert "Nie znaleziono pacjenta" in found_rows(client, slot, CARD)
    rows = found_rows(client, slot, "Kowalski")
    assert CARD not in rows
    page = client.get(book_url(slot)).content.decode()
    assert "nowy-card_number" not in page
    data = {"nowy-first_name": "Ewa", "nowy-last_name": "Nowa", "nowy-card_number": OTHER}
    assert client.post(book_url(slot), data).status_code == 302
    assert not HealthCard.objects.filter(number=OTHER).exists()
