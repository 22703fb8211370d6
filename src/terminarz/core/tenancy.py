"""Tenancy scopes (L3) on django-scopes: a tenant-owned row cannot be read outside a scope.

Every model with a `provider` field (except `Membership`, the map from people to tenants that
sign-in reads) has `objects = TenantManager()`. Its queries need an active scope:

- `provider_scope(provider_id)` – clinic staff: `clinic_view` enters it for the request's
  provider, and every query on a tenant-owned model is then filtered to that provider on top
  of the view's own filters (a forgotten filter can no longer reach another tenant).
- `public_scope()` – the public portal, the public API and patient-account pages: reads across
  providers of what is public (published slots, practitioners, units) or filtered by the
  signed-in account. Entered by `TenancyMiddleware` for those paths.
- `system_scope()` – background tasks, periodic jobs, management commands: work across
  tenants by design; every task body enters it explicitly (`system_task`).
- `operator_scope(user, reason)` – platform staff (the Django admin); audited in the log.
- `insurer_scope(provider_ids)` – an insurer's desk (`payerdesk`): provider-owned rows only of
  the providers that sent the insurer an offer (the list is the insurer's business, computed by
  `insurers.desk.provider_ids`); the desk's own lookups also take the insurer.

Outside any scope a query on a tenant-owned model raises `ScopeError`
(`tests/core/test_tenancy.py` walks every such model).
"""

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import models
from django_scopes import scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope

log = logging.getLogger(__name__)

PROVIDER = "provider"
M = TypeVar("M", bound=models.Model)


class TenantManager(models.Manager[M]):
    """django-scopes' scoped manager on the `provider` dimension, as a plain class (so type
    checkers see the model's manager): inside `provider_scope(p)` every query is filtered to
    `provider=p`; in a disabled scope (public, system, operator) nothing is added; outside any
    scope the queryset refuses to run (`ScopeError`)."""

    dimension = PROVIDER
    field = "provider"

    def get_queryset(self) -> models.QuerySet[M]:
        current = get_scope()
        if not current.get("_enabled", True):
            return super().get_queryset()
        if self.dimension not in current:
            return DisabledQuerySet(self.model, using=self._db, missing_scopes={self.dimension})
        value = current[self.dimension]
        queryset = super().get_queryset()
        if isinstance(value, list | tuple):
            return queryset.filter(**{f"{self.field}__in": value})
        if value is not None:
            return queryset.filter(**{self.field: value})
        return queryset

    def all(self) -> models.QuerySet[M]:
        queryset = super().all()
        if isinstance(queryset, DisabledQuerySet):
            queryset = queryset.all()  # raises ScopeError
        return queryset


@contextlib.contextmanager
def provider_scope(provider_id: int) -> Iterator[None]:
    with scope(provider=provider_id):
        yield


@contextlib.contextmanager
def insurer_scope(provider_ids: list[int]) -> Iterator[None]:
    """An insurer's desk: provider-owned rows of these providers only (an empty list: none)."""
    with scope(provider=list(provider_ids) or [0]):
        yield


@contextlib.contextmanager
def public_scope() -> Iterator[None]:
    """Public reads across providers (portal, public API, a patient's own account pages)."""
    with scopes_disabled():
        yield


@contextlib.contextmanager
def system_scope() -> Iterator[None]:
    """Background work across tenants (tasks, periodic jobs, management commands)."""
    with scopes_disabled():
        yield


@contextlib.contextmanager
def operator_scope(user, reason: str) -> Iterator[None]:
    """Platform staff across tenants; who and why go to the log (no personal data)."""
    log.info("operator scope: user %s (%s)", getattr(user, "pk", None), reason)
    with scopes_disabled():
        yield


def system_task(func: Callable) -> Callable:
    """A task body runs in the system scope, whatever scope its caller had."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with system_scope():
            return func(*args, **kwargs)

    return wrapper


# Paths outside the back-office and their scope; `/gabinet/` gets its provider scope from
# `clinic_view`, after the person's membership is known, and `/ubezpieczyciel/` its insurer
# scope from `desk_view`.
PATH_SCOPES: tuple[tuple[str, str], ...] = (
    ("/gabinet/", ""),
    ("/ubezpieczyciel/", ""),  # `payerdesk.access.desk_view` enters the insurer's scope
    ("/operator/", ""),  # `operatordesk.access.operator_view` enters the operator scope
    ("/admin/", "operator"),
    ("/", "public"),
)


class TenancyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        kind = next(kind for prefix, kind in PATH_SCOPES if request.path.startswith(prefix))
        if kind == "public":
            with public_scope():
                return self.get_response(request)
        if kind == "operator":
            with operator_scope(request.user, request.path):
                return self.get_response(request)
        return self.get_response(request)
