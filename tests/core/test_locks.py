"""core.locks: one helper, one documented order, refused outside a transaction."""

import pytest
from django.db import connection, transaction

from terminarz.core.locks import LockOrderError, key_for, lock_objects, note_locked
from tests.conftest import require_postgres

pytestmark = pytest.mark.django_db


def test_refused_outside_a_transaction(transactional_db):
    with pytest.raises(LockOrderError, match="inside a transaction"):
        lock_objects(("slot", 1))


def test_keys_of_one_call_are_taken_in_the_documented_order():
    with transaction.atomic():
        lock_objects(("patient", 3), ("slot", 9), ("practitioner", 4))  # sorted, not refused
        lock_objects(("appointment", 1))


def test_a_lock_below_one_already_held_is_refused():
    with transaction.atomic():
        lock_objects(("patient", 3))
        with pytest.raises(LockOrderError, match="practitioner after patient"):
            lock_objects(("practitioner", 4))


def test_a_slot_row_lock_counts_as_the_first_rank():
    with transaction.atomic():
        note_locked("practitioner")
        with pytest.raises(LockOrderError, match="slot after practitioner"):
            note_locked("slot")


def test_the_order_starts_afresh_in_the_next_transaction(transactional_db):
    with transaction.atomic():
        lock_objects(("payment", 1))
    with transaction.atomic():
        lock_objects(("slot", 1))
    with pytest.raises(RuntimeError), transaction.atomic():
        lock_objects(("payment", 1))
        raise RuntimeError("rolled back")
    with transaction.atomic():
        lock_objects(("slot", 1))


def test_unknown_kind_is_refused():
    with transaction.atomic(), pytest.raises(ValueError, match="Unknown lock kind 'room'"):
        lock_objects(("room", 1))


def test_key_for_is_stable_and_fits_an_int4():
    assert key_for("1:account:5") == key_for("1:account:5")
    assert -(2**31) <= key_for("1:account:5") < 2**31
    assert key_for("1:account:5") != key_for("1:account:6")


@pytest.mark.postgres
def test_postgres_holds_the_lock_until_commit():
    require_postgres(connection)
    with transaction.atomic():
        lock_objects(("practitioner", 424242))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7101 AND objid = 424242"
                " AND pid = pg_backend_pid()"
            )
            assert cursor.fetchone()[0] == 1
