"""The operator suspends a provider (it leaves the portal at once: every public query and the
booking channels take only active providers; bookings already made stay) and reactivates it.
Its staff see why when they sign in; the provider is e-mailed; both are audited in the
provider's own log."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from terminarz.core import clock
from terminarz.core.audit import record_audit
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import queue_email
from terminarz.providers.models import Provider

from .services import OnboardingError


def suspend(provider: Provider, *, reason: str, actor, now: dt.datetime | None = None) -> Provider:
    reason = " ".join(reason.split())
    if not reason:
        raise OnboardingError(_("Podaj powód zawieszenia – placówka go zobaczy."), field="reason")
    return _set(provider, active=False, reason=reason[:500], actor=actor, now=now or clock.now())


def reactivate(provider: Provider, *, actor, now: dt.datetime | None = None) -> Provider:
    return _set(provider, active=True, reason="", actor=actor, now=now or clock.now())


def _set(provider: Provider, *, active: bool, reason: str, actor, now: dt.datetime) -> Provider:
    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        if locked.is_active == active:
            raise OnboardingError(_("Placówka jest już aktywna.") if active else _("Placówka jest już zawieszona."))
        locked.is_active = active
        locked.suspended_reason = reason
        locked.suspended_at = None if active else now
        locked.save(update_fields=["is_active", "suspended_reason", "suspended_at"])
        record_audit(
            provider_id=locked.pk,
            action="provider.reactivated" if active else "provider.suspended",
            target=locked,
            summary="Operator przywrócił placówkę" if active else "Operator zawiesił placówkę",
            actor=actor,
            changes={"is_active": [not active, active], **({"reason": reason} if reason else {})},
            at=now,
        )
        if locked.email:
            queue_email(
                provider=locked,
                kind="provider_status",
                recipient=locked.email,
                template="onboarding/email/provider_status",
                context={"provider_id": locked.pk, "active": active, "reason": reason},
                idempotency_key=f"provider_status:{locked.pk}:{active}:{now.isoformat()}",
            )
    return locked


@register_context("provider_status")
def status_context(stored: dict) -> dict:
    return {
        "provider": Provider.objects.get(pk=stored["provider_id"]),
        "active": stored["active"],
        "reason": stored["reason"],
    }
