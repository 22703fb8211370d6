"""Issue 9: channels and audiences enforced in search and booking (C2, C4, B3), one booking
pipeline with ordered policies, domain events after commit."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking import channels, pipeline
from terminarz.booking.errors import InvalidBooking, SlotNotOffered
from terminarz.booking.models import Appointment, Source
from terminarz.booking.services import book_appointment, book_for_patient, cancel_appointment_by_patient
from terminarz.core import events
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Slot
from terminarz.scheduling.search import SlotQuery, search_slots
from terminarz.scheduling.services import generate_slots
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic, every_day, make_schedule

pytestmark = pytest.mark.django_db


def future_slots(schedule):
    return list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))


def portal_ids(practitioner) -> list[int]:
    slots, _cursor = search_slots(SlotQuery(practitioner=practitioner.pk), now=FROZEN_NOW, limit=500)
    return [slot.pk for slot in slots]


@pytest.mark.parametrize("audience, online", [("everyone", True), ("patients", True), ("payers", False)])
def test_practitioner_audience_decides_search_and_online_booking(today, frozen, audience, online):
    _, _, practitioner, schedule = clinic(today=today, days=2)
    practitioner.online_booking_for = audience
    practitioner.save(update_fields=["online_booking_for"])
    slot = future_slots(schedule)[0]
    assert (slot.pk in portal_ids(practitioner)) is online
    if online:
        assert book_appointment(slot.pk, PATIENT).status == "confirmed"
    else:
        with pytest.raises(SlotNotOffered):
            book_appointment(slot.pk, PATIENT, source=Source.API)
        patient = Patient.objects.create(provider=slot.provider, first_name="Jan", last_name="Nowak")
        assert book_for_patient(slot.pk, patient, actor=None).source == Source.DESK


@pytest.mark.parametrize("children", ["healthy", "sick"])
def test_childrens_blocks_are_never_offered_online(today, frozen, children):
    _, _, practitioner, schedule = clinic(
        today=today, days=2, blocks=every_day(dt.time(8), dt.time(9), children=children)
    )
    slot = future_slots(schedule)[0]
    assert slot.portal is False
    assert portal_ids(practitioner) == []
    with pytest.raises(SlotNotOffered):
        book_appointment(slot.pk, PATIENT)
    assert channels.offered(slot, Source.DESK, now=FROZEN_NOW) is True


def test_first_free_only_applies_per_schedule_and_day_not_per_block(today, frozen):
    blocks = every_day(dt.time(12), dt.time(13), first_free_only=True) + every_day(
        dt.time(15), dt.time(16), first_free_only=True
    )
    _, _, practitioner, schedule = clinic(today=today, days=1, blocks=blocks)
    slots = future_slots(schedule)
    assert len(slots) == 8
    # One slot of the schedule on the day: the earliest open one, not one per block.
    assert portal_ids(practitioner) == [slots[0].pk]
    with pytest.raises(SlotNotOffered):
        book_appointment(slots[4].pk, PATIENT)
    book_appointment(slots[0].pk, PATIENT)
    assert portal_ids(practitioner) == [slots[1].pk]


def test_televisit_only_slots_never_go_to_aggregators(today, frozen):
    _, unit, practitioner, schedule = clinic(today=today, days=1, blocks=every_day(dt.time(12), dt.time(13)))
    tele = make_schedule(
        practitioner, unit, valid_from=today, blocks=every_day(dt.time(14), dt.time(15), televisit="only")
    )
    generate_slots(tele, start_day=today, end_day=today)
    online = set(channels.open_slots_for(Source.PORTAL, FROZEN_NOW).values_list("pk", flat=True))
    aggregator = set(channels.open_slots_for(channels.AGGREGATOR, FROZEN_NOW).values_list("pk", flat=True))
    tele_ids = {s.pk for s in future_slots(tele)}
    assert tele_ids <= online
    assert aggregator == online - tele_ids
    assert channels.offered(future_slots(tele)[0], channels.AGGREGATOR, now=FROZEN_NOW) is False


def test_portal_page_answers_404_for_a_slot_not_offered_online(client, today, frozen):
    _, _, practitioner, schedule = clinic(today=today, days=1)
    practitioner.online_booking_for = "payers"
    practitioner.save(update_fields=["online_booking_for"])
    slot = future_slots(schedule)[0]
    assert client.get(reverse("portal:book", args=[slot.pk])).status_code == 404


def test_the_pipeline_lists_its_policies_in_order():
    assert pipeline.policies("check") == [
        "slot_exists_and_ahead",
        "offered_on_channel",
        "registration_open",
        "registration_consent",
        "patient_data_valid",
        "multi_step_hold",
        "client_hold",
        "payments.load_rules",
        "insurers.payer_booking",
    ]
    assert pipeline.policies("locked") == [
        "one_visit_per_specialization",
        "first_time_nfz_visit",
        "payments.prepayment",
    ]
    assert pipeline.policies("held") == ["hold_confirmation_request", "payments.create_payment_held"]
    # Other apps plug their own steps in from the side (the waiting app: D6 queue entry;
    # payments: the prepayment hold and the payment row; insurers: the payer channel's checks
    # and the payer booking's rows).
    assert pipeline.policies("confirmed") == [
        "confirmation_message",
        "clinic_notice",
        "waiting.enter_nfz_queue",
        "payments.create_payment",
        "insurers.payer_booking_rows",
    ]


def test_a_registered_policy_can_refuse_a_booking(today, frozen, monkeypatch):
    monkeypatch.setitem(pipeline._policies, "check", list(pipeline._policies["check"]))

    def referral_required(booking):
        raise InvalidBooking("Ta wizyta wymaga skierowania.", errors={"slot": ["Ta wizyta wymaga skierowania."]})

    pipeline.register(pipeline.Policy("payers.referral", "check", referral_required))
    _, _, _, schedule = clinic(today=today, days=1)
    with pytest.raises(InvalidBooking, match="wymaga skierowania"):
        book_appointment(future_slots(schedule)[0].pk, PATIENT)
    assert Appointment.objects.count() == 0


def test_booking_and_cancelling_are_announced_after_commit(
    today, frozen, monkeypatch, django_capture_on_commit_callbacks
):
    heard: list[tuple[str, dict]] = []
    for name in (events.APPOINTMENT_BOOKED, events.APPOINTMENT_CANCELLED, events.SLOT_RELEASED):
        monkeypatch.setitem(events._subscriptions, name, list(events._subscriptions.get(name, [])))
        events._subscriptions[name].append(
            events.Subscription(name, f"test.{name}", lambda payload, name=name: heard.append((name, payload)))
        )
    _, _, _, schedule = clinic(today=today, days=1)
    slot = future_slots(schedule)[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        appointment = book_appointment(slot.pk, PATIENT)
    assert heard == []  # nothing before commit
    for callback in callbacks:
        callback()
    ids = [payload.pop("event_id") for _name, payload in heard]
    assert [len(i) for i in ids] == [32]  # every announcement has its own id (core.events)
    assert heard == [
        (
            events.APPOINTMENT_BOOKED,
            {
                "appointment_id": appointment.pk,
                "provider_id": slot.provider_id,
                "slot_id": slot.pk,
                "source": "portal",
                "held": False,
            },
        )
    ]
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(appointment.pk, appointment.cancel_token)
    assert [name for name, _ in heard] == [events.APPOINTMENT_CANCELLED, events.SLOT_RELEASED]
    heard[1][1].pop("event_id")
    assert heard[1][1] == {"slot_id": slot.pk, "provider_id": slot.provider_id, "reason": "cancelled"}


def test_the_waiting_list_hears_released_slots_without_booking_importing_it():
    assert "waiting.offer_released_slot" in events.subscribers(events.SLOT_RELEASED)
