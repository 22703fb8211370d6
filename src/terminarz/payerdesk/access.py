"""Who may use an insurer's desk, in one place: signed in, working for an active insurer, past
the second sign-in factor (always required here), and holding the role the page needs. Each
view then runs in the insurer's tenancy scope: provider-owned rows only of the providers that
sent the insurer an offer (`core.tenancy.insurer_scope`)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from terminarz.core.tenancy import insurer_scope
from terminarz.factors import policy
from terminarz.insurers import desk
from terminarz.insurers.models import InsurerMembership, InsurerRole

SESSION_KEY = "payerdesk_insurer_id"
ANY = ""


def current_membership(request) -> InsurerMembership | None:
    memberships = InsurerMembership.objects.filter(
        user=request.user, is_active=True, insurer__is_active=True
    ).select_related("insurer")
    chosen = request.session.get(SESSION_KEY)
    found = memberships.filter(insurer_id=chosen).first() if chosen else None
    return found or memberships.order_by("insurer__name").first()


def desk_view(role: str) -> Callable:
    """`role`: "admin" for the insurer's own decisions (offers, terms, codes), ANY for every
    person of the insurer."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "payerdesk:login")
            membership = current_membership(request)
            if membership is None:
                return render(request, "payerdesk/no_access.html", status=403)
            gate = policy.gate(request, entry=policy.INSURER_DESK, also=(membership.insurer.name,))
            if gate is not None:
                return gate
            request.insurer_membership = membership
            request.insurer = membership.insurer
            if role == InsurerRole.ADMIN and membership.role != InsurerRole.ADMIN:
                raise PermissionDenied(role)
            with insurer_scope(desk.provider_ids(membership.insurer_id)):
                return view(request, *args, **kwargs)

        wrapper.desk_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorator
