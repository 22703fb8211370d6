"""Integration credentials and the connection status (A7).

- `create` / `rotate` return the secret once; only its keyed hash is kept (`core.crypto`).
- `authenticate(client_id, secret)` compares in constant time and refuses revoked credentials.
- `record_contact` is called by every authenticated call (the API's ping today, the FHIR API
  later): the connection becomes "Aktywna"; after a loss the provider is told it is restored.
- `issue_token` (OAuth2 client credentials, RFC 6749 §4.4) gives a bearer token for some of the
  credential's scopes; `token_owner` finds its credential on each call (or None: expired,
  revoked, rotated since, unknown).
- `check_connections` (periodic): a credential without contact for longer than its threshold
  becomes "Utracona" and the provider is e-mailed once.
"""

import datetime as dt
import hmac
import re
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.core.crypto import secret_hash, secret_hash_candidates, secret_hash_matches
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import queue_email

from .models import SCOPES, AccessToken, ApiCredential, ConnectionState

PURPOSE = "api-credential"
SCOPE_NAMES = frozenset(name for name, _label in SCOPES)


class CredentialError(Exception):
    def __init__(self, message: str, *, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.field = field


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class AlreadyCreated(CredentialError):
    """The same form was sent again: its credential exists and its secret was shown once."""


def create(
    provider_id: int,
    *,
    name: str,
    scopes: list[str],
    alert_after_minutes: int,
    actor,
    submission_key: str = "",
    now=None,
):
    """A new credential and its secret (returned once)."""
    now = now or clock.now()
    key = submission_key[:64]
    if key and ApiCredential.objects.filter(provider_id=provider_id, submission_key=key).exists():
        raise AlreadyCreated(
            _("Te dane dostępowe już utworzono, a sekret pokazaliśmy raz. Jeśli go nie zapisano, użyj „Nowy sekret”.")
        )
    unknown = set(scopes) - SCOPE_NAMES
    if unknown or not scopes:
        raise CredentialError(_("Wybierz co najmniej jeden zakres dostępu z listy."), field="scopes")
    secret = _new_secret()
    try:
        credential = _insert(provider_id, name, scopes, alert_after_minutes, actor, key, secret, now)
    except IntegrityError as exc:  # the same form sent twice at once
        raise AlreadyCreated(
            _("Te dane dostępowe już utworzono, a sekret pokazaliśmy raz. Jeśli go nie zapisano, użyj „Nowy sekret”.")
        ) from exc
    return credential, secret


def _insert(provider_id, name, scopes, alert_after_minutes, actor, key, secret, now) -> ApiCredential:
    with transaction.atomic():
        credential = ApiCredential.objects.create(
            provider_id=provider_id,
            name=name.strip(),
            client_id="tz_" + secrets.token_hex(12),
            secret_hash=secret_hash(PURPOSE, secret),
            scopes=sorted(set(scopes)),
            alert_after_minutes=alert_after_minutes,
            created_at=now,
            created_by=actor,
            submission_key=key,
        )
        record_audit(
            provider_id=provider_id,
            action="integration.created",
            target=credential,
            summary=f"Utworzono dane dostępowe API „{credential.name}” ({credential.client_id}), zakres: "
            + ", ".join(credential.scopes),
            actor=actor,
        )
    return credential


def rotate(credential: ApiCredential, *, actor, rotation_key: str = "", now=None) -> str:
    """A new secret; the old one stops working at once. The same "Nowy sekret" form sent again
    (its key) changes nothing, so a refreshed page cannot break the secret just copied."""
    now = now or clock.now()
    key = rotation_key[:64]
    secret = _new_secret()
    with transaction.atomic():
        locked = ApiCredential.objects.select_for_update().get(pk=credential.pk)
        if locked.revoked_at is not None:
            raise CredentialError(_("Te dane dostępowe są unieważnione."))
        if key and locked.rotation_key == key:
            raise AlreadyCreated(
                _("Nowy sekret już wygenerowano i pokazano raz. Jeśli go nie zapisano, wygeneruj kolejny.")
            )
        ApiCredential.objects.filter(pk=credential.pk).update(
            secret_hash=secret_hash(PURPOSE, secret), rotated_at=now, rotation_key=key
        )
        record_audit(
            provider_id=credential.provider_id,
            action="integration.rotated",
            target=credential,
            summary=f"Wygenerowano nowy sekret dla „{credential.name}” ({credential.client_id})",
            actor=actor,
        )
    return secret


def revoke(credential: ApiCredential, *, actor, now=None) -> None:
    now = now or clock.now()
    with transaction.atomic():
        updated = ApiCredential.objects.filter(pk=credential.pk, revoked_at__isnull=True).update(revoked_at=now)
        if updated:
            record_audit(
                provider_id=credential.provider_id,
                action="integration.revoked",
                target=credential,
                summary=f"Unieważniono dane dostępowe „{credential.name}” ({credential.client_id})",
                actor=actor,
            )


CLIENT_ID = re.compile(r"tz_[0-9a-f]{24}")


def authenticate(client_id: str, secret: str) -> ApiCredential | None:
    if not CLIENT_ID.fullmatch(client_id):
        secret_hash(PURPOSE, secret)
        return None
    credential = ApiCredential.unscoped.filter(client_id=client_id, revoked_at__isnull=True).first()
    if credential is None:
        secret_hash(PURPOSE, secret)  # the same work either way: no timing hint which ids exist
        return None
    if not secret_hash_matches(PURPOSE, secret, credential.secret_hash):
        return None
    return credential


def record_contact(credential: ApiCredential, *, now: dt.datetime | None = None) -> ApiCredential:
    now = now or clock.now()
    with transaction.atomic():
        was = ApiCredential.unscoped.select_for_update().get(pk=credential.pk)
        ApiCredential.unscoped.filter(pk=was.pk).update(last_contact_at=now, state=ConnectionState.ACTIVE)
        if was.state == ConnectionState.LOST:
            _alert(was, "integration_restored", now)
    credential.last_contact_at, credential.state = now, ConnectionState.ACTIVE
    return credential


def _alert(credential: ApiCredential, kind: str, now: dt.datetime) -> None:
    provider = credential.provider
    if not provider.email:
        return
    queue_email(
        provider=provider,
        kind=kind,
        recipient=provider.email,
        template=f"integrations/email/{kind.removeprefix('integration_')}",
        context={"credential_id": credential.pk},
        idempotency_key=f"{kind}:{credential.pk}:{now.isoformat()}",
    )


def check_connections(*, now: dt.datetime | None = None) -> int:
    """Credentials silent for longer than their threshold become "Utracona" (one e-mail each)."""
    now = now or clock.now()
    lost = 0
    for credential in ApiCredential.unscoped.filter(
        revoked_at__isnull=True, state=ConnectionState.ACTIVE
    ).select_related("provider"):
        if credential.last_contact_at and credential.last_contact_at < now - dt.timedelta(
            minutes=credential.alert_after_minutes
        ):
            with transaction.atomic():
                updated = ApiCredential.unscoped.filter(
                    pk=credential.pk, state=ConnectionState.ACTIVE, last_contact_at=credential.last_contact_at
                ).update(state=ConnectionState.LOST)
                if updated:
                    _alert(credential, "integration_lost", now)
                    lost += 1
    return lost


@register_context("integration_lost")
@register_context("integration_restored")
def alert_context(stored: dict) -> dict:
    return {"credential": ApiCredential.unscoped.select_related("provider").get(pk=stored["credential_id"])}


# -- OAuth2 client credentials (bearer tokens) --------------------------------------------------

TOKEN_PURPOSE = "api-access-token"
TOKEN_LIFETIME = dt.timedelta(hours=1)
TOKEN_PREFIX = "tzat_"
TOKEN_SHAPE = re.compile(r"tzat_[A-Za-z0-9_-]{43}")


class TokenError(Exception):
    """An OAuth2 error (RFC 6749 §5.2): `error` is the protocol's code, the message is Polish."""

    def __init__(self, error: str, message: str, status: int = 400):
        super().__init__(message)
        self.error, self.message, self.status = error, message, status


def issue_token(client_id: str, secret: str, scope: str | None, *, now: dt.datetime | None = None):
    """A bearer token for the credential; `scope` (space-separated) narrows it to some of the
    credential's scopes, absent it gets them all. Returns (token, scopes, lifetime in seconds)."""
    now = now or clock.now()
    credential = authenticate(client_id, secret)
    if credential is None or not credential.provider.is_active:  # a suspended provider: no access
        raise TokenError(
            "invalid_client",
            _("Nieprawidłowy identyfikator klienta lub sekret (albo dane dostępowe unieważniono)."),
            401,
        )
    asked = scope.split() if scope is not None else list(credential.scopes)
    if not asked or any(name not in credential.scopes for name in asked):
        outside = sorted(set(asked) - set(credential.scopes))
        raise TokenError(
            "invalid_scope",
            _("Te dane dostępowe nie obejmują zakresu: %(scopes)s.") % {"scopes": ", ".join(outside)[:200]}
            if outside
            else _("Podaj co najmniej jeden zakres."),
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    AccessToken.unscoped.create(
        provider_id=credential.provider_id,
        credential=credential,
        token_hash=secret_hash(TOKEN_PURPOSE, token),
        scopes=sorted(set(asked)),
        # The secret it was issued for: a rotation (a new secret) ends it, whatever the timing.
        credential_version=credential.secret_hash[:16],
        issued_at=now,
        expires_at=now + TOKEN_LIFETIME,
    )
    record_contact(credential, now=now)
    return token, sorted(set(asked)), int(TOKEN_LIFETIME.total_seconds())


def token_owner(token: str, *, now: dt.datetime | None = None) -> AccessToken | None:
    """The live token (with its credential and provider loaded), or None."""
    now = now or clock.now()
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    found = (
        AccessToken.unscoped.select_related("credential__provider")
        .filter(
            token_hash__in=secret_hash_candidates(TOKEN_PURPOSE, token),
            expires_at__gt=now,
            credential__revoked_at__isnull=True,
            credential__provider__is_active=True,
        )
        .first()
    )
    if found is None or not hmac.compare_digest(found.credential_version, found.credential.secret_hash[:16]):
        return None
    return found


def purge_expired_tokens(*, now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    deleted, _by_model = AccessToken.unscoped.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
    return deleted
