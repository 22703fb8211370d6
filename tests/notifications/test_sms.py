"""I1 SMS channel: the SMSAPI-style HTTP adapter against the local stand-in (real HTTP),
idempotency, retries, permanent errors, status callbacks; I2 reminders under a frozen clock."""

import datetime as dt

import pytest
from django.urls import reverse

from terminarz.booking.reminders import send_due_reminders
from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic
from terminarz.notifications.models import Message
from terminarz.notifications.services import deliver_message, queue_sms
from terminarz.notifications.sms import normalize_phone, send_sms, to_gsm
from terminarz.notifications.smsapi_standin import serve
from terminarz.providers.models import settings_for
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    server, state = serve(token="sekret")
    settings.SMS_BACKEND = "smsapi"
    settings.SMS_API_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SMS_API_TOKEN = "sekret"
    yield state
    server.shutdown()


def test_phone_numbers_and_gsm_text():
    assert normalize_phone("600 100 200") == "48600100200"
    assert normalize_phone("+48 600-100-200") == "48600100200"
    assert normalize_phone("0048600100200") == "48600100200"
    assert normalize_phone("12 34") is None
    assert to_gsm("Wizyta odwołana – żółć") == "Wizyta odwolana - zolc"


def test_adapter_speaks_http_with_bearer_token_and_idx(gateway):
    result = send_sms(to="48600100200", text="Test", idempotency_key="k-1")
    assert result.status == "QUEUE" and result.external_id
    again = send_sms(to="48600100200", text="Test", idempotency_key="k-1")
    assert again.external_id == result.external_id and len(gateway.sent) == 1  # no duplicate send


def test_wrong_token_is_a_permanent_error(gateway, settings):
    from terminarz.notifications.sms import SmsError

    settings.SMS_API_TOKEN = "zly"
    with pytest.raises(SmsError) as exc:
        send_sms(to="48600100200", text="Test", idempotency_key="k-2")
    assert exc.value.permanent


def queued_sms(provider, key="sms:test:1"):
    _, _, _, schedule = clinic(today=FROZEN_NOW.date(), days=2, provider=provider)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    appointment = book_appointment(slot.pk, PATIENT)
    return queue_sms(
        provider=provider,
        kind="booking_reminder",
        phone=appointment.phone,
        template="booking/email/reminder",
        context={"appointment": appointment.pk},
        idempotency_key=key,
    )


def test_worker_delivers_sms_records_status_and_retries(gateway, frozen):
    from tests.factories import make_provider

    message = queued_sms(make_provider())
    gateway.fail_next = 1
    assert deliver_message(message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == "pending" and message.attempts == 1 and "503" in message.last_error
    frozen.shift(dt.timedelta(minutes=2))
    assert deliver_message(message.pk) == "sent"
    message.refresh_from_db()
    assert message.status == "sent" and message.delivery_status == "QUEUE" and message.external_id
    (sent,) = gateway.sent
    assert sent["number"] == "48600100200" and "Przypomnienie" in sent["message"] and "ą" not in sent["message"]


def test_status_callback_updates_delivery_status(client, gateway, settings, frozen):
    from tests.factories import make_provider

    settings.SMS_CALLBACK_SECRET = "cb-secret"
    message = queued_sms(make_provider())
    deliver_message(message.pk)
    message.refresh_from_db()
    url = reverse("sms-status")
    assert client.get(url, {"MsgId": message.external_id, "status_name": "DELIVERED"}).status_code == 403
    assert (
        client.get(url, {"MsgId": message.external_id, "status_name": "DELIVERED", "secret": "cb-secret"}).content
        == b"OK"
    )
    message.refresh_from_db()
    assert message.delivery_status == "DELIVERED"


def test_clinic_cancel_sends_an_sms_too(today):
    provider, _, _, schedule = clinic(today=today, days=2)
    slot = Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).first()
    appointment = book_appointment(slot.pk, PATIENT)
    cancel_appointment_by_clinic(
        appointment, actor=make_user("rachel", provider, "registrar"), reason="Choroba lekarza"
    )
    sms = Message.objects.get(channel="sms")
    assert sms.kind == "booking_cancelled_by_clinic" and sms.recipient == "48600100200"
    assert sms.patient == appointment.patient


def test_reminders_once_per_visit_time_by_email_and_sms(today, frozen):
    provider, _, _, schedule = clinic(today=today, days=4)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    later = [s for s in slots if s.start > FROZEN_NOW + dt.timedelta(hours=30)]
    visit = book_appointment(later[0].pk, PATIENT)
    soon = book_appointment(slots[0].pk, {**PATIENT, "email": "b@example.com"})  # booked inside the window
    assert send_due_reminders() == 0
    frozen.move_to(visit.start - dt.timedelta(hours=23))
    assert send_due_reminders() == 1
    kinds = sorted(Message.objects.filter(kind="booking_reminder").values_list("channel", flat=True))
    assert kinds == ["email", "sms"]
    assert send_due_reminders() == 0  # once
    # The visit booked inside the window is confirmed but gets no reminder.
    assert soon.status == "confirmed"
    assert not Message.objects.filter(kind="booking_reminder", recipient="b@example.com").exists()


def test_reminder_settings_off_or_email_only(today, frozen):
    provider, _, _, schedule = clinic(today=today, days=4)
    rules = settings_for(provider.pk)
    rules.reminder_sms = False
    rules.save()
    slot = [
        s
        for s in Slot.objects.filter(schedule=schedule).order_by("start")
        if s.start > FROZEN_NOW + dt.timedelta(hours=30)
    ][0]
    visit = book_appointment(slot.pk, PATIENT)
    frozen.move_to(visit.start - dt.timedelta(hours=2))
    send_due_reminders()
    assert list(Message.objects.filter(kind="booking_reminder").values_list("channel", flat=True)) == ["email"]
    rules.reminder_hours = 0
    rules.save()
    Message.objects.all().delete()
    visit.reminded_for = None
    visit.save()
    assert send_due_reminders() == 0


def test_reminder_across_the_dst_weekend(frozen):
    """A visit on the Monday after the October clock change is reminded 24 real hours ahead."""
    import zoneinfo

    warsaw = zoneinfo.ZoneInfo("Europe/Warsaw")
    frozen.move_to(dt.datetime(2026, 10, 23, 9, 0, tzinfo=dt.UTC))
    provider, _, _, schedule = clinic(today=dt.date(2026, 10, 23), days=5)
    monday = dt.date(2026, 10, 26)
    slot = Slot.objects.filter(schedule=schedule, day=monday).order_by("start").first()
    visit = book_appointment(slot.pk, PATIENT)
    assert visit.start.astimezone(warsaw).hour == 8
    frozen.move_to(visit.start - dt.timedelta(hours=24, minutes=5))
    assert send_due_reminders() == 0
    frozen.move_to(visit.start - dt.timedelta(hours=23, minutes=55))
    assert send_due_reminders() == 1
