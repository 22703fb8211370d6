"""core.events: subscribers run after commit, never on rollback; a failing subscriber does
not undo the change nor stop the others, and is retried through the task queue."""

import pytest
from django.db import transaction

from terminarz.core import events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def calls(monkeypatch):
    """A private registry for the test: the app's own subscribers are set aside."""
    monkeypatch.setattr(events, "_subscriptions", {})
    monkeypatch.setattr(events, "_by_key", {})
    return []


def test_subscribers_run_after_commit_only(calls):
    events.subscriber(events.SLOT_RELEASED, key="test.record")(lambda payload: calls.append(payload))
    with transaction.atomic():
        events.emit(events.SLOT_RELEASED, slot_id=7, provider_id=1, reason="cancelled")
        events.emit(events.SLOT_RELEASED, slot_id=7, provider_id=1, reason="cancelled")
        assert calls == []
    ids = [payload.pop("event_id") for payload in calls]
    assert calls == [{"slot_id": 7, "provider_id": 1, "reason": "cancelled"}] * 2
    # The same announcement twice is two events, each with its own id.
    assert (len(set(ids)), [len(i) for i in ids]) == (2, [32, 32])


def test_nothing_is_announced_when_the_transaction_rolls_back(calls):
    events.subscriber(events.SLOT_RELEASED, key="test.record")(lambda payload: calls.append(payload))
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(events.SLOT_RELEASED, slot_id=7, provider_id=1, reason="cancelled")
        raise RuntimeError("booking failed")
    assert calls == []


def test_a_failing_subscriber_is_retried_and_does_not_stop_the_others(calls):
    failures = {"left": 2}

    def flaky(payload):
        calls.append(("flaky", failures["left"]))
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("gateway down")

    events.subscriber(events.APPOINTMENT_BOOKED, key="test.flaky")(flaky)
    events.subscriber(events.APPOINTMENT_BOOKED, key="test.steady")(
        lambda p: calls.append(("steady", p["appointment_id"]))
    )
    with transaction.atomic():
        events.emit(events.APPOINTMENT_BOOKED, appointment_id=5, provider_id=1)
    # The immediate test backend runs the queued retries at once: two failures, then success.
    assert calls == [("flaky", 2), ("flaky", 1), ("flaky", 0), ("steady", 5)]


def test_retries_stop_after_the_limit(calls):
    def broken(payload):
        calls.append("try")
        raise ValueError("always")

    events.subscriber(events.APPOINTMENT_CANCELLED, key="test.broken")(broken)
    events.dispatch(events.APPOINTMENT_CANCELLED, {"appointment_id": 1})
    assert calls == ["try"] * events.MAX_ATTEMPTS


def test_unknown_events_and_taken_keys_are_refused(calls):
    with pytest.raises(ValueError, match="Unknown event 'slot_freed'"):
        events.emit("slot_freed", slot_id=1)
    events.subscriber(events.SLOT_RELEASED, key="test.one")(lambda p: None)
    with pytest.raises(ValueError, match="key 'test.one' is taken"):
        events.subscriber(events.SLOT_RELEASED, key="test.one")(lambda p: None)


def test_a_capability_declares_its_own_event(calls):
    name = events.define("payment_settled")
    events.subscriber(name, key="test.paid")(lambda p: calls.append(p["payment_id"]))
    events.dispatch(name, {"payment_id": 3})
    assert calls == [3]
