"""core.statemachine: the table decides, compare-and-set writes, every transition recorded and
audited, a refused one raises one error type with a Polish message."""

import pytest

from terminarz.core.models import AuditEntry, StateTransition
from terminarz.core.statemachine import Change, Machine, TransitionRefused
from terminarz.patients.models import Patient
from terminarz.waiting.models import QueueEntry
from tests.factories import make_provider, make_unit

pytestmark = pytest.mark.django_db
S = QueueEntry.Status


@pytest.fixture
def entry():
    provider = make_provider()
    patient = Patient.objects.create(provider=provider, first_name="Jan", last_name="Kowalski")
    return QueueEntry.objects.create(provider=provider, unit=make_unit(provider), patient=patient)


@pytest.fixture
def machine():
    return Machine(
        QueueEntry,
        subject="wpisu",
        name="queue",
        transitions={"": {S.WAITING}, S.WAITING: {S.SCHEDULED, S.REMOVED}, S.SCHEDULED: {S.WAITING}},
    )


def test_allowed_transition_is_written_recorded_and_audited(entry, machine, frozen):
    machine.move(entry, S.SCHEDULED, actor_label="rejestracja", reason="termin 1 XII")
    entry.refresh_from_db()
    assert entry.status == S.SCHEDULED
    record = StateTransition.objects.get()
    assert (record.model, record.object_id, record.from_state, record.to_state, record.reason) == (
        "waiting.queueentry",
        str(entry.pk),
        "waiting",
        "scheduled",
        "termin 1 XII",
    )
    audit = AuditEntry.objects.get(action="queue.scheduled")
    assert audit.summary == f"Wpis do kolejki oczekujących #{entry.pk}: oczekuje → termin wyznaczony"
    assert audit.changes == {"status": ["waiting", "scheduled"], "reason": "termin 1 XII"}


def test_refused_transition_names_both_states_in_polish(entry, machine):
    machine.move(entry, S.REMOVED)
    with pytest.raises(TransitionRefused) as refused:
        machine.move(entry, S.SCHEDULED)
    assert refused.value.message == "Nie można zmienić statusu wpisu z „skreślony” na „termin wyznaczony”."
    assert refused.value.code == "not_allowed"
    assert QueueEntry.objects.get().status == S.REMOVED


def test_compare_and_set_refuses_a_stale_object(entry, machine):
    stale = QueueEntry.objects.get(pk=entry.pk)
    machine.move(entry, S.SCHEDULED)
    with pytest.raises(TransitionRefused, match="zmienił się w międzyczasie"):
        machine.move(stale, S.REMOVED)
    assert QueueEntry.objects.get().status == S.SCHEDULED
    assert StateTransition.objects.count() == 1


def test_creation_is_recorded_and_hooks_run(entry, machine):
    seen: list[Change] = []
    machine.after.append(seen.append)
    machine.created(entry, actor_label="system")
    assert [(c.from_state, c.to_state) for c in seen] == [("", "waiting")]
    assert machine.history(entry).get().to_state == "waiting"


def test_extra_fields_are_written_with_the_status(entry, machine):
    machine.move(entry, S.SCHEDULED, note="przeniesiono")
    entry.refresh_from_db()
    assert entry.note == "przeniesiono"


def test_unknown_states_in_the_table_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown states"):
        Machine(QueueEntry, subject="wpisu", name="queue", transitions={S.WAITING: {"gone"}})
