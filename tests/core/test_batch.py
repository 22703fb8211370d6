"""core.batch: rows collected in a request are written together (one statement on PostgreSQL)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from terminarz.core import batch
from terminarz.core.models import AuditEntry
from terminarz.notifications.models import Message
from tests.conftest import require_postgres
from tests.factories import make_provider

AT = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)


def _entry(provider, action: str) -> AuditEntry:
    return AuditEntry(provider=provider, at=AT, actor_label="system", action=action, object_type="x", summary="s")


def _message(provider, key: str) -> Message:
    return Message(
        idempotency_key=key,
        channel=Message.Channel.EMAIL,
        provider=provider,
        kind="booking_confirmation",
        recipient="jan@example.com",
        template="booking/email/confirmation",
        context={"appointment": 1},
        next_attempt_at=AT,
    )


@pytest.mark.django_db
def test_collected_rows_are_written_when_the_block_ends_and_get_their_keys():
    provider = make_provider()
    first, second, message = _entry(provider, "a.one"), _entry(provider, "a.two"), _message(provider, "k1")
    with transaction.atomic(), batch.collected():
        batch.insert(first)
        batch.insert(second)
        batch.insert(message, skip_if_exists_on=("idempotency_key",))
        assert (first.pk, AuditEntry.objects.filter(action__startswith="a.").count()) == (None, 0)
    assert AuditEntry.objects.get(pk=first.pk).action == "a.one"
    assert AuditEntry.objects.get(pk=second.pk).action == "a.two"
    assert Message.objects.get(pk=message.pk).recipient == "jan@example.com"


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_the_collected_rows_are_one_statement():
    require_postgres(connection)
    provider = make_provider()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, batch.collected():
        batch.insert(_entry(provider, "a.one"))
        batch.insert(_message(provider, "k1"), skip_if_exists_on=("idempotency_key",))
        batch.insert(_entry(provider, "a.two"))
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 1
    assert statements[0].startswith("WITH i0 AS (INSERT INTO")


@pytest.mark.django_db
def test_a_row_whose_unique_key_is_taken_is_skipped_and_keeps_no_key():
    provider = make_provider()
    batch.insert(_message(provider, "taken"))
    again = _message(provider, "taken")
    with transaction.atomic(), batch.collected():
        batch.insert(again, skip_if_exists_on=("idempotency_key",))
    assert again.pk is None
    assert Message.objects.filter(idempotency_key="taken").count() == 1


@pytest.mark.django_db
def test_nothing_is_written_when_the_block_fails():
    provider = make_provider()
    with pytest.raises(ZeroDivisionError), transaction.atomic(), batch.collected():
        batch.insert(_entry(provider, "a.lost"))
        1 / 0  # noqa: B018
    assert AuditEntry.objects.filter(action="a.lost").count() == 0


@pytest.mark.django_db
def test_outside_a_block_a_row_is_written_at_once():
    provider = make_provider()
    entry = _entry(provider, "a.now")
    batch.insert(entry)
    assert AuditEntry.objects.get(pk=entry.pk).action == "a.now"


@pytest.mark.django_db(transaction=True)
def test_collecting_needs_a_transaction():
    with pytest.raises(RuntimeError, match="needs a transaction"), batch.collected():
        pass


@pytest.mark.django_db
def test_a_row_of_a_savepoint_rolled_back_inside_the_block_is_not_written():
    provider = make_provider()
    with transaction.atomic(), batch.collected():
        batch.insert(_entry(provider, "a.kept"))
        try:
            with transaction.atomic():
                batch.insert(_entry(provider, "a.undone"))
                raise ValueError("undo this step")
        except ValueError:
            pass
    assert list(AuditEntry.objects.filter(action__startswith="a.").values_list("action", flat=True)) == ["a.kept"]


@pytest.mark.django_db
def test_only_the_named_unique_constraint_skips_a_row():
    provider = make_provider()
    broken = _message(provider, "k-null")
    broken.recipient = None  # NOT NULL: a real error, not "already there"
    with pytest.raises(IntegrityError), transaction.atomic(), batch.collected():
        batch.insert(broken, skip_if_exists_on=("idempotency_key",))
