"""Webhooks (K1): the admin adds a webhook (the secret shown once) and sends a test; booking,
cancelling and moving a visit are delivered over real HTTP to a local receiver, signed
(HMAC-SHA256 over the timestamp and the body) and verified by `webhooks.verify`, which refuses a
tampered body and a replay outside the 5-minute window; an endpoint that fails is retried with
backoff and, after the last attempt, the delivery fails; each attempt's answer is in the log;
the payload names the visit without personal data; another provider's webhook hears nothing."""

import datetime as dt
import http.server
import json
import threading

import pytest
import time_machine
from django.urls import reverse

from terminarz.booking.services import book_appointment, cancel_appointment_by_clinic, move_appointment
from terminarz.core.models import AuditEntry
from terminarz.integrations import webhooks
from terminarz.integrations.models import DeliveryStatus, Webhook, WebhookDelivery
from terminarz.scheduling.models import Slot
from tests.clinic.test_access import make_user
from tests.conftest import FROZEN_NOW
from tests.factories import PATIENT, clinic

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP endpoint that records what it gets and answers with `status`."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 204
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/terminarz"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict]:
        return [json.loads(item["body"]) for item in self.received]


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()


@pytest.fixture
def world(frozen, today):
    provider, unit, practitioner, schedule = clinic(today=today, days=3)
    slots = list(Slot.objects.filter(schedule=schedule, start__gt=FROZEN_NOW).order_by("start"))
    return provider, slots


def test_the_admin_adds_a_webhook_sees_the_secret_once_and_sends_a_test(client, world, receiver):
    provider, _slots = world
    admin = make_user("adm", provider, "admin")
    client.force_login(admin)
    page = client.get(reverse("clinic:integrations"))
    key = page.context["webhook_form"].initial["submission_key"]
    response = client.post(
        reverse("clinic:webhook-create"),
        {"webhook-url": receiver.url, "webhook-events": ["appointment.booked"], "webhook-submission_key": key},
    )
    secret = response.context["webhook_secret"]
    assert (response.status_code, response["Cache-Control"], secret[:6]) == (200, "no-store", "whsec_")
    webhook = Webhook.objects.get(provider=provider)
    assert secret not in client.get(reverse("clinic:integrations")).content.decode()
    tested = client.post(reverse("clinic:webhook", args=[webhook.pk]), {"action": "test"}, follow=True)
    assert [str(m) for m in tested.context["messages"]] == ["Test dostarczony – odpowiedź 204."]
    sent = receiver.received[0]
    assert json.loads(sent["body"])["type"] == "ping"
    assert webhooks.verify(secret, sent["headers"]["Terminarz-Signature"], sent["body"]) is True
    log = client.get(reverse("clinic:webhook", args=[webhook.pk])).content.decode()
    assert "HTTP 204" in log and "dostarczone" in log
    assert AuditEntry.objects.filter(provider=provider, action="integration.webhook_created").count() == 1


def test_a_bad_address_is_a_field_error(client, world):
    provider, _slots = world
    client.force_login(make_user("adm", provider, "admin"))
    response = client.post(
        reverse("clinic:webhook-create"),
        {"webhook-url": "ftp://example.com/x", "webhook-events": ["appointment.booked"]},
    )
    assert response.status_code == 422
    assert response.context["webhook_form"].errors == {"url": ["Podaj adres zaczynający się od https://."]}
    assert not Webhook.objects.exists()


def test_booking_cancelling_and_moving_are_delivered_signed_without_personal_data(
    world, receiver, django_capture_on_commit_callbacks
):
    provider, slots = world
    webhook, secret = webhooks.create(
        provider.pk,
        url=receiver.url,
        events=["appointment.booked", "appointment.cancelled", "appointment.moved"],
        actor=None,
    )
    registrar = make_user("rej", provider, "registrar")
    with django_capture_on_commit_callbacks(execute=True):
        visit = book_appointment(slots[0].pk, PATIENT)
    with django_capture_on_commit_callbacks(execute=True):
        visit = move_appointment(visit, slots[1].pk, actor=registrar)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment_by_clinic(visit, actor=None, actor_label="client:test", reason="Lekarz chory")
    assert [body["type"] for body in receiver.bodies()] == [
        "appointment.booked",
        "appointment.moved",
        "appointment.cancelled",
    ]
    booked = receiver.bodies()[0]["data"]
    assert booked["appointment"]["reference"] == visit.reference
    assert booked["appointment"]["fhir"].endswith(f"/fhir/r4/Appointment/{visit.pk}")
    everything = b"".join(item["body"] for item in receiver.received).decode()
    for personal in (PATIENT["first_name"], PATIENT["last_name"], PATIENT["email"]):
        assert personal not in everything
    for item in receiver.received:
        assert webhooks.verify(secret, item["headers"]["Terminarz-Signature"], item["body"]) is True
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == [DeliveryStatus.DELIVERED] * 3


def test_verify_refuses_a_tampered_body_and_a_replay_after_five_minutes():
    body = b'{"type":"appointment.booked"}'
    header = webhooks.signature("whsec_x", int(FROZEN_NOW.timestamp()), body)
    assert webhooks.verify("whsec_x", header, body, now=FROZEN_NOW) is True
    assert webhooks.verify("whsec_x", header, body + b" ", now=FROZEN_NOW) is False
    assert webhooks.verify("whsec_y", header, body, now=FROZEN_NOW) is False
    assert webhooks.verify("whsec_x", header, body, now=FROZEN_NOW + dt.timedelta(minutes=6)) is False
    assert webhooks.verify("whsec_x", "t=abc,v1=00", body, now=FROZEN_NOW) is False


def test_a_failing_endpoint_is_retried_with_backoff_then_the_delivery_fails(
    world, receiver, django_capture_on_commit_callbacks
):
    provider, slots = world
    webhooks.create(provider.pk, url=receiver.url, events=["appointment.booked"], actor=None)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(slots[0].pk, PATIENT)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.error) == (
        DeliveryStatus.PENDING,
        1,
        500,
        "HTTP 500",
    )
    assert delivery.next_attempt_at == FROZEN_NOW + dt.timedelta(seconds=60)
    with time_machine.travel(FROZEN_NOW + dt.timedelta(seconds=30), tick=False):
        assert webhooks.deliver_due() == 0  # not due yet
    for _attempt in range(2, webhooks.MAX_ATTEMPTS + 1):
        delivery.refresh_from_db()
        with time_machine.travel(delivery.next_attempt_at, tick=False):
            webhooks.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.FAILED,
        webhooks.MAX_ATTEMPTS,
        None,
    )
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS
    # The same delivery id every time: the receiver's idempotency key.
    assert len({item["headers"]["Terminarz-Delivery"] for item in receiver.received}) == 1


def test_a_recovered_endpoint_gets_the_retry(world, receiver, django_capture_on_commit_callbacks):
    provider, slots = world
    webhooks.create(provider.pk, url=receiver.url, events=["appointment.booked"], actor=None)
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(slots[0].pk, PATIENT)
    receiver.status = 200
    with time_machine.travel(FROZEN_NOW + dt.timedelta(seconds=61), tick=False):
        assert webhooks.deliver_due() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (DeliveryStatus.DELIVERED, 2, 200)


def test_the_same_event_twice_is_one_delivery_and_other_providers_hear_nothing(
    world, receiver, today, django_capture_on_commit_callbacks
):
    provider, slots = world
    other, *_rest = clinic(today=today, days=1)
    webhook, _secret = webhooks.create(provider.pk, url=receiver.url, events=["appointment.booked"], actor=None)
    webhooks.create(other.pk, url=receiver.url + "/inny", events=["appointment.booked"], actor=None)
    payload = {"appointment_id": 1, "provider_id": provider.pk}
    first = webhooks.enqueue(provider.pk, "appointment.booked", {"x": 1}, identity=payload)
    again = webhooks.enqueue(provider.pk, "appointment.booked", {"x": 2}, identity=payload)
    assert ([d.webhook_id for d in first], again) == ([webhook.pk], [])
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(slots[0].pk, PATIENT)
    assert [item["headers"]["Host"] for item in receiver.received] == [receiver.url.split("/")[2]]
    assert WebhookDelivery.objects.filter(webhook__provider=other).count() == 0


def test_production_refuses_http_and_private_addresses(world, settings):
    settings.TERMINARZ_WEBHOOKS_ALLOW_PRIVATE = False
    provider, _slots = world
    with pytest.raises(webhooks.WebhookError, match="https://"):
        webhooks.create(provider.pk, url="http://example.com/x", events=["appointment.booked"], actor=None)
    with pytest.raises(webhooks.WebhookError, match="portu 443"):
        webhooks.create(provider.pk, url="https://example.com:25/x", events=["appointment.booked"], actor=None)
    for address in ("127.0.0.1:9443", "[::ffff:10.0.0.1]:9443", "[64:ff9b::a00:1]:9443", "169.254.169.254"):
        webhook, _secret = webhooks.create(
            provider.pk, url=f"https://{address}/x", events=["appointment.booked"], actor=None
        )
        delivery = webhooks.send_test(webhook)
        assert (delivery.error, delivery.response_code, delivery.status) == (
            "adres prywatny",
            None,
            DeliveryStatus.PENDING,
        ), address


@pytest.mark.parametrize("url", ["https://example.com:99999/x", "https://" + "ą" * 70 + ".pl/x", "https://☃.net/x"])
def test_addresses_the_client_cannot_call_are_field_errors(client, world, url):
    provider, _slots = world
    client.force_login(make_user("adm", provider, "admin"))
    response = client.post(
        reverse("clinic:webhook-create"), {"webhook-url": url, "webhook-events": ["appointment.booked"]}
    )
    assert response.status_code == 422
    assert list(response.context["webhook_form"].errors) == ["url"]
    assert not Webhook.objects.exists()


def test_one_broken_row_never_stops_the_others(world, receiver, monkeypatch):
    provider, _slots = world
    broken, _s = webhooks.create(provider.pk, url=receiver.url + "/a", events=["appointment.booked"], actor=None)
    fine, _s = webhooks.create(provider.pk, url=receiver.url + "/b", events=["appointment.booked"], actor=None)
    webhooks.enqueue(provider.pk, "appointment.booked", {"x": 1}, identity={"event_id": "e1"})
    real_post = webhooks._post

    def post(webhook, *args):
        if webhook.pk == broken.pk:
            raise RuntimeError("boom")
        return real_post(webhook, *args)

    monkeypatch.setattr(webhooks, "_post", post)
    assert webhooks.deliver_due() == 1
    rows = dict(WebhookDelivery.objects.values_list("webhook_id", "error"))
    assert rows == {broken.pk: "RuntimeError", fine.pk: ""}


def test_the_same_move_twice_is_two_deliveries(world, receiver, django_capture_on_commit_callbacks):
    provider, slots = world
    webhooks.create(provider.pk, url=receiver.url, events=["appointment.moved"], actor=None)
    registrar = make_user("rej", provider, "registrar")
    visit = book_appointment(slots[0].pk, PATIENT)
    for target in (slots[1], slots[0], slots[1]):
        with django_capture_on_commit_callbacks(execute=True):
            visit = move_appointment(visit, target.pk, actor=registrar)
    assert [body["data"]["appointment"]["slot"] for body in receiver.bodies()] == [
        slots[1].pk,
        slots[0].pk,
        slots[1].pk,
    ]


def test_a_suspended_provider_gets_no_deliveries(world, receiver, django_capture_on_commit_callbacks):
    provider, slots = world
    webhooks.create(provider.pk, url=receiver.url, events=["appointment.booked"], actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(slots[0].pk, PATIENT)
    provider.is_active = False
    provider.save(update_fields=["is_active"])
    webhooks.enqueue(provider.pk, "appointment.booked", {"x": 1}, identity={"event_id": "later"})
    assert (len(receiver.received), WebhookDelivery.objects.count()) == (1, 1)


def test_verify_refuses_a_signature_that_is_not_ascii():
    assert webhooks.verify("whsec_x", f"t={int(FROZEN_NOW.timestamp())},v1=żółw", b"{}", now=FROZEN_NOW) is False


def test_a_disabled_webhook_gets_nothing_and_only_the_admin_manages_them(
    client, world, receiver, django_capture_on_commit_callbacks
):
    provider, slots = world
    webhook, _secret = webhooks.create(provider.pk, url=receiver.url, events=["appointment.booked"], actor=None)
    webhooks.set_active(webhook, False, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        book_appointment(slots[0].pk, PATIENT)
    assert (receiver.received, WebhookDelivery.objects.count()) == ([], 0)
    client.force_login(make_user("rej", provider, "registrar"))
    assert client.get(reverse("clinic:webhook", args=[webhook.pk])).status_code == 403
    other, *_rest = clinic(today=FROZEN_NOW.date(), days=1)
    client.force_login(make_user("obcy", other, "admin"))
    assert client.post(reverse("clinic:webhook", args=[webhook.pk]), {"action": "enable"}).status_code == 404
    webhook.refresh_from_db()
    assert webhook.is_active is False
