"""The migrations that encrypt personal data written before encryption existed
(patients 0002 and booking 0003, both core.migration_ops.encrypt_existing), run on real rows:
the database goes back to before them, plaintext rows are written with raw SQL, and it is
migrated forward again."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from terminarz.booking.models import Appointment
from terminarz.core import crypto
from terminarz.core.migration_ops import encrypt_existing
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Slot
from tests.factories import clinic

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("patients", "0001_initial"), ("booking", "0002_practitioner_overlap_exclusion")]
AFTER = [("patients", "0002_personal_data_encrypted"), ("booking", "0003_personal_data_encrypted")]

HASHED = {"pesel": "pesel_hash", "email": "email_hash", "phone": "phone_hash"}  # as in patients 0002

PESEL = "44051401359"
EMAIL = "Jan.Kowalski@Example.com"
PHONE = "+48 600 100 200"
CREATED = dt.datetime(2025, 1, 2, 12, 0, tzinfo=dt.UTC)


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def insert(table: str, row: dict) -> int:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in row)
    marks = ", ".join(["%s"] * len(row))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(table)} ({columns}) VALUES ({marks})", list(row.values()))
        cursor.execute(f"SELECT MAX(id) FROM {qn(table)}")
        return cursor.fetchone()[0]


def raw_rows(table: str, columns: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY id")
        return cursor.fetchall()


@pytest.fixture
def old_rows(today):
    """A clinic (providers, staff and scheduling stay at their latest schema), then the
    database back before encryption with two plaintext patients and a plaintext visit. The
    latest schema is restored afterwards, whatever the test did."""
    provider, unit, practitioner, schedule = clinic(today=today, days=2)
    slot = Slot.objects.filter(schedule=schedule).order_by("start").last()
    migrate(BEFORE)
    try:
        person = {"last_name": "Kowalski", "created_at": CREATED, "provider_id": provider.pk}
        jan = insert(
            "patients_patient", {**person, "first_name": "Jan", "pesel": PESEL, "email": EMAIL, "phone": PHONE}
        )
        insert("patients_patient", {**person, "first_name": "Ewa", "pesel": "", "email": "", "phone": ""})
        visit = insert(
            "booking_appointment",
            {
                "start": slot.start,
                "end": slot.end,
                "status": "confirmed",
                "hold_until": None,
                "source": "portal",
                "reference": "STARA001",
                "cancel_token": "stary-token-z-e-maila",
                "first_name": "Jan",
                "last_name": "Kowalski",
                "email": EMAIL,
                "phone": PHONE,
                "pesel": PESEL,
                "note": "",
                "accepted_requirements": False,
                "created_at": CREATED,
                "cancelled_at": None,
                "cancel_reason": "",
                "booked_by_id": None,
                "patient_id": jan,
                "practitioner_id": practitioner.pk,
                "provider_id": provider.pk,
                "slot_id": slot.pk,
                "unit_id": unit.pk,
            },
        )
        yield {"jan": jan, "visit": visit}
    finally:
        migrate(latest())


def test_encryption_migrations_encrypt_plaintext_rows_in_place(old_rows):
    assert raw_rows("patients_patient", "pesel, email, phone") == [(PESEL, EMAIL, PHONE), ("", "", "")]
    assert raw_rows("booking_appointment", "pesel, email, phone") == [(PESEL, EMAIL, PHONE)]

    migrate(AFTER)

    (jan, ewa) = raw_rows("patients_patient", "pesel, email, phone, pesel_hash, email_hash, phone_hash")
    assert [value[:5] for value in jan[:3]] == ["enc1:"] * 3
    assert [crypto.decrypt(value) for value in jan[:3]] == [PESEL, EMAIL, PHONE]
    # Exact-match search keys: PESEL as is, e-mail normalized, phone by its last nine digits.
    assert list(jan[3:]) == [
        crypto.lookup_hash(PESEL),
        crypto.lookup_hash("jan.kowalski@example.com"),
        crypto.lookup_hash("600100200"),
    ]
    assert ewa == ("", "", "", "", "", "")  # nothing to encrypt, nothing to look up by
    (visit,) = raw_rows("booking_appointment", "pesel, email, phone")
    assert [value[:5] for value in visit] == ["enc1:"] * 3
    assert [crypto.decrypt(value) for value in visit] == [PESEL, EMAIL, PHONE]

    # The operation run again (a migration re-run by hand) leaves encrypted values alone.
    columns = "pesel, email, phone, pesel_hash, email_hash, phone_hash"
    encrypted = raw_rows("patients_patient", columns)
    again = encrypt_existing("patients_patient", ("pesel", "email", "phone"), HASHED)
    again.code(None, SimpleNamespace(connection=connection))
    assert raw_rows("patients_patient", columns) == encrypted

    # At the latest schema the models read the plaintext back and find it by the hashes.
    migrate(latest())
    patient = Patient.objects.get(pesel_hash=crypto.lookup_hash(PESEL))
    assert (patient.pk, patient.pesel, patient.email, patient.phone) == (old_rows["jan"], PESEL, EMAIL, PHONE)
    assert Patient.objects.get(email_hash=crypto.lookup_hash(EMAIL)).pk == old_rows["jan"]
    appointment = Appointment.objects.get(reference="STARA001")
    assert (appointment.pk, appointment.pesel, appointment.email, appointment.phone) == (
        old_rows["visit"],
        PESEL,
        EMAIL,
        PHONE,
    )
    assert appointment.token_matches("stary-token-z-e-maila")  # the link e-mailed back then still works
