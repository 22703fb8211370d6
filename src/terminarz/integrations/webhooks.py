"""Webhooks (K1): a provider's endpoint hears of its visits as they happen.

- `create` makes a webhook for some events and returns its secret once (stored encrypted: it
  signs every delivery). `set_active`, `rotate_secret`, `send_test`.
- The domain events (`core.events`: booked, cancelled, moved, status changes, payment settled)
  become `WebhookDelivery` rows – an outbox – one per subscribed webhook, with an event id
  derived from the event, so a repeated event is one delivery.
- `deliver` POSTs the JSON body with `Terminarz-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
  "<t>.<body>">`, `Terminarz-Event` and `Terminarz-Delivery` (the event id: the receiver's
  idempotency key). A 2xx answer delivers it; anything else is retried with exponential backoff
  (`BACKOFF`) by the periodic `deliver_due`, and after `MAX_ATTEMPTS` the delivery fails. Each
  attempt's answer code or error is kept for the back-office's delivery log.
- `verify` is the receiver's check: the signature and the timestamp within `TOLERANCE` (a
  replayed delivery is refused once the window passed).
- Destinations: https only and no private addresses unless `TERMINARZ_WEBHOOKS_ALLOW_PRIVATE`
  (development and tests); redirects are not followed.
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import uuid
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from terminarz.core import clock
from terminarz.core.audit import record_audit

from .models import WEBHOOK_EVENTS, DeliveryStatus, Webhook, WebhookDelivery

EVENT_NAMES = frozenset(name for name, _label in WEBHOOK_EVENTS)
TEST_EVENT = "ping"
MAX_ATTEMPTS = 8
BACKOFF = (60, 120, 300, 900, 1800, 3600, 7200)  # seconds after attempt 1, 2, …
TIMEOUT = 5.0
TOLERANCE = dt.timedelta(minutes=5)
NAMESPACE = uuid.UUID("6f1c2c1e-4f0a-4a57-9d2e-7b1f2e6a0c11")


class WebhookError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message, self.field = message, field


def check_url(url: str) -> str:
    """The URL a webhook may be made with (the address itself is checked at each delivery)."""
    parts = urlsplit(url.strip())
    allowed = ("https", "http") if settings.TERMINARZ_WEBHOOKS_ALLOW_PRIVATE else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise WebhookError(_("Podaj adres zaczynający się od https://."), field="url")
    if parts.username or parts.password:
        raise WebhookError(_("Adres nie może zawierać loginu ani hasła."), field="url")
    return url.strip()


def create(provider_id: int, *, url: str, events: list[str], actor, submission_key: str = "", now=None):
    """A new webhook and its secret (returned once)."""
    now = now or clock.now()
    url = check_url(url)
    if not events or set(events) - EVENT_NAMES:
        raise WebhookError(_("Wybierz co najmniej jedno zdarzenie z listy."), field="events")
    secret = "whsec_" + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            webhook = Webhook.objects.create(
                provider_id=provider_id,
                url=url,
                secret=secret,
                events=sorted(set(events)),
                created_at=now,
                created_by=actor,
                submission_key=submission_key[:64],
            )
            record_audit(
                provider_id=provider_id,
                action="integration.webhook_created",
                target=webhook,
                summary=f"Dodano webhook {url[:200]}, zdarzenia: " + ", ".join(webhook.events),
                actor=actor,
            )
    except IntegrityError as exc:
        raise WebhookError(_("Ten webhook już dodano, a jego sekret pokazaliśmy raz.")) from exc
    return webhook, secret


def set_active(webhook: Webhook, active: bool, *, actor) -> None:
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(is_active=active)
        record_audit(
            provider_id=webhook.provider_id,
            action="integration.webhook_enabled" if active else "integration.webhook_disabled",
            target=webhook,
            summary=f"{'Włączono' if active else 'Wyłączono'} webhook {webhook.url[:200]}",
            actor=actor,
        )


def rotate_secret(webhook: Webhook, *, actor) -> str:
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        webhook.secret = secret
        webhook.save(update_fields=["secret"])
        record_audit(
            provider_id=webhook.provider_id,
            action="integration.webhook_rotated",
            target=webhook,
            summary=f"Nowy sekret webhooka {webhook.url[:200]}",
            actor=actor,
        )
    return secret


# -- the outbox ---------------------------------------------------------------------------------


def event_id(event: str, data: dict) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, event + ":" + json.dumps(data, sort_keys=True, default=str))


def enqueue(
    provider_id: int, event: str, data: dict, *, identity: dict, now: dt.datetime | None = None
) -> list[WebhookDelivery]:
    """One delivery per active webhook of the provider subscribed to the event; `identity` (the
    domain event's payload) makes the event id, so the same event enqueued again adds nothing."""
    now = now or clock.now()
    ident = event_id(event, identity)
    made = []
    webhooks = Webhook.unscoped.filter(provider_id=provider_id, is_active=True)
    for webhook in webhooks:
        if event != TEST_EVENT and event not in webhook.events:
            continue
        body = {"id": str(ident), "type": event, "created": now.isoformat(), "data": data}
        delivery, created = WebhookDelivery.unscoped.get_or_create(
            webhook=webhook,
            event_id=ident,
            defaults={
                "provider_id": provider_id,
                "event": event,
                "payload": body,
                "created_at": now,
                "next_attempt_at": now,
            },
        )
        if created:
            made.append(delivery)
    return made


def send_test(webhook: Webhook, *, now: dt.datetime | None = None) -> WebhookDelivery:
    """ "Wyślij test": a `ping` delivered at once (and retried like any other)."""
    now = now or clock.now()
    data = {"webhook": webhook.pk, "nonce": secrets.token_hex(8)}
    ident = event_id(TEST_EVENT, data)
    body = {"id": str(ident), "type": TEST_EVENT, "created": now.isoformat(), "data": data}
    delivery = WebhookDelivery.unscoped.create(
        provider_id=webhook.provider_id,
        webhook=webhook,
        event_id=ident,
        event=TEST_EVENT,
        payload=body,
        created_at=now,
        next_attempt_at=now,
    )
    deliver(delivery.pk, now=now)
    delivery.refresh_from_db()
    return delivery


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: dt.datetime | None = None) -> bool:
    """The receiver's check: a valid signature made within `TOLERANCE` of now."""
    now = now or clock.now()
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _destination_refused(url: str) -> str:
    """Why this URL may not be called now ("" when it may): https only and no private,
    loopback or link-local address, unless allowed (development)."""
    parts = urlsplit(url)
    if settings.TERMINARZ_WEBHOOKS_ALLOW_PRIVATE:
        return ""
    if parts.scheme != "https" or not parts.hostname:
        return "tylko https"
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        return "nie znaleziono adresu"
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            return "adres prywatny"
    return ""


LEASE = dt.timedelta(seconds=60)  # an attempt in flight: no other worker takes the row meanwhile


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> bool:
    """One attempt at one delivery. The row is claimed first (a short lease, committed), the
    request is made outside any transaction, then its answer is recorded. True when the endpoint
    answered 2xx."""
    now = now or clock.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.unscoped.select_for_update(skip_locked=True)
            .select_related("webhook")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return False
        WebhookDelivery.unscoped.filter(pk=delivery.pk).update(next_attempt_at=now + LEASE)
    webhook = delivery.webhook
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    code, error = _post(webhook, delivery, body, now)
    attempts = delivery.attempts + 1
    changes: dict = {"attempts": attempts, "last_attempt_at": now, "response_code": code}
    if code is not None and 200 <= code < 300:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None, error="")
    else:
        changes["error"] = (error or f"HTTP {code}")[:200]
        if attempts >= MAX_ATTEMPTS or not webhook.is_active:
            changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            changes["next_attempt_at"] = now + dt.timedelta(seconds=BACKOFF[min(attempts - 1, len(BACKOFF) - 1)])
    WebhookDelivery.unscoped.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(**changes)
    return changes.get("status") == DeliveryStatus.DELIVERED


def _post(webhook: Webhook, delivery: WebhookDelivery, body: bytes, now: dt.datetime) -> tuple[int | None, str]:
    refused = _destination_refused(webhook.url)
    if refused:
        return None, refused
    if not webhook.is_active:
        return None, "webhook wyłączony"
    stamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Terminarz-Webhook/1",
        "Terminarz-Event": delivery.event,
        "Terminarz-Delivery": str(delivery.event_id),
        "Terminarz-Signature": signature(webhook.secret, stamp, body),
    }
    try:
        response = httpx.post(webhook.url, content=body, headers=headers, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    return response.status_code, ""


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """The periodic job: every pending delivery whose time has come, one attempt each."""
    now = now or clock.now()
    due = list(
        WebhookDelivery.unscoped.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if deliver(pk, now=now))
