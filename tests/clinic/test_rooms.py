"""Rooms (F8): rooms per location, one practitioner per room and day, shown in the day view."""

import pytest
from django.urls import reverse

from terminarz.providers.models import Room
from terminarz.staff.models import RoomAssignment
from tests.clinic.test_access import make_user
from tests.factories import clinic, make_practitioner

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(today, client):
    provider, unit, practitioner, _ = clinic(today=today, days=2)
    other = make_practitioner(provider, unit, last_name="Drugi")
    client.force_login(make_user("alice", provider, "admin"))
    return {"provider": provider, "location": unit.location, "practitioner": practitioner, "other": other}


def test_rooms_are_added_and_assigned_one_practitioner_a_day(client, rooms):
    url = reverse("clinic:rooms")
    client.post(url, {"gabinet-location": rooms["location"].pk, "gabinet-name": "Gabinet 12"})
    dup = client.post(url, {"gabinet-location": rooms["location"].pk, "gabinet-name": "Gabinet 12"})
    assert "jest już gabinet o tej nazwie" in dup.content.decode()
    room = Room.objects.get()
    ok = client.post(
        url,
        {"przydzial-practitioner": rooms["practitioner"].pk, "przydzial-room": room.pk, "przydzial-day": "2026-11-20"},
    )
    assert ok.status_code == 302
    clash = client.post(
        url, {"przydzial-practitioner": rooms["other"].pk, "przydzial-room": room.pk, "przydzial-day": "2026-11-20"}
    )
    assert clash.status_code == 422 and "Ten gabinet jest już zajęty w tym dniu." in clash.content.decode()
    assert RoomAssignment.objects.count() == 1
    day = client.get(reverse("clinic:calendar"), {"lekarz": rooms["practitioner"].pk, "dzien": "2026-11-20"})
    assert "gabinet Gabinet 12" in day.content.decode()


def test_registrar_sees_rooms_but_cannot_change_them(client, rooms):
    client.force_login(make_user("rachel", rooms["provider"], "registrar"))
    url = reverse("clinic:rooms")
    assert client.get(url).status_code == 200
    assert client.post(url, {"gabinet-location": rooms["location"].pk, "gabinet-name": "X"}).status_code == 403
    assert not Room.objects.exists()


def test_rooms_of_another_provider_cannot_be_used(client, rooms, today):
    other_provider, other_unit, _, _ = clinic(today=today, days=1)
    foreign = Room.objects.create(provider=other_provider, location=other_unit.location, name="Obcy")
    response = client.post(
        reverse("clinic:rooms"),
        {
            "przydzial-practitioner": rooms["practitioner"].pk,
            "przydzial-room": foreign.pk,
            "przydzial-day": "2026-11-20",
        },
    )
    assert response.status_code == 422 and not RoomAssignment.objects.exists()
