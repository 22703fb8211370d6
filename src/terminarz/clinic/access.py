"""The one place where back-office access is decided (B1, L3).

Every clinic view is wrapped in `clinic_view(permission)`: the signed-in user must have a
membership at the provider chosen for this session, must have given the second sign-in
factor when one is on or the provider requires it (L1), and that membership must have the
named permission. The view gets `request.provider` and `request.membership`; every query it makes
starts from `request.provider`, and `get_for_provider` returns the same 404 for "missing"
and "another provider's". Which calendars, visits and patient records inside the provider a
membership may read (least privilege: a practitioner's own, widened by per-person grants) is
decided next to this, in `scope.py`, with the same 404 for anything outside.

A3: while the provider has not accepted the Regulamin Świadczeniodawcy in force, the pages
that change its configuration (`TERMS_GATED`) send the person to "Regulaminy" instead; the
daily work (calendar, bookings, patients, visits) goes on, so a new version of the terms never
stops a registrar at 8 a.m."""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext

from terminarz.core import clock
from terminarz.core.tenancy import provider_scope
from terminarz.factors import policy as factor_policy
from terminarz.legal import services as legal
from terminarz.providers.models import Membership

SESSION_KEY = "clinic_provider_id"
TERMS_KIND = "provider"
TERMS_GATED = frozenset(
    {
        "org.change",
        "staff.change",
        "schedules.change",
        "services.change",
        "payers.change",
        "insurers.change",
        "integrations.change",
        "settings.change",
    }
)
M = TypeVar("M", bound=Model)


def current_membership(request) -> Membership | None:
    memberships = Membership.objects.filter(user=request.user, provider__is_active=True).select_related("provider")
    chosen = request.session.get(SESSION_KEY)
    membership = memberships.filter(provider_id=chosen).first() if chosen else None
    return membership or memberships.order_by("provider__name").first()


def clinic_view(permission: str) -> Callable:
    """Signed in, a member of an active provider, past the second factor, and holding
    `permission` ("" for any member: a page every role may open)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "clinic:login")
            membership = current_membership(request)
            if membership is None:
                return redirect("clinic:no-access")
            gate = factor_policy.gate(request, entry=factor_policy.CLINIC)
            if gate is not None:
                return gate
            # Known before the check, so a 403 page still shows the person's menu and "Wyloguj".
            request.membership = membership
            request.provider = membership.provider
            if permission and not membership.has_permission(permission):
                raise PermissionDenied(permission)
            if permission in TERMS_GATED and legal.provider_pending(membership.provider_id, TERMS_KIND, clock.now()):
                messages.warning(
                    request,
                    gettext(
                        "Obowiązuje nowa wersja Regulaminu Świadczeniodawcy. Do czasu jej akceptacji przez "
                        "administratora placówki zmiany ustawień są zablokowane; terminarz i wizyty działają."
                    ),
                )
                return redirect("clinic:terms")
            with provider_scope(membership.provider_id):
                return view(request, *args, **kwargs)

        wrapper.clinic_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorator


def get_for_provider(queryset: QuerySet[M], provider, pk) -> M:
    """Look an object up inside the provider; the same 404 whether missing or not yours."""
    try:
        return queryset.get(provider=provider, pk=int(pk))
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
