"""D1: the portal and the API find free slots by service ("świadczenie"), visit type (in
person / televisit), payer and the language of the visit, besides specialization, place,
practitioner and date."""

import datetime as dt
import re

import pytest

from terminarz.catalog.models import Payer, Service
from terminarz.scheduling.models import Financing, Televisit
from terminarz.scheduling.services import generate_slots
from tests.conftest import FROZEN_NOW
from tests.factories import clinic, every_day, make_practitioner, make_schedule

pytestmark = pytest.mark.django_db


def cards(html: str) -> list[str]:
    return re.findall(r'<h3 class="name"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def two(today):
    """An English-speaking doctor doing ECG with televisits possible (private), and an NFZ
    doctor seeing patients in the office only at a provider that cooperates with TU Zdrowie."""
    provider_a, unit_a, first, _ = clinic(today=today, days=1)
    english = make_practitioner(provider_a, unit_a, last_name="Angielska", languages="polski, Angielski")
    schedule = make_schedule(
        english,
        unit_a,
        valid_from=today,
        blocks=every_day(dt.time(14), dt.time(15), financing=Financing.PRIVATE, televisit=Televisit.POSSIBLE),
    )
    generate_slots(schedule, start_day=today, end_day=today + dt.timedelta(days=2))
    ekg = Service.objects.create(provider=provider_a, code="EKG", name="EKG spoczynkowe", self_service=True)
    english.procedures.add(ekg)
    provider_b, unit_b, second, _ = clinic(today=today, days=1)
    for other in (first, second):  # the factory's own doctors stay out of these searches
        other.is_visible_online = False
        other.save()
    office = make_practitioner(provider_b, unit_b, last_name="Gabinetowa", languages="polski")
    schedule = make_schedule(
        office, unit_b, valid_from=today, blocks=every_day(dt.time(11), dt.time(12), financing=Financing.PRIVATE)
    )
    generate_slots(schedule, start_day=today, end_day=today + dt.timedelta(days=2))
    Payer.objects.create(provider=provider_b, insurer_ref=77, name="TU Zdrowie", imported_at=FROZEN_NOW)
    return {"english": english, "office": office}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["Gabinetowa", "Angielska"]),
        ({"service": "ekg"}, ["Angielska"]),
        ({"service": "EKG spocz"}, ["Angielska"]),
        ({"service": "USG"}, []),
        ({"visit_type": "televisit"}, ["Angielska"]),
        ({"visit_type": "office"}, ["Gabinetowa", "Angielska"]),
        ({"language": "angielski"}, ["Angielska"]),
        ({"language": "niemiecki"}, []),
        ({"payer": "77"}, ["Gabinetowa"]),
        ({"payer": "78"}, []),
    ],
    ids=[
        "none",
        "service-code",
        "service-name",
        "service-none",
        "televisit",
        "office",
        "language",
        "language-none",
        "payer",
        "payer-none",
    ],
)
def test_portal_and_api_filter_alike(client, two, params, expected):
    names = [name.split()[-1] for name in cards(client.get("/", params).content.decode())]
    assert names == expected
    items = client.get("/api/v1/slots", {**params, "limit": 100}).json()["items"]
    practitioners = {two["english"].pk: "Angielska", two["office"].pk: "Gabinetowa"}
    assert sorted({practitioners[item["practitioner"]["id"]] for item in items}) == sorted(expected)


def test_the_form_offers_services_languages_and_payers(client, two):
    html = client.get("/", {"visit_type": "televisit"}).content.decode()
    assert '<option value="EKG spoczynkowe">' in html
    assert "<option >angielski</option>" in html and "<option >polski</option>" in html
    assert '<option value="77" >TU Zdrowie</option>' in html
    assert '<option value="televisit" selected>teleporada</option>' in html


def test_bad_values_are_refused_with_the_fields_name(client, two):
    page = client.get("/", {"visit_type": "wideo"}).content.decode()
    assert "Wybierz poprawną wartość. wideo nie jest żadną z dostępnych opcji." in page
    refused = client.get("/api/v1/slots", {"payer": "abc"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid"
