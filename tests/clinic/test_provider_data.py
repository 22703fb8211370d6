"""A2 and A5 in the back-office: "Dane placówki" (edit in place until "Potwierdzam poprawność
danych", then change requests with the diff and "Wycofaj wniosek"), and locations: "Dodaj
lokalizację" (oczekująca, hidden), corrections, an approved location's address by request.
Only the admin (provider.change / org.change) may do it; another provider's location is 404."""

import pytest
from django.urls import reverse

from terminarz.onboarding import changes
from terminarz.onboarding.models import ChangeRequest
from terminarz.providers.models import Location
from tests.clinic.test_access import make_user
from tests.factories import make_provider
from tests.onboarding.helpers import valid_nip, valid_regon

pytestmark = pytest.mark.django_db
DATA = reverse("clinic:provider-data")


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def office(client, frozen):
    provider = make_provider()
    admin = make_user("kierownik", provider, "admin")
    client.force_login(admin)
    return {"provider": provider, "admin": admin}


def full(provider, **changes) -> dict:
    data = {
        "action": "edit",
        "name": provider.name,
        "nip": valid_nip("951234567"),
        "regon": valid_regon("12345678"),
        "email": "recepcja@example.com",
        "phone": "+48 12 345 67 00",
        "description": "",
    }
    data.update(changes)
    return data


def test_data_is_completed_in_place_confirmed_then_changed_by_request(client, office):
    provider = office["provider"]
    page = client.get(DATA)
    assert page.context["missing"] == ["NIP", "REGON", "E-mail", "Telefon"]
    incomplete = client.post(DATA, {"action": "confirm", "confirm": "on"})
    assert incomplete.context["confirm_form"].non_field_errors() == [
        "Uzupełnij wymagane dane: NIP, REGON, E-mail, Telefon."
    ]
    bad = client.post(DATA, full(provider, nip="123"))
    assert bad.context["form"].errors == {"nip": ["Wpisz NIP: 10 cyfr, z kreskami lub bez."]}
    saved = client.post(DATA, full(provider), follow=True)
    assert messages_of(saved) == [
        "Zapisano dane kontaktowe. Zmiana nazwy, NIP lub REGON trafiła do operatora "
        "i zacznie obowiązywać po jego zatwierdzeniu."
    ]
    provider.refresh_from_db()
    assert (provider.nip, provider.phone) == ("", "+48 12 345 67 00")  # the identity waits for the operator
    assert saved.context["pending_rows"] == [
        ("NIP", "", valid_nip("951234567")),
        ("REGON", "", valid_regon("12345678")),
    ]
    operator = make_user("operator")
    changes.approve(changes.pending_for(provider), actor=operator)
    confirmed = client.post(DATA, {"action": "confirm", "confirm": "on"}, follow=True)
    assert messages_of(confirmed) == ["Dziękujemy – dane placówki są potwierdzone."]
    requested = client.post(DATA, full(provider, phone="+48 12 345 67 99"), follow=True)
    assert messages_of(requested) == [
        "Wysłano wniosek o zmianę danych. Dane zmienią się po zatwierdzeniu przez operatora."
    ]
    provider.refresh_from_db()
    assert provider.phone == "+48 12 345 67 00"
    assert requested.context["pending_rows"] == [("Telefon", "+48 12 345 67 00", "+48 12 345 67 99")]
    assert "Zmiana czeka na zatwierdzenie" in requested.content.decode()
    again = client.post(DATA, full(provider, phone="+48 12 345 67 98"))
    assert again.context["form"].non_field_errors() == [
        "Poprzednia zmiana czeka na zatwierdzenie przez operatora. Wycofaj ją, aby złożyć nową."
    ]
    withdrawn = client.post(DATA, {"action": "withdraw"}, follow=True)
    assert messages_of(withdrawn) == ["Wycofano wniosek o zmianę danych."]
    assert list(ChangeRequest.objects.filter(provider=provider).order_by("pk").values_list("status", flat=True)) == [
        "approved",
        "withdrawn",
    ]


def test_a_location_is_added_pending_and_corrected(client, office):
    provider = office["provider"]
    without_voivodeship = client.post(
        reverse("clinic:location-create"),
        {"name": "Filia", "street": "ul. Polna 2", "postal_code": "31-000", "city": "Kraków"},
    )
    assert without_voivodeship.context["form"].errors == {"voivodeship": ["To pole jest wymagane."]}
    added = client.post(
        reverse("clinic:location-create"),
        {"name": "Filia", "street": "ul. Polna 2", "postal_code": "31-000", "city": "Kraków", "voivodeship": "12"},
        follow=True,
    )
    assert messages_of(added) == [
        "Dodano lokalizację. Czeka na zatwierdzenie przez operatora – do tego czasu nie jest widoczna w portalu."
    ]
    location = Location.objects.get(provider=provider, name="Filia")
    assert (location.status, location.is_visible, location.voivodeship) == ("pending", False, "12")
    page = added.content.decode()
    assert "oczekująca" in page and "Czeka na zatwierdzenie przez operatora Terminarza" in page
    bad = client.post(
        reverse("clinic:location", args=[location.pk]),
        {"name": "Filia", "street": "x", "postal_code": "31000", "city": "Kraków", "voivodeship": "12"},
    )
    assert bad.context["form"].errors == {"postal_code": ["Wpisz kod pocztowy w formacie 00-000."]}
    shown = client.post(reverse("clinic:location-visibility", args=[location.pk]), {"visible": "1"}, follow=True)
    assert messages_of(shown) == [
        "Lokalizacja czeka na zatwierdzenie przez operatora – do tego czasu nie jest widoczna."
    ]
    main = Location.objects.get(provider=provider, number=1)
    requested = client.post(
        reverse("clinic:location", args=[main.pk]),
        {
            "name": main.name,
            "street": "ul. Inna 5",
            "postal_code": main.postal_code,
            "city": main.city,
            "voivodeship": "14",
        },
        follow=True,
    )
    assert messages_of(requested) == ["Wysłano wniosek o zmianę adresu. Zmieni się po zatwierdzeniu przez operatora."]
    main.refresh_from_db()
    assert (main.street, main.voivodeship) == ("ul. Długa 1", "12")
    change = ChangeRequest.objects.get(location=main, status="pending")
    assert changes.diff(change) == [
        ("Ulica i numer", "ul. Długa 1", "ul. Inna 5"),
        ("Województwo", "małopolskie", "mazowieckie"),
    ]
    assert "Zmiana adresu czeka na zatwierdzenie przez operatora." in requested.content.decode()


def test_only_the_admin_and_only_own_locations(client, office):
    other = make_provider()
    foreign = Location.objects.get(provider=other, number=1)
    assert client.get(reverse("clinic:location", args=[foreign.pk])).status_code == 404
    client.force_login(make_user("rej", office["provider"], "registrar"))
    assert client.get(DATA).status_code == 403
    assert client.get(reverse("clinic:location-create")).status_code == 403
