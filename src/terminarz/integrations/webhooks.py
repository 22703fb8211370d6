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
  (development and tests); the checked address is the one connected to (no second lookup);
  redirects are not followed; only the answer's status is read (never its body). Old delivery
  rows are deleted after `KEEP`.
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
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

log = logging.getLogger(__name__)
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
    url = url.strip()
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.TERMINARZ_WEBHOOKS_ALLOW_PRIVATE else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise WebhookError(_("Podaj adres zaczynający się od https://."), field="url")
    if parts.username or parts.password:
        raise WebhookError(_("Adres nie może zawierać loginu ani hasła."), field="url")
    try:
        port = parts.port
        httpx.URL(url)  # what the client will accept (its IDNA rules are stricter)
        parts.hostname.encode("idna")
    except (ValueError, UnicodeError, httpx.InvalidURL):
        raise WebhookError(_("Ten adres jest niepoprawny – sprawdź nazwę serwera i port."), field="url") from None
    if port is not None and port < 1024 and port != 443 and not settings.TERMINARZ_WEBHOOKS_ALLOW_PRIVATE:
        raise WebhookError(_("Użyj portu 443 albo portu od 1024 wzwyż."), field="url")
    return url


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
    webhooks = Webhook.unscoped.filter(provider_id=provider_id, is_active=True, provider__is_active=True)
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
    """ "Wyślij test": a `ping`, sent by the worker at once (never from the web request) and
    retried like any other. Returns the row as it stands once the task is queued."""
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
    from .tasks import deliver_webhook_task

    deliver_webhook_task.enqueue(delivery.pk)
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
    given = parts.get("v1", "")
    return given.isascii() and hmac.compare_digest(expected.encode(), given.encode())


NOT_PUBLIC_V6 = (
    ipaddress.ip_network("::/96"),  # IPv4-compatible
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64
    ipaddress.ip_network("2002::/16"),  # 6to4
)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if not ip.is_global:
        return False
    return not (ip.version == 6 and any(ip in network for network in NOT_PUBLIC_V6))


def _destination(url: str) -> tuple[str, str]:
    """(address to connect to, "") or ("", why not): in production the host's addresses are
    resolved once and must all be public; the request then goes to the one checked (no second
    lookup to be rebound), with the host name kept for TLS and the Host header."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
        if settings.TERMINARZ_WEBHOOKS_ALLOW_PRIVATE:
            return host, ""
        if parts.scheme != "https" or not host:
            return "", "tylko https"
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (ValueError, UnicodeError, OSError):
        return "", "nie znaleziono adresu"
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        return "", "nie znaleziono adresu"
    if not all(_public(address) for address in addresses):
        return "", "adres prywatny"
    return addresses[0], ""


LEASE = dt.timedelta(seconds=60)  # an attempt in flight: no other worker takes the row meanwhile
# The answer's headers must come within this; its body is never read.
REQUEST_TIMEOUT = httpx.Timeout(TIMEOUT, connect=TIMEOUT)


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> bool:
    """One attempt at one delivery. The row is claimed first (a lease until `now + LEASE`,
    committed), the request is made outside any transaction, then its answer is recorded –
    only while the lease is still ours. True when the endpoint answered 2xx."""
    now = now or clock.now()
    lease = now + LEASE
    with transaction.atomic():
        delivery = (
            WebhookDelivery.unscoped.select_for_update(skip_locked=True)
            .select_related("webhook__provider")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return False
        WebhookDelivery.unscoped.filter(pk=delivery.pk).update(next_attempt_at=lease)
    webhook = delivery.webhook
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    try:
        code, error = _post(webhook, delivery, body, now)
    except Exception as exc:  # anything unforeseen counts as a failed attempt, never a stuck row
        code, error = None, type(exc).__name__
    attempts = delivery.attempts + 1
    changes: dict = {"attempts": attempts, "last_attempt_at": now, "response_code": code}
    if code is not None and 200 <= code < 300:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None, error="")
    else:
        changes["error"] = (error or f"HTTP {code}")[:200]
        if attempts >= MAX_ATTEMPTS or not webhook.is_active or not webhook.provider.is_active:
            changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            changes["next_attempt_at"] = now + dt.timedelta(seconds=BACKOFF[min(attempts - 1, len(BACKOFF) - 1)])
    WebhookDelivery.unscoped.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, next_attempt_at=lease).update(
        **changes
    )
    return changes.get("status") == DeliveryStatus.DELIVERED


def _post(webhook: Webhook, delivery: WebhookDelivery, body: bytes, now: dt.datetime) -> tuple[int | None, str]:
    if not (webhook.is_active and webhook.provider.is_active):
        return None, "webhook wyłączony"
    address, refused = _destination(webhook.url)
    if refused:
        return None, refused
    parts = urlsplit(webhook.url)
    host = parts.hostname or ""
    stamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Terminarz-Webhook/1",
        "Terminarz-Event": delivery.event,
        "Terminarz-Delivery": str(delivery.event_id),
        "Terminarz-Signature": signature(webhook.secret, stamp, body),
    }
    url = httpx.URL(webhook.url)
    extensions = {}
    if address != host:  # pinned: connect to the checked address, keep the name for TLS and Host
        headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
        extensions["sni_hostname"] = host
        url = url.copy_with(host=address)
    try:
        with httpx.Client(timeout=REQUEST_TIMEOUT, follow_redirects=False) as client:
            request = client.build_request("POST", url, content=body, headers=headers, extensions=extensions)
            response = client.send(request, stream=True)  # the status only: the body is never read
            response.close()
            return response.status_code, ""
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    except (httpx.InvalidURL, ValueError, UnicodeError):
        return None, "niepoprawny adres"


KEEP = dt.timedelta(days=90)


def deliver_due(*, limit: int = 200) -> int:
    """The periodic job: every pending delivery whose time has come, one attempt each (each at
    its own moment: a slow batch never signs with a stale time); then the log's old rows go."""
    now = clock.now()
    due = list(
        WebhookDelivery.unscoped.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    delivered = 0
    for pk in due:
        try:
            delivered += deliver(pk)
        except Exception:  # one bad row never stops the others
            log.exception("webhook delivery %s failed", pk)
    WebhookDelivery.unscoped.filter(created_at__lt=now - KEEP).exclude(status=DeliveryStatus.PENDING).delete()
    return delivered
