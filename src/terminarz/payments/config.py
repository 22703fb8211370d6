"""A provider's payment settings, rules and priced services, cached: every booking asks for
them, and providers rarely change them (a booking at a provider without payments costs no
query; one with payments costs none for them either).

The entry is dropped when a settings row, a rule or a service (its price, its practitioners,
its units) changes – now and once the change commits (a booking between the two may cache the
old rows; the second drop removes them). Changes must go through `save()`/`delete()` or the
related managers; several processes need the shared cache (Redis), as in production."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from terminarz.catalog.models import Service
from terminarz.staff.models import Practitioner

from .models import PaymentRule, PaymentSettings

# Short: a booking that read the old rows just before a change committed and cached them after
# the second drop keeps them at most this long.
TTL = 300


@dataclass(frozen=True)
class PricedService:
    service: Service
    practitioner_ids: frozenset[int]
    unit_ids: frozenset[int]  # empty: every unit


@dataclass(frozen=True)
class ProviderConfig:
    settings: PaymentSettings | None
    rules: tuple[PaymentRule, ...]
    services: tuple[PricedService, ...]  # cheapest first

    def visit_service(self, practitioner_id: int, unit_id: int) -> Service | None:
        """The practitioner's cheapest active public service done in the unit."""
        for priced in self.services:
            if practitioner_id in priced.practitioner_ids and (not priced.unit_ids or unit_id in priced.unit_ids):
                return priced.service
        return None


def _key(provider_id: int) -> str:
    return f"payments:config:{provider_id}"


def _load(provider_id: int) -> ProviderConfig:
    settings = PaymentSettings.objects.filter(provider_id=provider_id).first()
    if settings is None or not settings.enabled:
        return ProviderConfig(settings, (), ())
    rules = tuple(PaymentRule.objects.filter(provider_id=provider_id))
    services = []
    for service in (
        Service.objects.filter(provider_id=provider_id, is_active=True, self_service=True, price__gt=0)
        .prefetch_related("units", "practitioners")
        .order_by("price", "pk")
    ):
        services.append(
            PricedService(
                service=service,
                practitioner_ids=frozenset(p.pk for p in service.practitioners.all()),
                unit_ids=frozenset(u.pk for u in service.units.all()),
            )
        )
        service._prefetched_objects_cache = {}  # type: ignore[attr-defined]  # keep the cached entry small
    return ProviderConfig(settings, rules, tuple(services))


def provider_config(provider_id: int) -> ProviderConfig:
    found = cache.get(_key(provider_id))
    if found is None:
        found = _load(provider_id)
        cache.set(_key(provider_id), found, TTL)
    return found


def forget(provider_id: int) -> None:
    cache.delete(_key(provider_id))


def _forget_now_and_at_commit(provider_id: int) -> None:
    forget(provider_id)
    transaction.on_commit(lambda: forget(provider_id))


def _changed(sender, instance, **kwargs) -> None:
    _forget_now_and_at_commit(instance.provider_id)


def _m2m_changed(sender, instance, **kwargs) -> None:
    if kwargs.get("action", "").startswith("post_") or kwargs.get("action") == "pre_clear":
        _forget_now_and_at_commit(instance.provider_id)


for _model in (PaymentSettings, PaymentRule, Service):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"payments-config-save-{_model._meta.label}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"payments-config-delete-{_model._meta.label}")
m2m_changed.connect(_m2m_changed, sender=Practitioner.procedures.through, dispatch_uid="payments-config-procedures")
m2m_changed.connect(_m2m_changed, sender=Service.units.through, dispatch_uid="payments-config-service-units")
