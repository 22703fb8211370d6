"""Org structure (A5, A6) and staff profiles (B2, B3)."""

import pytest
from django.urls import reverse

from terminarz.providers.models import OpeningHours, Unit
from terminarz.scheduling.search import SlotQuery, search_slots
from terminarz.staff.models import Practitioner
from tests.clinic.test_access import make_user
from tests.factories import clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(today, client):
    provider, unit, practitioner, _ = clinic(today=today, days=3)
    alice = make_user("alice", provider, "admin")
    client.force_login(alice)
    return {"provider": provider, "unit": unit, "practitioner": practitioner, "location": unit.location}


def unit_data(org, **over):
    return {
        "location": org["location"].pk,
        "code": "DERM",
        "department_code": "1200",
        "name": "Poradnia dermatologiczna",
        "address": "ul. Długa 1, Kraków",
        "is_visible": "on",
        **over,
    }


@pytest.mark.parametrize(
    "over, message",
    [
        ({"department_code": "9999"}, "Wybierz poprawną wartość"),
        ({"department_code": ""}, "Wybierz kod resortowy z listy."),
        ({"address": ""}, "Podaj adres komórki."),
    ],
)
def test_unit_form_rules(client, org, over, message):
    response = client.post(reverse("clinic:unit-create"), unit_data(org, **over))
    assert response.status_code == 422 and message in response.content.decode()


def test_unit_code_is_unique_per_provider_only(client, org, today):
    Unit.objects.filter(pk=org["unit"].pk).update(code="KARD")
    clash = client.post(reverse("clinic:unit-create"), unit_data(org, code="kard"))
    assert "ma już inna komórka" in clash.content.decode()
    other_provider, other_unit, _, _ = clinic(today=today, days=1)
    Unit.objects.filter(pk=other_unit.pk).update(code="DERM")
    assert client.post(reverse("clinic:unit-create"), unit_data(org)).status_code == 302


def test_opening_hours_with_copy_to_working_days(client, org):
    url = reverse("clinic:unit-hours", args=[org["unit"].pk])
    bad = client.post(url, {"opens-0": "16:00", "closes-0": "08:00"})
    assert bad.status_code == 422 and "Godzina zamknięcia musi być po godzinie otwarcia." in bad.content.decode()
    client.post(
        url, {"opens-0": "08:00", "closes-0": "16:00", "opens-5": "09:00", "closes-5": "12:00", "copy_from": "0"}
    )
    hours = {h.weekday: (h.opens.hour, h.closes.hour) for h in OpeningHours.objects.filter(unit=org["unit"])}
    assert hours == {0: (8, 16), 1: (8, 16), 2: (8, 16), 3: (8, 16), 4: (8, 16), 5: (9, 12)}
    card = client.get(reverse("portal:provider", args=[org["provider"].pk])).content.decode()
    assert "pon. 08:00–16:00" in card and "sob. 09:00–12:00" in card


def test_location_hidden_only_after_its_practitioners(client, org):
    url = reverse("clinic:location-visibility", args=[org["location"].pk])
    refused = client.post(url, {"visible": "0"}, follow=True).content.decode()
    assert (
        "Najpierw ukryj personel przypisany do tej lokalizacji" in refused and org["practitioner"].last_name in refused
    )
    org["location"].refresh_from_db()
    assert org["location"].is_visible
    Practitioner.objects.filter(pk=org["practitioner"].pk).update(is_visible_online=False)
    client.post(url, {"visible": "0"})
    org["location"].refresh_from_db()
    assert not org["location"].is_visible
    Practitioner.objects.filter(pk=org["practitioner"].pk).update(is_visible_online=True)
    assert search_slots(SlotQuery())[0] == []  # the hidden location keeps its slots off the portal


def practitioner_data(org, **over):
    from terminarz.catalog.models import Specialization

    return {
        "title": "lek.",
        "first_name": "Ewa",
        "last_name": "Nowa",
        "staff_type": "doctor",
        "pwz": "5425740",
        "specializations": [Specialization.objects.get(code="kardiologia").pk],
        "units": [org["unit"].pk],
        "is_visible_online": "on",
        "online_booking_for": "everyone",
        **over,
    }


@pytest.mark.parametrize(
    "over, message",
    [
        ({"pwz": "5425741"}, "Nieprawidłowy numer PWZ"),
        ({"pwz": ""}, "Podaj numer prawa wykonywania zawodu lekarza."),
        ({"specializations": []}, "Wybierz co najmniej jedną specjalizację."),
    ],
)
def test_practitioner_form_rules(client, org, over, message):
    response = client.post(reverse("clinic:practitioner-create"), practitioner_data(org, **over))
    assert response.status_code == 422 and message in response.content.decode()


def test_nurse_needs_no_pwz_and_profile_is_saved(client, org):
    data = practitioner_data(org, staff_type="nurse", pwz="", languages="polski, angielski")
    assert client.post(reverse("clinic:practitioner-create"), data).status_code == 302
    ewa = Practitioner.objects.get(last_name="Nowa")
    assert ewa.provider == org["provider"] and ewa.languages == "polski, angielski"


def test_registrar_reads_structure_but_cannot_change_it(client, org):
    client.force_login(make_user("rachel", org["provider"], "registrar"))
    assert client.get(reverse("clinic:org")).status_code == 200
    assert client.get(reverse("clinic:staff")).status_code == 200
    assert client.get(reverse("clinic:unit", args=[org["unit"].pk])).status_code == 403
    assert client.get(reverse("clinic:practitioner-create")).status_code == 403
    assert (
        client.post(reverse("clinic:location-visibility", args=[org["location"].pk]), {"visible": "0"}).status_code
        == 403
    )


def test_department_code_dictionary_is_shipped_whole():
    from terminarz.catalog.dictionaries import DEPARTMENT_CODES

    assert len(DEPARTMENT_CODES) > 500
    assert DEPARTMENT_CODES["1100"] == "Poradnia kardiologiczna"
    assert DEPARTMENT_CODES["4000"] == "Oddział chorób wewnętrznych"
    assert all(len(code) == 4 and code.isdigit() for code in DEPARTMENT_CODES)


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_practitioner_photo_and_procedures_reach_the_portal_card(client, org, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from terminarz.catalog.models import Service

    settings.MEDIA_ROOT = str(tmp_path)
    echo = Service.objects.create(provider=org["provider"], code="ECHO", name="Echo serca", price=1, self_service=True)
    internal = Service.objects.create(provider=org["provider"], code="INT", name="Wewnętrzna", price=1)
    photo = SimpleUploadedFile("ewa.png", _png(), content_type="image/png")
    data = practitioner_data(org, procedures=[echo.pk, internal.pk], photo=photo)
    assert client.post(reverse("clinic:practitioner-create"), data).status_code == 302
    ewa = Practitioner.objects.get(last_name="Nowa")
    assert set(ewa.procedures.all()) == {echo, internal}
    card = client.get(reverse("portal:practitioner", args=[ewa.pk])).content.decode()
    assert "Usługi: Echo serca" in card and "Wewnętrzna" not in card
    image = client.get(reverse("portal:practitioner-photo", args=[ewa.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    Practitioner.objects.filter(pk=ewa.pk).update(is_visible_online=False)
    assert client.get(reverse("portal:practitioner-photo", args=[ewa.pk])).status_code == 404


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("cv.pdf", b"%PDF-1.4", "Prześlij poprawny plik graficzny"),
        ("fake.jpg", b"not an image at all", "Prześlij poprawny plik graficzny"),
        ("photo.gif", None, "„gif”"),
    ],
)
def test_practitioner_photo_must_be_an_image(client, org, settings, tmp_path, name, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    data = practitioner_data(org, photo=SimpleUploadedFile(name, content or _png()))
    response = client.post(reverse("clinic:practitioner-create"), data)
    assert response.status_code == 422 and message in response.content.decode()
    assert not Practitioner.objects.filter(last_name="Nowa").exists()
