"""The publication seam (K1/K2, the national e-registration's place): a target is one class –
its `slots` and the booking changes it hears; the SMART feed and the webhooks are the first two;
a third (as a national adapter would be) plugs in by `register` alone and hears every booking,
cancellation and move of every channel after commit; a failing target never blocks the others
or the booking."""

import pytest

from terminarz.booking import publication
from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic
from terminarz.core import events
from terminarz.providers.models import Unit
from terminarz.scheduling.models import Slot
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


class Cardiology(publication.PublicationTarget):
    """As a national adapter would be: the slots of units of one department code, and every
    booking change."""

    key = "test-cardiology"
    events = (events.APPOINTMENT_BOOKED, events.APPOINTMENT_CANCELLED)
    heard: list = []

    def slots(self, now, *, provider_id=None):
        units = Unit.objects.filter(department_code="1100")
        return Slot.objects.filter(unit__in=units, start__gt=now)

    def changed(self, event, payload):
        self.heard.append((event, payload["appointment_id"]))


class Broken(publication.PublicationTarget):
    key = "test-broken"
    events = (events.APPOINTMENT_BOOKED,)

    def changed(self, event, payload):
        raise RuntimeError("down")


@pytest.fixture
def targets(monkeypatch):
    monkeypatch.setattr(publication, "_targets", dict(publication._targets))
    monkeypatch.setattr(events, "_subscriptions", {k: list(v) for k, v in events._subscriptions.items()})
    monkeypatch.setattr(events, "_by_key", dict(events._by_key))
    Cardiology.heard = []
    publication.register(Broken())
    return publication.register(Cardiology())


def test_the_first_two_targets_are_the_smart_feed_and_the_webhooks():
    assert [(t.key, type(t).__name__) for t in publication.targets()][:2] == [
        ("smart", "SmartSchedulingLinks"),
        ("webhooks", "Webhooks"),
    ]


def test_a_new_target_hears_every_change_and_a_broken_one_blocks_nothing(
    targets, frozen, today, django_capture_on_commit_callbacks
):
    _provider, unit, _practitioner, schedule = clinic(today=today, days=2)
    unit.department_code = "1100"
    unit.save()
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    assert list(targets.slots(FROZEN_NOW).order_by("start").values_list("pk", flat=True)) == [s.pk for s in slots]
    with django_capture_on_commit_callbacks(execute=True):
        visit = book_appointment(slots[0].pk, PATIENT)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_clinic(visit, actor=None, actor_label="client:x", reason="Choroba")
    assert Cardiology.heard == [(events.APPOINTMENT_BOOKED, visit.pk), (events.APPOINTMENT_CANCELLED, visit.pk)]
    visit.refresh_from_db()
    assert visit.status == "cancelled"


def test_a_target_needs_a_key():
    with pytest.raises(ValueError, match="needs a key"):
        publication.register(publication.PublicationTarget())
