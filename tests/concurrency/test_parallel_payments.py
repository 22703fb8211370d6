"""H4 on PostgreSQL with one connection per thread: a verified payment notification and the
deadline's expiry race for the same booking. Whoever locks the slot first wins; there is never
a booking that is both paid and cancelled: paid first → confirmed; cancelled first → the late
payment is marked for refund and a refund is started."""

import datetime as dt

import pytest
from django.db import connection

from terminarz.booking.models import Appointment
from terminarz.booking.services import book_appointment
from terminarz.core import clock
from terminarz.payments import services
from terminarz.payments.gateways.base import Notice, NoticeStatus
from terminarz.payments.models import Payment, PaymentAttempt
from terminarz.scheduling.models import Slot, SlotState
from tests.concurrency.parallel import run_lined_up
from tests.conftest import require_postgres
from tests.factories import PATIENT
from tests.payments.conftest import payment_clinic

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_payment_and_deadline_never_leave_a_paid_cancelled_booking(monkeypatch):
    require_postgres(connection)
    today = dt.date.today()
    _, _, practitioner, _ = payment_clinic(today=today)
    slots = list(
        Slot.objects.filter(practitioner=practitioner, start__gt=clock.now() + dt.timedelta(days=1)).order_by("start")[
            :6
        ]
    )
    pairs = []
    for i, slot in enumerate(slots):
        appointment = book_appointment(slot.pk, {**PATIENT, "email": f"p{i}@example.com"})
        payment = appointment.payment
        attempt = PaymentAttempt.objects.create(
            payment=payment,
            session_id=f"TZRACE{i}",
            gateway="przelewy24",
            amount=payment.amount,
            created_at=clock.now(),
        )
        notice = Notice(
            session_id=attempt.session_id,
            amount=payment.amount,
            currency="PLN",
            status=NoticeStatus.PAID,
            reference=f"9000{i}",
        )
        pairs.append((appointment, payment, attempt, notice))
    refunds: list[int] = []
    monkeypatch.setattr(services, "_enqueue_refund", lambda payment_id, amount, attempt_id: refunds.append(payment_id))

    calls = []
    for _appointment, payment, attempt, notice in pairs:
        at = payment.deadline
        calls.append(lambda attempt=attempt, notice=notice, at=at: services.settle(attempt, notice, now=at))
        calls.append(lambda payment=payment, at=at: services.expire_unpaid(payment.pk, now=at))
    outcomes = run_lined_up(calls)
    assert [o for o in outcomes if isinstance(o, Exception)] == []

    for appointment, payment, _attempt, _notice in pairs:
        appointment = Appointment.objects.get(pk=appointment.pk)
        payment = Payment.objects.get(pk=payment.pk)
        slot = Slot.objects.get(pk=appointment.slot_id)
        state = (appointment.status, payment.status, slot.state, payment.pk in refunds)
        assert state in {
            ("confirmed", "paid", SlotState.BOOKED, False),
            ("cancelled", "late", SlotState.FREE, True),
        }, state


def test_invoices_issued_at_once_get_consecutive_numbers():
    """H9: the per-provider, per-year counter row is locked in each invoice's transaction, so
    invoices issued in parallel never share a number and leave no gap."""
    require_postgres(connection)
    from terminarz.payments import invoices

    today = dt.date.today()
    provider, _, practitioner, _ = payment_clinic(today=today)
    provider.nip = "6762461659"
    provider.save()
    slots = list(
        Slot.objects.filter(practitioner=practitioner, start__gt=clock.now() + dt.timedelta(days=1)).order_by("start")[
            :6
        ]
    )
    paid = []
    for i, slot in enumerate(slots):
        payment = book_appointment(slot.pk, {**PATIENT, "email": f"f{i}@example.com"}).payment
        attempt = PaymentAttempt.objects.create(
            payment=payment,
            session_id=f"TZINVRACE{i}",
            gateway="przelewy24",
            amount=payment.amount,
            created_at=clock.now(),
        )
        services.settle(
            attempt, Notice(attempt.session_id, payment.amount, "PLN", NoticeStatus.PAID, f"8{i}"), now=clock.now()
        )
        paid.append(Payment.objects.get(pk=payment.pk))
    buyer = {"name": "Jan Kowalski", "nip": "", "street": "ul. Lea 10", "postal_code": "30-048", "city": "Kraków"}
    outcomes = run_lined_up([lambda p=p: invoices.issue_invoice(p, buyer=buyer, actor=None) for p in paid])
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    year = clock.local_today().year
    assert sorted(o.number for o in outcomes) == [f"FV/{year}/{n:05d}" for n in range(1, 7)]
