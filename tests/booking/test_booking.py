import datetime as dt

import pytest
from django.core import mail

from terminarz.booking.errors import AppointmentNotFound, InvalidBooking, SlotTaken
from terminarz.booking.models import Appointment, AppointmentTransition
from terminarz.booking.services import (
    book_appointment,
    cancel_appointment_by_patient,
    expire_hold,
)
from terminarz.notifications.models import Message
from terminarz.patients.models import Patient
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.services import generate_slots
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL, clinic, every_day, make_schedule

pytestmark = pytest.mark.django_db


def future_slots(schedule, n=3):
    return list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start")[:n])


def test_booking_confirms_and_queues_email_with_cancel_link(today, django_capture_on_commit_callbacks):
    _, _, _, schedule = clinic(today=today, days=2)
    slot = future_slots(schedule)[0]
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(slot.pk, {**PATIENT, "note": "Proszę o L4"})
    assert appointment.status == "confirmed" and len(appointment.reference) == 8
    slot.refresh_from_db()
    assert slot.state == SlotState.BOOKED
    message = Message.objects.get(kind="booking_confirmation")
    assert message.status == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["jan.kowalski@example.com"]
    assert appointment.reference in sent.subject
    assert f"/wizyta/{appointment.pk}/odwolaj/?t={appointment.cancel_token}" in sent.body
    assert AppointmentTransition.objects.filter(appointment=appointment, to_status="confirmed").exists()


def test_second_booking_of_same_slot_is_refused_with_alternatives(today):
    _, _, _, schedule = clinic(today=today, days=2)
    slot, *_ = future_slots(schedule)
    book_appointment(slot.pk, PATIENT)
    with pytest.raises(SlotTaken) as exc:
        book_appointment(slot.pk, {**PATIENT, "email": "inna@example.com"})
    assert exc.value.message == "Ten termin jest już zajęty."
    assert exc.value.alternatives and all(a.practitioner_id == slot.practitioner_id for a in exc.value.alternatives)
    assert slot.pk not in [a.pk for a in exc.value.alternatives]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"pesel": "12345678901"}, "pesel", "Nieprawidłowy numer PESEL"),
        ({"pesel": "123"}, "pesel", "Numer PESEL składa się z 11 cyfr."),
        ({"email": ""}, "email", "Podaj adres e-mail"),
        ({"email": "nie-mail"}, "email", "Podaj poprawny adres e-mail"),
        ({"first_name": ""}, "first_name", "Podaj imię."),
        ({"first_name": "x" * 101}, "first_name", "co najwyżej 100 znaków"),
        ({"note": "x" * 1001}, "note", "co najwyżej 1000 znaków"),
        ({"phone": "abc"}, "phone", "Podaj poprawny numer telefonu"),
    ],
)
def test_bad_patient_data_gives_polish_field_errors_and_books_nothing(today, change, field, message):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = future_slots(schedule)[0]
    with pytest.raises(InvalidBooking) as exc:
        book_appointment(slot.pk, {**PATIENT, **change})
    assert message in " ".join(exc.value.errors[field])
    slot.refresh_from_db()
    assert slot.state == SlotState.FREE and not Appointment.objects.exists() and not Patient.objects.exists()


def test_valid_pesel_is_accepted_and_matched_to_patient_record(today):
    provider, _, _, schedule = clinic(today=today, days=1)
    a, b = future_slots(schedule, 2)
    first = book_appointment(a.pk, {**PATIENT, "pesel": VALID_PESEL})
    second = book_appointment(b.pk, {**PATIENT, "first_name": "Janek", "pesel": VALID_PESEL})
    assert first.patient_id == second.patient_id
    assert Patient.objects.filter(provider=provider).count() == 1


@pytest.mark.parametrize("slot_id", [None, "abc", -1, 10**30, 999999])
def test_unknown_slot_is_a_field_error(today, slot_id):
    with pytest.raises(InvalidBooking) as exc:
        book_appointment(slot_id, PATIENT)
    assert exc.value.errors == {"slot": ["Nie ma takiego terminu."]}


def test_past_slot_is_refused(today):
    _, _, _, schedule = clinic(today=today, days=1)
    past = Slot.objects.filter(schedule=schedule, start__lt=FROZEN_NOW).first()
    with pytest.raises(InvalidBooking) as exc:
        book_appointment(past.pk, PATIENT)
    assert "już minął" in exc.value.errors["slot"][0]


def test_call_center_only_slot_cannot_be_booked_online_but_can_at_desk(today):
    _, _, _, schedule = clinic(today=today, days=1, blocks=every_day(dt.time(12), dt.time(13), callcenter_only=True))
    slot = future_slots(schedule)[0]
    with pytest.raises(InvalidBooking):
        book_appointment(slot.pk, PATIENT, source="api")
    assert book_appointment(slot.pk, PATIENT, source="desk").status == "confirmed"


def test_first_free_only_refuses_a_later_slot_online(today):
    _, _, _, schedule = clinic(today=today, days=1, blocks=every_day(dt.time(12), dt.time(13), first_free_only=True))
    first, second, _ = future_slots(schedule)
    with pytest.raises(InvalidBooking):
        book_appointment(second.pk, PATIENT)
    book_appointment(first.pk, PATIENT)
    assert book_appointment(second.pk, PATIENT).status == "confirmed"


def test_requirement_text_must_be_accepted(today):
    blocks = every_day(dt.time(12), dt.time(13), requirement_text="Proszę zabrać wyniki EKG.")
    _, _, _, schedule = clinic(today=today, days=1, blocks=blocks)
    slot = future_slots(schedule)[0]
    with pytest.raises(InvalidBooking) as exc:
        book_appointment(slot.pk, PATIENT)
    assert "zaakceptuj warunki" in exc.value.errors["accept_requirements"][0]
    appointment = book_appointment(slot.pk, {**PATIENT, "accept_requirements": "on"})
    assert appointment.accepted_requirements


def test_practitioner_is_never_booked_twice_at_overlapping_times_across_schedules(today):
    provider, unit, practitioner, schedule = clinic(today=today, days=1)
    # A second schedule (another unit would do too) with 20-minute slots overlapping the first.
    other = make_schedule(
        practitioner, unit, valid_from=today, blocks=every_day(dt.time(10), dt.time(12), slot_minutes=20)
    )
    generate_slots(other, start_day=today, end_day=today)
    a = Slot.objects.get(schedule=schedule, start=FROZEN_NOW + dt.timedelta(minutes=30))  # 10:30-10:45
    b = Slot.objects.get(schedule=other, start=FROZEN_NOW + dt.timedelta(minutes=20))  # 10:20-10:40
    book_appointment(a.pk, PATIENT)
    with pytest.raises(SlotTaken):
        book_appointment(b.pk, PATIENT)
    b.refresh_from_db()
    assert b.state == SlotState.FREE  # the failed attempt rolled back its slot update


def test_cancel_frees_slot_at_once_and_sends_email(today, django_capture_on_commit_callbacks):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = future_slots(schedule)[0]
    appointment = book_appointment(slot.pk, PATIENT)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_patient(appointment.pk, appointment.cancel_token, reason="Choroba")
    appointment.refresh_from_db()
    slot.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancel_reason == "Choroba"
    assert slot.state == SlotState.FREE
    assert Message.objects.filter(kind="booking_cancelled", status="sent").exists()
    assert book_appointment(slot.pk, PATIENT).status == "confirmed"


def test_cancel_with_wrong_token_or_twice(today):
    _, _, _, schedule = clinic(today=today, days=1)
    appointment = book_appointment(future_slots(schedule)[0].pk, PATIENT)
    with pytest.raises(AppointmentNotFound):
        cancel_appointment_by_patient(appointment.pk, "zly-token")
    with pytest.raises(AppointmentNotFound):
        cancel_appointment_by_patient(appointment.pk + 100, appointment.cancel_token)
    cancel_appointment_by_patient(appointment.pk, appointment.cancel_token)
    with pytest.raises(InvalidBooking):
        cancel_appointment_by_patient(appointment.pk, appointment.cancel_token)


def test_cannot_cancel_a_past_visit(today, frozen):
    _, _, _, schedule = clinic(today=today, days=1)
    appointment = book_appointment(future_slots(schedule)[0].pk, PATIENT)
    frozen.shift(dt.timedelta(hours=3))
    with pytest.raises(InvalidBooking):
        cancel_appointment_by_patient(appointment.pk, appointment.cancel_token)


def test_expired_hold_is_taken_over_and_finalized(today, frozen):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = future_slots(schedule)[0]
    held = book_appointment(slot.pk, PATIENT)
    # Turn it into a hold that runs out in 5 minutes (multi-step registration will do this).
    Appointment.objects.filter(pk=held.pk).update(status="held", hold_until=FROZEN_NOW + dt.timedelta(minutes=5))
    Slot.objects.filter(pk=slot.pk).update(state="held", hold_until=FROZEN_NOW + dt.timedelta(minutes=5))
    with pytest.raises(SlotTaken):
        book_appointment(slot.pk, PATIENT)
    frozen.shift(dt.timedelta(minutes=6))
    newer = book_appointment(slot.pk, {**PATIENT, "email": "druga@example.com"})
    held.refresh_from_db()
    assert held.status == "expired" and newer.status == "confirmed"
    assert expire_hold(held.pk) is False  # already finalized; the new booking keeps the slot
    slot.refresh_from_db()
    assert slot.state == SlotState.BOOKED


def test_expire_hold_frees_slot_and_records_transition(today, frozen):
    _, _, _, schedule = clinic(today=today, days=1)
    slot = future_slots(schedule)[0]
    appointment = book_appointment(slot.pk, PATIENT)
    hold_until = FROZEN_NOW + dt.timedelta(minutes=1)
    Appointment.objects.filter(pk=appointment.pk).update(status="held", hold_until=hold_until)
    Slot.objects.filter(pk=slot.pk).update(state="held", hold_until=hold_until)
    assert expire_hold(appointment.pk) is False  # not yet
    frozen.shift(dt.timedelta(minutes=2))
    assert expire_hold(appointment.pk) is True
    slot.refresh_from_db()
    assert slot.state == SlotState.FREE
    assert appointment.transitions.last().to_status == "expired"
