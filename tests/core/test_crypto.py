import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection

from terminarz.booking.services import book_appointment
from terminarz.core import crypto
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic

OTHER_KEY = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktb3RoZXI"


def test_round_trip_and_different_ciphertexts():
    a, b = crypto.encrypt("44051401359"), crypto.encrypt("44051401359")
    assert a != b and a.startswith("enc1:")
    assert crypto.decrypt(a) == crypto.decrypt(b) == "44051401359"


def test_lookup_hash_is_keyed_and_normalized(settings):
    h = crypto.lookup_hash(" Jan@Example.com ")
    assert h == crypto.lookup_hash("jan@example.com") and len(h) == 64
    settings.TERMINARZ_DATA_KEYS = OTHER_KEY
    assert crypto.lookup_hash("jan@example.com") != h


def test_key_rotation_reads_old_values(settings):
    old = crypto.encrypt("600100200")
    settings.TERMINARZ_DATA_KEYS = f"{OTHER_KEY},{settings.TERMINARZ_DATA_KEYS}"
    assert crypto.decrypt(old) == "600100200"
    settings.TERMINARZ_DATA_KEYS = OTHER_KEY
    with pytest.raises(ValueError):
        crypto.decrypt(old)


def test_missing_key_fails_loudly(settings):
    settings.TERMINARZ_DATA_KEYS = ""
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


@pytest.mark.django_db
def test_raw_rows_hold_no_plaintext_personal_data(today, monkeypatch):
    # Fixed "random" bytes make the ciphertexts deterministic, so the substring checks below
    # cannot fail by chance on a digit run inside random base64.
    monkeypatch.setattr("os.urandom", lambda n: bytes(range(n)))
    _, _, _, schedule = clinic(today=today, days=1)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    appointment = book_appointment(slot.pk, {**PATIENT, "pesel": VALID_PESEL, "phone": "+48 600 100 200"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pesel, email, phone FROM patients_patient WHERE id = %s", [appointment.patient_id])
        patient_row = cursor.fetchone()
        cursor.execute("SELECT pesel, email, phone FROM booking_appointment WHERE id = %s", [appointment.pk])
        appointment_row = cursor.fetchone()
    for raw in (*patient_row, *appointment_row):
        assert raw.startswith("enc1:")
        assert VALID_PESEL not in raw and "jan.kowalski" not in raw and "600100200" not in raw and "600 1" not in raw
    patient = Patient.objects.get(pesel_hash=crypto.lookup_hash(VALID_PESEL))
    assert patient.pesel == VALID_PESEL and patient.email == PATIENT["email"]
    assert Patient.objects.filter(phone_hash=crypto.lookup_hash("600100200")).exists()


@pytest.mark.django_db
def test_equality_lookup_on_encrypted_field_is_refused():
    with pytest.raises(FieldError):
        Patient.objects.filter(pesel=VALID_PESEL).exists()
