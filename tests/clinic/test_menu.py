"""The back-office menu (issue 11 item 1): four groups, each entry only with its permission."""

import pytest
from django.urls import reverse

from terminarz.clinic.menu import menu_for
from terminarz.providers.permissions import ROLE_PERMISSIONS
from tests.clinic.test_access import make_user
from tests.factories import make_provider


def labels(groups) -> dict[str, list[str]]:
    return {g.label: [e.label for e in g.entries] for g in groups}


def test_a_practitioner_sees_the_calendar_their_patients_and_the_schedules():
    groups = menu_for(ROLE_PERMISSIONS["practitioner"], superuser=False, current="today")
    assert labels(groups) == {
        "Kalendarz": ["Terminarz dnia", "Tydzień", "Wizyty dnia", "Rezerwacje"],
        "Pacjenci": ["Kartoteka pacjentów", "Kolejki oczekujących", "Wnioski pacjentów"],
        "Placówka": ["Harmonogramy", "Dni wolne i święta"],
    }
    assert [g.label for g in groups if g.current] == ["Kalendarz"]


def test_an_admin_sees_every_group_and_the_system_administration_only_as_superuser():
    admin = labels(menu_for(ROLE_PERMISSIONS["admin"], superuser=False, current=""))
    assert admin["Ustawienia"] == [
        "Rejestracja on-line",
        "Abonament rejestracji on-line",
        "Zasady płatności online",
        "Integracje",
        "Konta personelu",
        "Dostęp wsparcia",
        "Dziennik zmian (audyt)",
    ]
    root = labels(menu_for(ROLE_PERMISSIONS["admin"], superuser=True, current=""))
    assert root["Ustawienia"][-1] == "Administracja systemu"


@pytest.mark.django_db
def test_the_header_marks_the_current_page(client):
    client.force_login(make_user("ala", make_provider(), "registrar"))
    page = client.get(reverse("clinic:schedules")).content.decode()
    assert f'<a href="{reverse("clinic:schedules")}" aria-current="page">Harmonogramy</a>' in page
    assert "Konta personelu" not in page
