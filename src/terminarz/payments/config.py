"""A provider's payment settings and rules, cached: every booking asks for them, and most
providers never change them (a booking at a provider without payments costs no query).

The entry is dropped when a settings row or a rule is saved or deleted – now and once the
change commits (a booking between the two may cache the old rows; the second drop removes
them). Changes must go through `save()`/`delete()`; several processes need the shared cache
(Redis), as in production."""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import PaymentRule, PaymentSettings

TTL = 3600


def _key(provider_id: int) -> str:
    return f"payments:config:{provider_id}"


def provider_config(provider_id: int) -> tuple[PaymentSettings | None, list[PaymentRule]]:
    """The provider's settings (None when it never set any) and all its rules."""
    found = cache.get(_key(provider_id))
    if found is None:
        settings = PaymentSettings.objects.filter(provider_id=provider_id).first()
        rules = list(PaymentRule.objects.filter(provider_id=provider_id)) if settings is not None else []
        found = (settings, rules)
        cache.set(_key(provider_id), found, TTL)
    return found


def forget(provider_id: int) -> None:
    cache.delete(_key(provider_id))


def _changed(sender, instance, **kwargs) -> None:
    provider_id = instance.provider_id
    forget(provider_id)
    transaction.on_commit(lambda: forget(provider_id))


for _model in (PaymentSettings, PaymentRule):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"payments-config-save-{_model._meta.label}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"payments-config-delete-{_model._meta.label}")
