"""Regression tests for the payments security review: each was an exploit or a lost-money bug."""

import base64
import datetime as dt
import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from terminarz.booking.errors import InvalidBooking
from terminarz.booking.services import book_appointment, move_appointment
from terminarz.payments import services
from terminarz.payments.gateways.autopay import hash_values
from terminarz.payments.gateways.base import Notice, NoticeStatus
from terminarz.payments.gateways.przelewy24 import refund_notification_sign, refunds_uuid_for
from terminarz.payments.models import Payment, PaymentAttempt, PaymentEvent, Refund
from terminarz.scheduling.models import Slot, SlotState
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT
from tests.payments.conftest import payment_clinic

pytestmark = pytest.mark.django_db
NOTIFY = "/platnosci/powiadomienie/{}/"


def held_visit(today, *, gateway="przelewy24", **kw):
    provider, _, practitioner, _ = payment_clinic(today=today, gateway=gateway, **kw)
    slots = Slot.objects.filter(practitioner=practitioner, start__gt=FROZEN_NOW + dt.timedelta(days=2)).order_by(
        "start"
    )
    appointment = book_appointment(slots[0].pk, PATIENT, now=FROZEN_NOW)
    return provider, list(slots[:20]), appointment, Payment.objects.get(appointment=appointment)


def paid(payment, *, session="TZPAIDN1", reference="777001"):
    attempt = PaymentAttempt.objects.create(
        payment=payment, session_id=session, gateway=payment.gateway, amount=payment.amount, created_at=FROZEN_NOW
    )
    services.settle(attempt, Notice(session, payment.amount, "PLN", NoticeStatus.PAID, reference), now=FROZEN_NOW)
    payment.refresh_from_db()
    return PaymentAttempt.objects.get(pk=attempt.pk)


def _itn(root: ET.Element) -> bytes:
    return b"transactions=" + base64.b64encode(ET.tostring(root)).replace(b"+", b"%2B").replace(b"=", b"%3D")


def test_an_autopay_itn_rebuilt_from_the_start_links_hash_is_rejected(today, client):
    """The start Hash signs ServiceID|OrderID|Amount|Description|Currency|…; an ITN whose values
    line up with those (extra elements, another order) must not verify."""
    _, _, appointment, payment = held_visit(today, gateway="autopay")
    start = client.post(reverse("portal:payment", args=[payment.pk]), {"t": payment.link_token})
    query = start.context["started"].form  # the page's self-sending form (Autopay starts with a POST)
    assert "CustomerEmail" not in query
    root = ET.Element("transactionList")
    ET.SubElement(root, "serviceID").text = query["ServiceID"]
    transaction = ET.SubElement(ET.SubElement(root, "transactions"), "transaction")
    for name in ("orderID", "amount", "x0", "currency", "x3", "x4"):
        value = {"orderID": "OrderID", "amount": "Amount", "x0": "Description", "currency": "Currency"}.get(name)
        ET.SubElement(transaction, name).text = query.get(value or {"x3": "Language", "x4": "ReturnURL"}[name])
    ET.SubElement(root, "hash").text = query["Hash"]
    answer = client.post(NOTIFY.format("autopay"), _itn(root), content_type="application/x-www-form-urlencoded")
    appointment.refresh_from_db()
    assert (answer.status_code, appointment.status) == (400, "held")
    assert list(PaymentEvent.objects.filter(kind="rejected").values_list("text", flat=True)) == ["malformed"]


def test_an_autopay_itn_with_a_pipe_in_a_value_is_rejected(today, client):
    _, _, appointment, payment = held_visit(today, gateway="autopay")
    fields = [
        ("orderID", "TZ1"),
        ("remoteID", "R|1"),
        ("amount", "150.00"),
        ("currency", "PLN"),
        ("paymentDate", "20261120100000"),
        ("paymentStatus", "SUCCESS"),
    ]
    root = ET.Element("transactionList")
    ET.SubElement(root, "serviceID").text = django_settings.AUTOPAY_SERVICE_ID
    transaction = ET.SubElement(ET.SubElement(root, "transactions"), "transaction")
    for name, value in fields:
        ET.SubElement(transaction, name).text = value
    values = [django_settings.AUTOPAY_SERVICE_ID, *(v for _, v in fields)]
    ET.SubElement(root, "hash").text = hash_values(values, django_settings.AUTOPAY_SHARED_KEY)
    answer = client.post(NOTIFY.format("autopay"), _itn(root), content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400


def _refund_notice(attempt, refund, *, amount_grosze, request_id=None, status=0):
    body = {
        "orderId": int(attempt.reference),
        "sessionId": attempt.session_id,
        "merchantId": django_settings.P24_MERCHANT_ID,
        "requestId": request_id or refund.request_id,
        "refundsUuid": refunds_uuid_for(refund.request_id),
        "amount": amount_grosze,
        "currency": "PLN",
        "timestamp": 1,
        "status": status,
    }
    body["sign"] = refund_notification_sign(
        order_id=body["orderId"],
        session_id=body["sessionId"],
        refunds_uuid=body["refundsUuid"],
        merchant_id=body["merchantId"],
        amount=body["amount"],
        currency="PLN",
        status=status,
        crc=django_settings.P24_CRC,
    )
    return json.dumps(body)


def test_a_signed_refund_notice_marks_only_its_own_refund_done(today, client):
    _, _, _, payment = held_visit(today)
    attempt = paid(payment)
    small = services.request_refund(payment, Decimal("10.00"), reason="a")
    big = services.request_refund(payment, Decimal("140.00"), reason="b")
    swapped = _refund_notice(attempt, small, amount_grosze=1000, request_id=big.request_id)
    client.post(NOTIFY.format("przelewy24"), swapped, content_type="application/json")
    small.refresh_from_db()
    big.refresh_from_db()
    payment.refresh_from_db()
    assert (small.status, big.status, payment.refunded_amount) == ("done", "requested", Decimal("10.00"))


def test_a_rejected_refund_is_marked_failed_and_left_to_the_clinic(today, client):
    _, _, _, payment = held_visit(today)
    attempt = paid(payment)
    refund = services.request_refund(payment, Decimal("150.00"), reason="a")
    client.post(
        NOTIFY.format("przelewy24"), _refund_notice(attempt, refund, amount_grosze=15000, status=1), "application/json"
    )
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.status, payment.refund_decision_due) == ("failed", "paid", True)


def test_a_second_payment_is_returned_on_its_own_and_the_first_stays(
    today, django_capture_on_commit_callbacks, monkeypatch
):
    _, _, appointment, payment = held_visit(today)
    paid(payment)
    calls = []
    monkeypatch.setattr(services, "_enqueue_refund_call", lambda refund_id: calls.append(refund_id))
    with django_capture_on_commit_callbacks(execute=True):
        second = paid(payment, session="TZPAIDN2", reference="777002")
    refund = Refund.objects.get(attempt=second)
    services.finish_refund(refund.pk, now=FROZEN_NOW)
    payment.refresh_from_db()
    appointment.refresh_from_db()
    assert (second.surplus, refund.amount, calls) == (True, Decimal("150.00"), [refund.pk])
    assert (payment.status, payment.paid_amount, payment.refunded_amount, payment.refundable) == (
        "paid",
        Decimal("150.00"),
        Decimal("0.00"),
        Decimal("150.00"),
    )
    assert appointment.status == "confirmed"


def test_moving_a_visit_held_for_payment_keeps_it_held_on_the_new_slot(today, django_user_model):
    _, slots, appointment, payment = held_visit(today)
    registrar = django_user_model.objects.create_user("r", password="x")
    target = slots[8]
    move_appointment(appointment, target.pk, actor=registrar, now=FROZEN_NOW)
    target.refresh_from_db()
    assert (target.state, target.hold_until) == (SlotState.HELD, payment.deadline)
    services.expire_unpaid(payment.pk, now=payment.deadline)
    target.refresh_from_db()
    assert target.state == SlotState.FREE


def test_a_held_visit_cannot_move_before_its_payment_deadline(today, django_user_model):
    _, slots, appointment, payment = held_visit(today, hours_before_visit=2)
    before_deadline = Slot.objects.filter(practitioner=appointment.practitioner, start__lt=payment.deadline).exclude(
        pk=appointment.slot_id
    )
    registrar = django_user_model.objects.create_user("r", password="x")
    earlier = before_deadline.filter(start__gt=FROZEN_NOW, state="free").order_by("start").first()
    with pytest.raises(InvalidBooking) as refused:
        move_appointment(appointment, earlier.pk, actor=registrar, now=FROZEN_NOW)
    assert refused.value.errors["slot"][0].startswith("Ta wizyta czeka na potwierdzenie lub płatność do ")


def test_a_gateway_without_its_secret_takes_no_notifications(today, client, settings):
    settings.AUTOPAY_SHARED_KEY = ""
    _, _, appointment, payment = held_visit(today, gateway="autopay")
    answer = client.post(NOTIFY.format("autopay"), b"transactions=x", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 404


def test_deeply_nested_json_is_malformed_not_a_server_error(client):
    body = "[" * 100000 + "]" * 100000
    assert client.post(NOTIFY.format("przelewy24"), body, content_type="application/json").status_code == 400


def test_report_dates_far_out_are_field_errors(today, client):
    provider, _, _, _ = held_visit(today)
    client.force_login(make_user("ada", provider, "admin"))
    response = client.get(reverse("clinic:payments"), {"date_to": "9999-12-31"})
    export = client.get(reverse("clinic:payments-export"), {"date_from": "0001-01-01"})
    assert (response.status_code, export.status_code) == (422, 200)
    assert response.context["form"].errors["date_to"] == ["Podaj datę z lat 2000–2099."]


def test_the_return_link_shows_the_status_but_opens_neither_the_payment_page_nor_the_visit(today, client):
    _, _, appointment, payment = held_visit(today)
    back = client.get(reverse("portal:payment-return", args=[payment.pk]), {"t": payment.return_token})
    page = client.get(reverse("portal:payment", args=[payment.pk]), {"t": payment.return_token})
    assert (back.status_code, page.status_code) == (200, 404)
    assert appointment.cancel_token not in back.content.decode()


# -- second review -------------------------------------------------------------------------------


def test_a_pending_surplus_refund_does_not_block_the_visits_own_refund(today, monkeypatch):
    _, _, appointment, payment = held_visit(today)
    paid(payment)
    second = paid(payment, session="TZPAIDN2", reference="777002")
    PaymentAttempt.objects.filter(pk=second.pk).update(surplus=True)
    monkeypatch.setattr(services, "_enqueue_refund_call", lambda refund_id: None)
    services.refund_surplus(second.pk, now=FROZEN_NOW)  # ordered, waiting for the gateway
    refund = services.request_refund(payment, Decimal("150.00"), reason="odwołanie")
    assert refund.amount == Decimal("150.00")


def test_an_automatic_refund_that_cannot_be_ordered_is_left_to_the_clinic(today, monkeypatch):
    from terminarz.booking.models import Appointment

    _, _, appointment, payment = held_visit(today)
    paid(payment)
    monkeypatch.setattr(services, "_enqueue_refund_call", lambda refund_id: None)
    services.request_refund(payment, Decimal("150.00"), reason="już zlecony")
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled", cancelled_at=FROZEN_NOW)
    services.appointment_ended(appointment.pk, by="user:1", now=FROZEN_NOW)
    payment.refresh_from_db()
    assert payment.refund_decision_due is True
    assert PaymentEvent.objects.filter(payment=payment, text__startswith="zwrot automatyczny nieudany").count() == 1


def test_control_characters_in_a_name_are_refused_when_booking(today):
    _, slots, _, _ = held_visit(today)
    with pytest.raises(InvalidBooking) as refused:
        book_appointment(slots[5].pk, {**PATIENT, "first_name": "Jan\x01"}, now=FROZEN_NOW)
    assert refused.value.errors == {"first_name": ["Usuń niedozwolone znaki (znaki sterujące)."]}


def test_an_invoice_with_control_characters_is_refused_and_takes_no_number(today, client):
    from terminarz.payments.models import Invoice

    provider, _, appointment, payment = held_visit(today)
    provider.nip = "6762461659"
    provider.save()
    paid(payment)
    client.force_login(make_user("ada", provider, "admin"))
    buyer = {"name": "Jan", "nip": "", "street": "ul. Lea\x02 10", "postal_code": "30-048", "city": "Kraków"}
    client.post(reverse("clinic:visit-payment", args=[appointment.pk]), {"action": "invoice", **buyer})
    assert Invoice.objects.count() == 0


def test_the_return_page_shows_only_the_payment(today, client):
    _, _, appointment, payment = held_visit(today)
    html = client.get(reverse("portal:payment-return", args=[payment.pk]), {"t": payment.return_token}).content.decode()
    assert appointment.reference not in html
    assert appointment.practitioner.last_name not in html


def test_a_non_ascii_digit_in_the_rule_chooser_is_not_a_server_error(today, client):
    provider, _, _, _ = held_visit(today)
    client.force_login(make_user("ada", provider, "admin"))
    assert client.get(reverse("clinic:payment-settings"), {"cel": "specjalista:²"}).status_code == 200


def test_a_pesel_alone_does_not_reveal_a_blacklisted_patient(today):
    from terminarz.patients.models import Patient
    from terminarz.payments.models import PaymentRule
    from tests.factories import VALID_PESEL

    provider, slots, _, _ = held_visit(today, blacklist_mandatory=True)
    rule = PaymentRule.objects.get(provider=provider)
    rule.requirement = "none"
    rule.save()  # through save(): the cached rules are dropped (payments.config)
    Patient.objects.create(provider=provider, first_name="Anna", last_name="Zła", pesel=VALID_PESEL, blacklisted=True)
    probe = book_appointment(slots[6].pk, {**PATIENT, "pesel": VALID_PESEL}, now=FROZEN_NOW)
    real = book_appointment(
        slots[8].pk,
        {**PATIENT, "first_name": "Anna", "last_name": "Zła", "pesel": VALID_PESEL, "email": "a@example.com"},
        now=FROZEN_NOW,
    )
    assert (probe.status, real.status) == ("confirmed", "held")
