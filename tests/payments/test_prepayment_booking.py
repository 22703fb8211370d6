"""H2, H4, H6: a booking that needs payment is held until the deadline, on every channel;
the deadline cancels it; a waived payment confirms it. (Gateways: test_gateway_flow.py.)"""

import datetime as dt
from decimal import Decimal

import pytest

from terminarz.booking.errors import BookingRefused, InvalidBooking
from terminarz.booking.models import Appointment, AppointmentStatus, Source
from terminarz.booking.services import book_appointment, book_for_patient, confirm_held_booking
from terminarz.core import events
from terminarz.notifications.models import Message
from terminarz.patients.models import Patient
from terminarz.payments import services
from terminarz.payments.machines import PAYMENT
from terminarz.payments.models import Payment, PaymentRule, PaymentStatus, Requirement
from terminarz.payments.services import PaymentError
from terminarz.scheduling.models import Slot, SlotState
from terminarz.scheduling.search import open_q
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, VALID_PESEL
from tests.payments.conftest import payment_clinic

pytestmark = pytest.mark.django_db


def first_slot(practitioner, *, after=FROZEN_NOW + dt.timedelta(days=2)):
    return Slot.objects.filter(practitioner=practitioner, start__gt=after).order_by("start").first()


def test_mandatory_payment_holds_the_booking_until_the_deadline(today, django_capture_on_commit_callbacks):
    provider, _, practitioner, _ = payment_clinic(today=today, hours_before_visit=24)
    slot = first_slot(practitioner)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_appointment(slot.pk, PATIENT, now=FROZEN_NOW)
    payment = Payment.objects.get(appointment=appointment)
    slot.refresh_from_db()
    deadline = slot.start - dt.timedelta(hours=24)
    assert (appointment.status, appointment.hold_reason, appointment.hold_until) == ("held", "payment", deadline)
    assert (slot.state, slot.hold_until) == (SlotState.HELD, deadline)
    assert (payment.status, payment.required, payment.amount, payment.deadline, payment.reason) == (
        PaymentStatus.PENDING,
        True,
        Decimal("150.00"),
        deadline,
        "provider",
    )
    kinds = sorted(Message.objects.filter(provider=provider).values_list("kind", "channel"))
    assert kinds == [("payment_link", "email")]  # no D3 "confirm by e-mail", no confirmation yet


def test_optional_payment_confirms_at_once_and_sends_the_optional_link(today):
    provider, _, practitioner, _ = payment_clinic(today=today, requirement=Requirement.OPTIONAL)
    appointment = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    payment = Payment.objects.get(appointment=appointment)
    assert (appointment.status, payment.status, payment.required, payment.deadline) == (
        "confirmed",
        "pending",
        False,
        None,
    )
    assert sorted(Message.objects.filter(provider=provider).values_list("kind", flat=True)) == [
        "booking_confirmation",
        "payment_optional",
    ]


def test_link_by_sms_when_the_provider_enables_it(today):
    provider, _, practitioner, _ = payment_clinic(today=today, link_sms=True, link_email=False)
    book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    assert list(Message.objects.filter(provider=provider).values_list("kind", "channel")) == [("payment_link", "sms")]


def test_desk_booking_of_a_first_time_patient_waits_for_payment(today, django_user_model):
    provider, _, practitioner, _ = payment_clinic(today=today, requirement=Requirement.NONE, first_time_mandatory=True)
    patient = Patient.objects.create(provider=provider, first_name="Ewa", last_name="Nowa", email="ewa@example.com")
    registrar = django_user_model.objects.create_user("rej", password="x")
    appointment = book_for_patient(first_slot(practitioner).pk, patient, actor=registrar, now=FROZEN_NOW)
    assert (appointment.status, appointment.payment.reason) == ("held", "first_time")


def test_a_patient_after_a_completed_visit_is_not_first_time(today):
    provider, _, practitioner, _ = payment_clinic(today=today, requirement=Requirement.NONE, first_time_mandatory=True)
    data = {**PATIENT, "pesel": VALID_PESEL}
    first = book_appointment(first_slot(practitioner).pk, data, now=FROZEN_NOW)
    Appointment.objects.filter(pk=first.pk).update(status=AppointmentStatus.COMPLETED)
    second = book_appointment(first_slot(practitioner, after=first.start).pk, data, now=FROZEN_NOW)
    assert (first.status, second.status, Payment.objects.filter(appointment=second).exists()) == (
        "held",
        "confirmed",
        False,
    )


def test_blacklisted_patient_pays_even_where_the_practitioner_needs_no_payment(today):
    provider, _, practitioner, _ = payment_clinic(today=today, requirement=Requirement.NONE, blacklist_mandatory=True)
    PaymentRule.objects.create(provider=provider, practitioner=practitioner, requirement=Requirement.NONE)
    Patient.objects.create(
        provider=provider, first_name="Jan", last_name="Kowalski", pesel=VALID_PESEL, blacklisted=True
    )
    appointment = book_appointment(first_slot(practitioner).pk, {**PATIENT, "pesel": VALID_PESEL}, now=FROZEN_NOW)
    assert (appointment.status, appointment.payment.reason) == ("held", "blacklist")


def test_api_bookings_follow_the_same_rules(today):
    _, _, practitioner, _ = payment_clinic(today=today)
    appointment = book_appointment(first_slot(practitioner).pk, PATIENT, source=Source.API, now=FROZEN_NOW)
    assert (appointment.status, appointment.payment.status) == ("held", "pending")


def test_nfz_slots_are_never_paid(today):
    from terminarz.scheduling.services import generate_slots
    from tests.factories import every_day, make_schedule

    provider, unit, practitioner, _ = payment_clinic(today=today)
    schedule = make_schedule(practitioner, unit, valid_from=today, blocks=every_day(dt.time(14), dt.time(15)))
    generate_slots(schedule, start_day=today, end_day=today + dt.timedelta(days=5))
    nfz = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW + dt.timedelta(days=2)).order_by("start").first()
    appointment = book_appointment(nfz.pk, PATIENT, now=FROZEN_NOW)
    assert (appointment.status, Payment.objects.filter(appointment=appointment).exists()) == ("confirmed", False)


def test_a_deadline_that_cannot_be_met_refuses_the_booking_and_books_nothing(today):
    _, _, practitioner, _ = payment_clinic(today=today, hours_before_visit=72)
    slot = first_slot(practitioner, after=FROZEN_NOW + dt.timedelta(hours=3))
    with pytest.raises(BookingRefused) as refused:
        book_appointment(slot.pk, PATIENT, now=FROZEN_NOW)
    slot.refresh_from_db()
    assert refused.value.message.startswith("Tę wizytę trzeba opłacić online")
    assert (slot.state, Appointment.objects.count(), Payment.objects.count()) == (SlotState.FREE, 0, 0)


def test_payment_hold_cannot_be_confirmed_by_the_email_link(today):
    _, _, practitioner, _ = payment_clinic(today=today)
    appointment = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    with pytest.raises(InvalidBooking) as refused:
        confirm_held_booking(appointment.pk, appointment.cancel_token, now=FROZEN_NOW)
    appointment.refresh_from_db()
    assert (refused.value.message, appointment.status) == (
        "Ta rezerwacja zostanie potwierdzona po opłaceniu wizyty.",
        "held",
    )


# -- the deadline (H4) -------------------------------------------------------------------------


def test_at_the_deadline_the_booking_is_cancelled_the_slot_freed_and_the_patient_told(
    today, django_capture_on_commit_callbacks, monkeypatch
):
    provider, _, practitioner, _ = payment_clinic(today=today, cancel_sms=True)
    slot = first_slot(practitioner)
    appointment = book_appointment(slot.pk, PATIENT, now=FROZEN_NOW)
    payment = appointment.payment
    released = []
    monkeypatch.setattr(events, "dispatch", lambda event, payload: released.append((event, payload.get("reason"))))
    before = services.expire_unpaid(payment.pk, now=payment.deadline - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        after = services.expire_unpaid(payment.pk, now=payment.deadline)
    appointment.refresh_from_db()
    payment.refresh_from_db()
    slot.refresh_from_db()
    assert (before, after) == (False, True)
    assert (appointment.status, appointment.cancel_reason, payment.status) == (
        "cancelled",
        "brak płatności online w terminie",
        "expired",
    )
    assert slot.state == SlotState.FREE
    assert ("slot_released", "unpaid") in released
    messages = sorted(
        Message.objects.filter(provider=provider, kind="payment_cancelled").values_list("channel", flat=True)
    )
    assert messages == ["email", "sms"]


def test_search_offers_the_slot_again_the_moment_the_deadline_passes(today):
    _, _, practitioner, _ = payment_clinic(today=today)
    slot = first_slot(practitioner)
    appointment = book_appointment(slot.pk, PATIENT, now=FROZEN_NOW)
    deadline = appointment.payment.deadline
    open_before = Slot.objects.filter(open_q(deadline - dt.timedelta(seconds=1)), pk=slot.pk).exists()
    open_after = Slot.objects.filter(open_q(deadline + dt.timedelta(seconds=1)), pk=slot.pk).exists()
    assert (open_before, open_after) == (False, True)


def test_expiry_task_finalizes_only_payments_past_their_deadline(today, frozen):
    _, _, practitioner, _ = payment_clinic(today=today, hours_before_visit=24)
    early = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    late_slot = first_slot(practitioner, after=FROZEN_NOW + dt.timedelta(days=5))
    later = book_appointment(late_slot.pk, {**PATIENT, "email": "inna@example.com"}, now=FROZEN_NOW)
    frozen.move_to(early.payment.deadline + dt.timedelta(minutes=1))
    from terminarz.payments.tasks import expire_unpaid_task

    expire_unpaid_task.call()
    statuses = [Payment.objects.get(pk=p.pk).status for p in (early.payment, later.payment)]
    assert statuses == ["expired", "pending"]


# -- per visit (H6) ----------------------------------------------------------------------------


def test_waiving_confirms_a_held_booking_and_is_audited(today, django_user_model):
    _, _, practitioner, _ = payment_clinic(today=today)
    appointment = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    registrar = django_user_model.objects.create_user("vip", password="x")
    services.waive(appointment.payment, actor=registrar, reason="pacjent VIP", now=FROZEN_NOW)
    appointment.refresh_from_db()
    payment = Payment.objects.get(pk=appointment.payment.pk)
    history = [(t.from_state, t.to_state, t.reason) for t in PAYMENT.history(payment)]
    assert (appointment.status, payment.status, appointment.slot.state) == ("confirmed", "waived", SlotState.BOOKED)
    assert history == [("", "pending", ""), ("pending", "waived", "pacjent VIP")]


def test_waiving_needs_a_reason_and_a_pending_payment(today, django_user_model):
    _, _, practitioner, _ = payment_clinic(today=today)
    appointment = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    registrar = django_user_model.objects.create_user("vip", password="x")
    with pytest.raises(PaymentError) as no_reason:
        services.waive(appointment.payment, actor=registrar, reason=" ", now=FROZEN_NOW)
    services.waive(appointment.payment, actor=registrar, reason="VIP", now=FROZEN_NOW)
    with pytest.raises(PaymentError) as twice:
        services.waive(appointment.payment, actor=registrar, reason="VIP", now=FROZEN_NOW)
    assert no_reason.value.errors == {"reason": ["Podaj powód zwolnienia z płatności."]}
    assert twice.value.message == "Zwolnić z płatności można tylko wtedy, gdy płatność jeszcze oczekuje."


def test_a_new_deadline_moves_the_hold_and_may_not_be_after_the_visit(today, django_user_model):
    _, _, practitioner, _ = payment_clinic(today=today)
    appointment = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    registrar = django_user_model.objects.create_user("r", password="x")
    with pytest.raises(PaymentError) as after_visit:
        services.change_deadline(
            appointment.payment,
            appointment.start + dt.timedelta(minutes=1),
            actor=registrar,
            resend=False,
            now=FROZEN_NOW,
        )
    new = appointment.start - dt.timedelta(hours=1)
    services.change_deadline(appointment.payment, new, actor=registrar, resend=True, now=FROZEN_NOW)
    appointment.refresh_from_db()
    assert after_visit.value.errors == {"deadline": ["Termin płatności nie może być późniejszy niż początek wizyty."]}
    assert (
        appointment.hold_until,
        appointment.slot.hold_until,
        Payment.objects.get(appointment=appointment).deadline,
    ) == (
        new,
        new,
        new,
    )
    assert Message.objects.filter(kind="payment_link").count() == 2


@pytest.mark.parametrize(
    "move",
    [
        ("pending", "paid"),
        ("pending", "expired"),
        ("pending", "cancelled"),
        ("pending", "waived"),
        ("paid", "partially_refunded"),
        ("paid", "refunded"),
        ("partially_refunded", "refunded"),
        ("expired", "late"),
        ("cancelled", "late"),
        ("late", "refunded"),
        ("waived", "paid"),
    ],
)
def test_allowed_payment_transitions(move):
    assert PAYMENT.allowed(move[0]) >= {move[1]}


@pytest.mark.parametrize(
    "move",
    [
        ("paid", "pending"),
        ("expired", "paid"),
        ("refunded", "paid"),
        ("waived", "expired"),
        ("late", "paid"),
        ("cancelled", "pending"),
    ],
)
def test_refused_payment_transitions(today, move):
    from terminarz.core.statemachine import TransitionRefused

    _, _, practitioner, _ = payment_clinic(today=today)
    payment = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW).payment
    Payment.objects.filter(pk=payment.pk).update(status=move[0])
    payment.refresh_from_db()
    with pytest.raises(TransitionRefused):
        PAYMENT.move(payment, move[1], actor_label="test")
    payment.refresh_from_db()
    assert payment.status == move[0]


def test_the_booking_page_says_at_once_when_the_payment_could_not_be_made_in_time(today, client, frozen):
    _, _, practitioner, _ = payment_clinic(today=today, hours_before_visit=72)
    slot = first_slot(practitioner, after=FROZEN_NOW + dt.timedelta(hours=3))
    response = client.get(f"/rezerwacja/{slot.pk}/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "do terminu płatności zostało za mało czasu" in html
    assert f'href="/lekarz/{practitioner.pk}/"' in html


# -- reminders (H5) and the refund policy ------------------------------------------------------


def test_a_reminder_goes_once_when_the_deadline_is_near(today):
    provider, _, practitioner, _ = payment_clinic(today=today, hours_before_visit=24, reminder_hours=2)
    appointment = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    deadline = appointment.payment.deadline
    early = services.send_due_reminders(now=deadline - dt.timedelta(hours=3))
    due = services.send_due_reminders(now=deadline - dt.timedelta(hours=1))
    again = services.send_due_reminders(now=deadline - dt.timedelta(minutes=30))
    assert (early, due, again) == (0, 1, 0)
    assert Message.objects.filter(provider=provider, kind="payment_reminder").count() == 1


def _paid_visit(today, **kw):
    from terminarz.payments.gateways.base import Notice, NoticeStatus
    from terminarz.payments.models import PaymentAttempt

    _, _, practitioner, _ = payment_clinic(today=today, **kw)
    appointment = book_appointment(first_slot(practitioner).pk, PATIENT, now=FROZEN_NOW)
    payment = appointment.payment
    attempt = PaymentAttempt.objects.create(
        payment=payment, session_id="TZREF1", gateway="przelewy24", amount=payment.amount, created_at=FROZEN_NOW
    )
    services.settle(attempt, Notice("TZREF1", payment.amount, "PLN", NoticeStatus.PAID, "1"), now=FROZEN_NOW)
    appointment.refresh_from_db()
    return appointment


@pytest.mark.parametrize(
    "hours_before,refunded,decision_due",
    [(48, [Decimal("150.00")], False), (12, [], True)],
    ids=["early: full refund", "late: the clinic decides"],
)
def test_the_patient_cancelling_a_paid_visit_follows_the_refund_policy(
    today, monkeypatch, hours_before, refunded, decision_due
):
    from terminarz.booking.models import AppointmentStatus

    appointment = _paid_visit(today, refund_hours=24)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CANCELLED, cancelled_at=appointment.start - dt.timedelta(hours=hours_before)
    )
    asked = []
    monkeypatch.setattr(services, "_enqueue_refund_call", lambda refund_id: asked.append(refund_id))
    services.appointment_ended(appointment.pk, by="patient", now=appointment.start - dt.timedelta(hours=hours_before))
    payment = Payment.objects.get(appointment=appointment)
    assert [r.amount for r in payment.refunds.all()] == refunded
    assert payment.refund_decision_due is decision_due


def test_the_api_answers_with_the_payment_to_make(today, client):
    _, _, practitioner, _ = payment_clinic(today=today)
    slot = first_slot(practitioner, after=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    body = {"slot": slot.pk, "patient": {"first_name": "Jan", "last_name": "Api", "email": "api@example.com"}}
    answer = client.post("/api/v1/appointments", body, content_type="application/json").json()
    payment = Payment.objects.get(appointment_id=answer["id"])
    assert (answer["status"], answer["payment"]["status"], answer["payment"]["amount"]) == ("held", "pending", "150.00")
    assert answer["payment"]["url"].endswith(f"/platnosc/{payment.pk}/?t={payment.link_token}")


def test_the_patient_panel_offers_to_pay_a_visit_waiting_for_payment(today, client, django_user_model):
    from terminarz.booking.services import book_appointment as book

    _, _, practitioner, _ = payment_clinic(today=today)
    account = django_user_model.objects.create_user("pat@example.com", email="pat@example.com", password="x")
    slot = first_slot(practitioner, after=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    appointment = book(slot.pk, {**PATIENT, "email": "pat@example.com"}, account=account)
    client.force_login(account)
    html = client.get("/konto/").content.decode()
    assert "czeka na płatność" in html
    assert f"/platnosc/{appointment.payment.pk}/?t={appointment.payment.link_token}" in html
