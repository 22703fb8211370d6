"""H8 with Autopay end to end over real HTTP: the start link opens the stand-in, "Zapłać" sends a
signed ITN to our endpoint (the live server), we answer with a signed confirmationList and
confirm the booking. Tampered, foreign, wrong-amount, wrong-currency and unknown-order ITNs
never confirm; a replay changes nothing."""

import base64
import datetime as dt
from decimal import Decimal

import httpx
import pytest

from terminarz.booking.services import book_appointment
from terminarz.core import clock
from terminarz.payments import services
from terminarz.payments.models import PaymentEvent, Refund
from terminarz.payments.standins import autopay as autopay_standin
from terminarz.scheduling.models import Slot
from tests.factories import PATIENT
from tests.payments.conftest import payment_clinic

pytestmark = pytest.mark.django_db(transaction=True)
ITN_PATH = "/platnosci/powiadomienie/autopay/"


@pytest.fixture
def autopay(settings, live_server):
    server, state = autopay_standin.serve(itn_url=live_server.url + ITN_PATH, return_url=live_server.url + "/")
    settings.AUTOPAY_BASE_URL = state.base_url
    settings.SITE_URL = live_server.url
    yield state
    server.shutdown()


def book_paid_visit():
    _, _, practitioner, _ = payment_clinic(today=dt.date.today(), gateway="autopay")
    slot = Slot.objects.filter(practitioner=practitioner, start__gt=clock.now() + dt.timedelta(days=1)).order_by(
        "start"
    )[0]
    appointment = book_appointment(slot.pk, PATIENT)
    return appointment, appointment.payment


def started(start) -> str:
    """Send the start form to the stand-in, as the patient's browser does (a POST, per the
    spec; the patient's e-mail is not among the fields); the OrderID."""
    assert "CustomerEmail" not in start.form
    page = httpx.post(start.redirect_url, data=start.form)
    assert page.status_code == 200 and "150,00 zł" in page.text
    return start.form["OrderID"]


def test_paying_at_the_autopay_stand_in_confirms_the_booking(autopay):
    appointment, payment = book_paid_visit()
    order_id = started(services.start_payment(payment))
    autopay.pay(order_id)
    autopay.wait_deliveries()
    appointment.refresh_from_db()
    payment.refresh_from_db()
    assert (appointment.status, payment.status, payment.paid_amount) == ("confirmed", "paid", Decimal("150.00"))
    assert autopay.confirmed(order_id) is True


def test_a_replayed_itn_changes_nothing_and_is_confirmed_again(autopay):
    appointment, payment = book_paid_visit()
    order_id = started(services.start_payment(payment))
    autopay.pay(order_id)
    autopay.wait_deliveries()
    replay = autopay.resend_last()
    payment.refresh_from_db()
    notified = PaymentEvent.objects.filter(payment=payment, kind="notified").count()
    assert (payment.status, notified, replay["confirmation"]) == ("paid", 1, "CONFIRMED")


def test_a_rejected_payment_leaves_the_booking_waiting(autopay):
    appointment, payment = book_paid_visit()
    order_id = started(services.start_payment(payment))
    autopay.pay(order_id, success=False)
    autopay.wait_deliveries()
    appointment.refresh_from_db()
    payment.refresh_from_db()
    assert (appointment.status, payment.status) == ("held", "pending")


def _itn(autopay, order_id: str, *, amount: str, currency: str = "PLN", key: str | None = None) -> bytes:
    document = autopay_standin.build_itn(
        autopay.service_id,
        key or autopay.shared_key,
        {
            "order_id": order_id,
            "remote_id": "TFORGED",
            "amount_text": amount,
            "currency": currency,
            "gateway_id": "106",
            "payment_date": "20261201120000",
            "status": "SUCCESS",
            "status_details": "AUTHORIZED",
        },
    )
    return b"transactions=" + base64.b64encode(document).replace(b"+", b"%2B").replace(b"=", b"%3D")


@pytest.mark.parametrize(
    "case,code",
    [
        ("bad_signature", "bad_signature"),
        ("wrong_amount", "wrong_amount"),
        ("wrong_currency", "wrong_currency"),
        ("unknown_session", "unknown_session"),
    ],
)
def test_bad_itns_never_confirm_and_are_recorded(autopay, live_server, case, code):
    appointment, payment = book_paid_visit()
    order_id = started(services.start_payment(payment))
    body = {
        "bad_signature": _itn(autopay, order_id, amount="150.00", key="not-the-key"),
        "wrong_amount": _itn(autopay, order_id, amount="1.50"),
        "wrong_currency": _itn(autopay, order_id, amount="150.00", currency="EUR"),
        "unknown_session": _itn(autopay, "TZ0XNOPE", amount="150.00"),
    }[case]
    answer = httpx.post(
        live_server.url + ITN_PATH, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    appointment.refresh_from_db()
    payment.refresh_from_db()
    assert (appointment.status, payment.status) == ("held", "pending")
    assert list(PaymentEvent.objects.filter(kind="rejected").values_list("text", flat=True)) == [code]
    if case != "bad_signature":  # a verified ITN gets the protocol's answer: NOTCONFIRMED
        assert b"<confirmation>NOTCONFIRMED</confirmation>" in answer.content


def test_refund_through_autopay(autopay, django_user_model):
    appointment, payment = book_paid_visit()
    order_id = started(services.start_payment(payment))
    autopay.pay(order_id)
    autopay.wait_deliveries()
    payment.refresh_from_db()
    registrar = django_user_model.objects.create_user("r", password="x")
    services.request_refund(payment, Decimal("150.00"), reason="odwołanie", actor=registrar)
    payment.refresh_from_db()
    assert (payment.status, Refund.objects.get(payment=payment).status) == ("refunded", "done")
