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
# Configuration only: staff accounts (security: removing a departed person, resetting a
# factor), schedules (blocking a slot from the calendar) and the insurers' work (OLS claims;
# the insurance service has its own terms) stay open.
TERMS_GATED = frozenset({"org.change", "services.change", "payers.change", "integrations.change", "settings.change"})
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
            if permission in TERMS_GATED and terms_pending(request, membership.provider_id):
                return redirect("clinic:terms")
            with provider_scope(membership.provider_id):
                return view(request, *args, **kwargs)

        wrapper.clinic_permission = permission  # type: ignore[attr-defined]
        return wrapper

    return decorator


def terms_pending(request, provider_id: int) -> bool:
    """A3: True (with the message) while the provider has not accepted the Regulamin
    Świadczeniodawcy in force; the caller then sends the person to "Regulaminy". Views that
    check a gated permission themselves (a POST inside a wider page) call it too."""
    if legal.provider_pending(provider_id, TERMS_KIND, clock.now()) is None:
        return False
    messages.warning(
        request,
        gettext(
            "Obowiązuje nowa wersja Regulaminu Świadczeniodawcy. Do czasu jej akceptacji przez "
            "administratora placówki zmiany ustawień są zablokowane; terminarz i wizyty działają."
        ),
    )
    return True


def get_for_provider(queryset: QuerySet[M], provider, pk) -> M:
    """Look an object up inside the provider; the same 404 whether missing or not yours."""
    try:
        return queryset.get(provider=provider, pk=int(pk))
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
