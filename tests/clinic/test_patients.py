"""Patient records (F6) and health cards (E6)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from terminarz.booking.services import book_for_patient
from terminarz.core.models import AuditEntry
from terminarz.patients.models import HealthCard, Patient
from terminarz.patients.pesel import birth_date_from_pesel, sex_from_pesel
from terminarz.patients.services import match_or_create_patient
from terminarz.scheduling.models import Slot
from terminarz.staff.models import Practitioner
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import VALID_PESEL, clinic

pytestmark = pytest.mark.django_db


def test_birth_date_and_sex_from_pesel():
    assert birth_date_from_pesel("44051401359") == dt.date(1944, 5, 14)
    assert sex_from_pesel("44051401359") == "M"
    assert birth_date_from_pesel("02270803628") == dt.date(2002, 7, 8)
    assert sex_from_pesel("02270803628") == "F"
    assert birth_date_from_pesel("12345") is None and sex_from_pesel("x") == ""


@pytest.fixture
def records(today, client):
    provider, _, _, schedule = clinic(today=today, days=2)
    rachel = make_user("rachel", provider, "registrar")
    jan = match_or_create_patient(
        provider, first_name="Jan", last_name="Kowalski", email="", phone="", pesel=VALID_PESEL
    )
    client.force_login(rachel)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    return {"provider": provider, "rachel": rachel, "jan": jan, "slot": slot}


def test_record_derives_birth_date_and_sex_and_opening_is_audited(client, records):
    jan = records["jan"]
    assert (jan.birth_date, jan.sex) == (dt.date(1944, 5, 14), "M")
    html = client.get(reverse("clinic:patient", args=[jan.pk])).content.decode()
    assert "14.05.1944" in html and "mężczyzna" in html and "pacjent pierwszorazowy" in html
    assert AuditEntry.objects.filter(action="patient.opened", object_id=str(jan.pk), actor=records["rachel"]).exists()


def test_first_time_status_follows_history(client, records, frozen):
    book_for_patient(records["slot"].pk, records["jan"], actor=records["rachel"])
    frozen.shift(dt.timedelta(days=1))
    html = client.get(reverse("clinic:patient", args=[records["jan"].pk])).content.decode()
    assert "pacjent kontynuujący" in html


def test_create_validates_pesel_duplicates_and_blacklist_reason(client, records):
    url = reverse("clinic:patient-create")
    duplicate = client.post(url, {"first_name": "Jan", "last_name": "Drugi", "pesel": VALID_PESEL})
    assert duplicate.status_code == 422 and "jest już pacjent z tym numerem PESEL" in duplicate.content.decode()
    no_reason = client.post(url, {"first_name": "Ala", "last_name": "Zła", "blacklisted": "on"})
    assert "Podaj powód wpisu na czarną listę." in no_reason.content.decode()
    ok = client.post(url, {"first_name": "Ala", "last_name": "Nowa", "guardian_pesel": VALID_PESEL, "sex": "F"})
    assert ok.status_code == 302
    ala = Patient.objects.get(last_name="Nowa")
    assert ala.guardian == records["jan"] and ala.sex == "F"


def test_edit_records_changed_field_names_only(client, records):
    jan = records["jan"]
    url = reverse("clinic:patient-edit", args=[jan.pk])
    data = {
        "first_name": "Jan",
        "last_name": "Kowalski",
        "pesel": VALID_PESEL,
        "phone": "600 100 200",
        "blacklisted": "on",
        "blacklist_reason": "Nieodwołane wizyty",
    }
    assert client.post(url, data).status_code == 302
    jan.refresh_from_db()
    assert jan.blacklisted and jan.phone == "600 100 200"
    entry = AuditEntry.objects.get(action="patient.changed")
    assert set(entry.changes["fields"]) == {"phone", "blacklisted", "blacklist_reason"}
    assert "600" not in str(entry.changes) and "Nieodwołane" not in str(entry.changes)


def test_cards_arrive_inactive_and_only_one_is_active(client, records):
    jan = records["jan"]
    add = reverse("clinic:card-add", args=[jan.pk])
    client.post(add, {"number": "za-krotki"})
    assert not HealthCard.objects.exists()
    client.post(add, {"number": "A" * 18})
    client.post(add, {"number": "b" * 18})
    first, second = HealthCard.objects.order_by("pk")
    assert not first.is_active and not second.is_active and second.number == "B" * 18
    client.post(reverse("clinic:card-activate", args=[jan.pk, first.pk]))
    client.post(reverse("clinic:card-activate", args=[jan.pk, second.pk]))
    assert list(HealthCard.objects.filter(is_active=True)) == [second]

    with pytest.raises(IntegrityError), transaction.atomic():
        HealthCard.objects.filter(pk=first.pk).update(is_active=True)
    # a scanner types the card number into the search box
    html = client.get(reverse("clinic:patients"), {"q": "b" * 18}).content.decode()
    assert reverse("clinic:patient", args=[jan.pk]) in html


def test_practitioner_reads_but_does_not_edit_records(client, records):
    paul = make_user("paul", records["provider"], "practitioner")
    # least privilege: a practitioner reads the records of their own patients
    book_for_patient(records["slot"].pk, records["jan"], actor=records["rachel"])
    Practitioner.objects.filter(pk=records["slot"].practitioner_id).update(user=paul)
    client.force_login(paul)
    assert client.get(reverse("clinic:patient", args=[records["jan"].pk])).status_code == 200
    assert client.get(reverse("clinic:patient-edit", args=[records["jan"].pk])).status_code == 403
    assert client.post(reverse("clinic:card-add", args=[records["jan"].pk]), {"number": "C" * 18}).status_code == 403


def test_a_card_number_typed_in_groups_counts_18_characters_without_spaces(client, records):
    """E6 (001 §6.3.2): "18 znaków nie licząc spacji"."""
    jan = records["jan"]
    add = reverse("clinic:card-add", args=[jan.pk])
    refused = client.post(add, {"number": "PL12 3456 7890 ABCD E"}, follow=True)
    assert [str(m) for m in refused.context["messages"]] == [
        "Numer karty ma 18 znaków (nie licząc spacji): cyfry i litery."
    ]
    client.post(add, {"number": " pl12 3456 7890 abcd ef "})
    assert list(HealthCard.objects.values_list("number", flat=True)) == ["PL1234567890ABCDEF"]
