"""Who may use the platform operator's desk, in one place: signed in, an active platform
account (`is_staff`) holding the permission "onboarding.operate_platform" (a support or
admin-only platform account without it gets nothing here), past the second sign-in factor
(always required here). Each view then runs in the operator scope (across providers, logged
with the path)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from terminarz.core.tenancy import operator_scope
from terminarz.factors import policy

PERMISSION = "onboarding.operate_platform"


def is_operator(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(PERMISSION))


def operator_view(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "operatordesk:login")
        if not is_operator(request.user):
            return render(request, "operatordesk/no_access.html", status=403)
        gate = policy.gate(request, entry=policy.OPERATOR_DESK)
        if gate is not None:
            return gate
        with operator_scope(request.user, request.path):
            return view(request, *args, **kwargs)

    return wrapper
