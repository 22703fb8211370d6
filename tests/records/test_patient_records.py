"""E5: documents the provider shares, prescription requests to a practitioner the patient has
seen, RODO requests with deadlines – patient side and back-office side."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from terminarz.booking.models import Appointment
from terminarz.core.models import AuditEntry
from terminarz.records.models import PrescriptionRequest, RodoRequest, SharedDocument
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


def booking_data(first_name: str, last_name: str, email: str, *, pesel: str = "") -> dict:
    """A portal booking as the review step confirms it (terms accepted), typed by this person."""
    return {**PATIENT, "first_name": first_name, "last_name": last_name, "email": email, "phone": "", "pesel": pesel}


@pytest.fixture
def world(client, today, frozen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    provider, _, practitioner, schedule = clinic(today=today, days=3)
    patient_user = get_user_model().objects.create_user("ewa", "ewa@example.com", "haslo-ewy-123", first_name="Ewa")
    EmailAddress.objects.create(user=patient_user, email="ewa@example.com", verified=True, primary=True)
    client.force_login(patient_user, backend="django.contrib.auth.backends.ModelBackend")
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start").first()
    data = booking_data("Ewa", "Kowal", "ewa@example.com", pesel="")
    client.post(reverse("portal:book", args=[slot.pk]), data)
    visit = Appointment.objects.get()
    return {"provider": provider, "practitioner": practitioner, "user": patient_user, "visit": visit}


def test_provider_shares_documents_and_the_patient_sees_only_theirs(client, world):
    staff = make_user("rachel", world["provider"], "registrar")
    patient_id = world["visit"].patient_id
    client.force_login(staff)
    url = reverse("clinic:share-document", args=[patient_id])
    empty = client.post(url, {"kind": "referral", "title": "Skierowanie", "date": "2026-11-20"}, follow=True)
    assert "Wpisz treść albo dołącz plik." in empty.content.decode()
    pdf = SimpleUploadedFile("skierowanie.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    client.post(url, {"kind": "referral", "title": "Skierowanie do kardiologa", "date": "2026-11-20", "file": pdf})
    client.post(url, {"kind": "vaccination", "title": "Grypa 2026/27", "date": "2026-11-19", "text": "Vaxigrip"})
    assert SharedDocument.objects.count() == 2
    assert AuditEntry.objects.filter(action="document.shared").count() == 2

    client.force_login(world["user"], backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("account-documents")).content.decode()
    assert "Skierowanie do kardiologa" in page and "Grypa 2026/27" in page
    doc = SharedDocument.objects.get(kind="referral")
    download = client.get(reverse("account-document-file", args=[doc.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    # Someone else's account gets 404.
    other = get_user_model().objects.create_user("obcy", "obcy@example.com", "haslo-obcego-123")
    client.force_login(other, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("account-document-file", args=[doc.pk])).status_code == 404
    assert "Grypa" not in client.get(reverse("account-documents")).content.decode()


def test_prescription_request_only_to_a_practitioner_seen(client, world, frozen):
    page = client.get(reverse("account-prescriptions")).content.decode()
    assert "Prośbę o receptę możesz wysłać lekarzowi, u którego odbyła się" in page  # the visit is still ahead
    frozen.move_to(world["visit"].end + dt.timedelta(hours=1))
    form = client.get(reverse("account-prescriptions")).content.decode()
    assert world["practitioner"].full_name in form
    bad = client.post(reverse("account-prescriptions"), {"visit": world["visit"].pk, "medicines": ""})
    assert bad.status_code == 422 and "Wpisz leki" in bad.content.decode()
    forged = client.post(reverse("account-prescriptions"), {"visit": 999999, "medicines": "X"})
    assert forged.status_code == 422
    client.post(reverse("account-prescriptions"), {"visit": world["visit"].pk, "medicines": "Bisocard 5 mg, 1 op."})
    item = PrescriptionRequest.objects.get()
    assert item.practitioner == world["practitioner"] and item.patient_id == world["visit"].patient_id

    client.force_login(make_user("rachel", world["provider"], "registrar"))
    assert "Bisocard" in client.get(reverse("clinic:requests")).content.decode()
    client.post(reverse("clinic:prescription-update", args=[item.pk]), {"status": "issued", "answer": "Kod: 1234"})
    item.refresh_from_db()
    assert item.status == "issued" and item.handled_at is not None


def test_rodo_request_with_deadline_withdraw_and_handling(client, world, frozen):
    url = reverse("account-rodo")
    client.post(url, {"provider": world["provider"].pk, "kind": "access", "text": "Proszę o kopię dokumentacji."})
    item = RodoRequest.objects.get()
    assert item.due_date == dt.date(2026, 12, 20) and item.status == "submitted"
    stranger_provider, _, _, _ = clinic(today=FROZEN_NOW.date(), days=1)
    forged = client.post(url, {"provider": stranger_provider.pk, "kind": "information", "text": "x"})
    assert forged.status_code == 422 and RodoRequest.objects.count() == 1

    staff = make_user("rachel", world["provider"], "registrar")
    frozen.move_to(dt.datetime(2026, 12, 21, 9, 0, tzinfo=dt.UTC))
    client.force_login(staff)
    assert "po terminie" in client.get(reverse("clinic:requests")).content.decode()
    client.post(reverse("clinic:rodo-update", args=[item.pk]), {"status": "in_progress", "answer": ""})
    item.refresh_from_db()
    assert item.status == "in_progress"

    client.force_login(world["user"], backend="django.contrib.auth.backends.ModelBackend")
    client.post(reverse("account-rodo-withdraw", args=[item.pk]))
    item.refresh_from_db()
    assert item.status == "withdrawn"
    again = client.post(reverse("account-rodo-withdraw", args=[item.pk]), follow=True)
    assert "Wniosku o statusie „wycofany” nie można już wycofać." in again.content.decode()
    client.force_login(staff)
    refused = client.post(reverse("clinic:rodo-update", args=[item.pk]), {"status": "done"}, follow=True)
    assert "Pacjent wycofał ten wniosek." in refused.content.decode()
    item.refresh_from_db()
    assert item.status == "withdrawn"


def test_health_card_from_the_account_reaches_provider_records_inactive(client, world, today):
    from terminarz.patients.models import HealthCard

    url = reverse("account-profile")
    bad = client.post(url, {"action": "profile", "first_name": "Ewa", "last_name": "Kowal", "card_number": "ABC"})
    assert bad.status_code == 422 and "Numer karty ma 18 znaków" in bad.content.decode()
    client.post(
        url, {"action": "profile", "first_name": "Ewa", "last_name": "Kowal", "card_number": "pl12 3456 7890 abcd ef"}
    )
    card = HealthCard.objects.get()
    assert card.number == "PL1234567890ABCDEF" and not card.is_active and card.patient_id == world["visit"].patient_id
    # Saving again adds nothing; a booking at another provider brings the card there too.
    client.post(
        url, {"action": "profile", "first_name": "Ewa", "last_name": "Kowal", "card_number": "PL1234567890ABCDEF"}
    )
    assert HealthCard.objects.count() == 1
    _, _, _, schedule = clinic(today=today, days=2)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    data = booking_data("Ewa", "Kowal", "ewa@example.com", pesel="")
    client.post(reverse("portal:book", args=[slot.pk]), data)
    assert HealthCard.objects.count() == 2 and not HealthCard.objects.filter(is_active=True).exists()


def test_a_typed_pesel_does_not_open_someone_elses_records(client, world, today):
    """An account booking with another person's PESEL never links the account to that person's
    record: nothing shared with it becomes visible from the account."""
    from terminarz.patients.services import match_or_create_patient
    from tests.factories import VALID_PESEL

    victim = match_or_create_patient(
        world["provider"], first_name="Jan", last_name="Ofiara", email="jan@example.com", phone="", pesel=VALID_PESEL
    )
    SharedDocument.objects.create(
        provider=world["provider"], patient=victim, kind="document", title="Wynik biopsji", date=today, text="poufne"
    )
    slot = Slot.objects.filter(start__gt=FROZEN_NOW, state="free").order_by("start").first()
    data = booking_data("Ewa", "Kowal", "ewa@example.com", pesel=VALID_PESEL)
    client.post(reverse("portal:book", args=[slot.pk]), data)
    assert Appointment.objects.filter(account=world["user"]).count() == 2
    assert "Wynik biopsji" not in client.get(reverse("account-documents")).content.decode()
    doc = SharedDocument.objects.get(title="Wynik biopsji")
    assert client.get(reverse("account-document-file", args=[doc.pk])).status_code == 404
    victim.refresh_from_db()
    assert victim.account is None


def test_first_booking_with_a_known_pesel_is_not_linked_either(client, today, frozen):
    """A fresh account whose first booking carries a PESEL already in the provider's records."""
    from terminarz.patients.services import match_or_create_patient
    from tests.factories import VALID_PESEL

    provider, _, _, schedule = clinic(today=today, days=2)
    victim = match_or_create_patient(
        provider, first_name="Jan", last_name="Ofiara", email="jan@example.com", phone="", pesel=VALID_PESEL
    )
    SharedDocument.objects.create(
        provider=provider, patient=victim, kind="document", title="Poufne", date=today, text="x"
    )
    attacker = get_user_model().objects.create_user("zly", "zly@example.com", "haslo-zlego-123")
    client.force_login(attacker, backend="django.contrib.auth.backends.ModelBackend")
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    data = booking_data("Z", "Ly", "zly@example.com", pesel=VALID_PESEL)
    client.post(reverse("portal:book", args=[slot.pk]), data)
    assert Appointment.objects.get(account=attacker).patient == victim  # F3: matched by PESEL
    victim.refresh_from_db()
    assert victim.account is None
    assert "Poufne" not in client.get(reverse("account-documents")).content.decode()
