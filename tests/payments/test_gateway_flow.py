"""H8 end to end over real HTTP: our service registers the transaction at the Przelewy24
stand-in, the patient pays there, the stand-in notifies our endpoint (the live server), we
verify with the stand-in and confirm the booking. Bad notifications never confirm."""

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from terminarz.booking.models import AppointmentStatus
from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic
from terminarz.core import clock
from terminarz.payments import services
from terminarz.payments.models import Payment, PaymentEvent, PaymentStatus, Refund
from terminarz.payments.standins.przelewy24 import sign
from terminarz.scheduling.models import Slot, SlotState
from tests.factories import PATIENT
from tests.payments.conftest import payment_clinic

pytestmark = pytest.mark.django_db(transaction=True)


def book_paid_visit(today, **kw):
    provider, _, practitioner, _ = payment_clinic(today=today, **kw)
    slot = Slot.objects.filter(practitioner=practitioner, start__gt=clock.now() + dt.timedelta(days=1)).order_by(
        "start"
    )[0]
    appointment = book_appointment(slot.pk, PATIENT)
    return appointment, appointment.payment


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_paying_at_the_stand_in_confirms_the_booking(p24):
    today = dt.date.today()
    appointment, payment = book_paid_visit(today)
    url = services.start_payment(payment).redirect_url
    page = httpx.get(url)
    assert page.status_code == 200 and "150,00 zł" in page.text
    p24.pay(token_of(url), wait=True)
    appointment.refresh_from_db()
    payment.refresh_from_db()
    assert (appointment.status, payment.status, payment.paid_amount) == ("confirmed", "paid", Decimal("150.00"))
    assert Slot.objects.get(pk=appointment.slot_id).state == SlotState.BOOKED
    verified = [call for call in p24.received if call["path"].endswith("/transaction/verify")]
    assert len(verified) == 1


def test_a_replayed_notification_changes_nothing(p24):
    appointment, payment = book_paid_visit(dt.date.today())
    url = services.start_payment(payment).redirect_url
    p24.pay(token_of(url), wait=True)
    p24.resend_last(wait=True)
    payment.refresh_from_db()
    paid_moves = PaymentEvent.objects.filter(payment=payment, kind="notified").count()
    assert (payment.status, paid_moves, p24.notifications[-1]["status"]) == ("paid", 1, 200)


def _notify(live_server, body: dict) -> httpx.Response:
    return httpx.post(f"{live_server.url}/platnosci/powiadomienie/przelewy24/", content=json.dumps(body))


def _forged(p24, payment_session: str, *, amount: int, currency: str = "PLN", crc: str | None = None) -> dict:
    body = {
        "merchantId": p24.merchant_id,
        "posId": p24.pos_id,
        "sessionId": payment_session,
        "amount": amount,
        "originAmount": amount,
        "currency": currency,
        "orderId": 999,
        "methodId": 25,
        "statement": "p24-test",
    }
    body["sign"] = sign([*body.items(), ("crc", crc or p24.crc)])
    return body


@pytest.mark.parametrize(
    "case,code",
    [
        ("bad_signature", "bad_signature"),
        ("wrong_amount", "wrong_amount"),
        ("wrong_currency", "wrong_currency"),
        ("unknown_session", "unknown_session"),
    ],
)
def test_bad_notifications_never_confirm_and_are_recorded(p24, live_server, case, code):
    appointment, payment = book_paid_visit(dt.date.today())
    services.start_payment(payment)
    session = payment.attempts.get().session_id
    body = {
        "bad_signature": _forged(p24, session, amount=15000, crc="not-the-crc"),
        "wrong_amount": _forged(p24, session, amount=100),
        "wrong_currency": _forged(p24, session, amount=15000, currency="EUR"),
        "unknown_session": _forged(p24, "TZ0XNOPE", amount=15000),
    }[case]
    _notify(live_server, body)
    appointment.refresh_from_db()
    payment.refresh_from_db()
    assert (appointment.status, payment.status) == ("held", "pending")
    assert list(PaymentEvent.objects.filter(kind="rejected").values_list("text", flat=True)) == [code]


def test_payment_after_the_deadline_expiry_is_late_and_refunded_automatically(p24):
    appointment, payment = book_paid_visit(dt.date.today())
    url = services.start_payment(payment).redirect_url
    assert services.expire_unpaid(payment.pk, now=payment.deadline) is True
    p24.pay(token_of(url), wait=True)
    p24.wait_for_notifications(10)
    payment.refresh_from_db()
    appointment.refresh_from_db()
    refund = Refund.objects.get(payment=payment)
    assert (appointment.status, refund.amount, refund.status) == ("cancelled", Decimal("150.00"), "done")
    assert payment.status == PaymentStatus.REFUNDED


def test_clinic_cancelling_a_paid_visit_refunds_it_in_full(p24, django_user_model):
    appointment, payment = book_paid_visit(dt.date.today())
    url = services.start_payment(payment).redirect_url
    p24.pay(token_of(url), wait=True)
    appointment.refresh_from_db()
    registrar = django_user_model.objects.create_user("r", password="x")
    cancel_appointment_by_clinic(appointment, actor=registrar, reason="lekarz chory")
    p24.wait_for_notifications(10)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", Decimal("150.00"))


def test_a_partial_refund(p24, django_user_model):
    appointment, payment = book_paid_visit(dt.date.today())
    p24.pay(token_of(services.start_payment(payment).redirect_url), wait=True)
    payment.refresh_from_db()
    registrar = django_user_model.objects.create_user("r", password="x")
    services.request_refund(payment, Decimal("50.00"), reason="część", actor=registrar)
    p24.wait_for_notifications(10)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", Decimal("50.00"))
    with pytest.raises(services.PaymentError) as too_much:
        services.request_refund(payment, Decimal("100.01"), reason="reszta", actor=registrar)
    assert too_much.value.errors == {"amount": ["Można zwrócić najwyżej 100,00 zł."]}
    assert AppointmentStatus.CONFIRMED == Payment.objects.get(pk=payment.pk).appointment.status
