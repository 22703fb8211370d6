"""The operator's Django admin: signed in through the back-office sign-in, so the same
lockout and second-factor rules apply (L1)."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse


class TerminarzAdminSite(admin.AdminSite):
    site_header = "Terminarz – administracja"

    def has_permission(self, request) -> bool:
        from terminarz.clinic.two_factor import confirmed_device

        if not super().has_permission(request):
            return False
        return request.user.is_verified() or confirmed_device(request.user) is None

    def login(self, request, extra_context=None):
        from terminarz.clinic import two_factor

        next_url = request.GET.get("next") or reverse("admin:index")
        if not request.user.is_authenticated:
            return redirect_to_login(next_url, reverse("clinic:login"))
        if not request.user.is_verified() and two_factor.start_after_password(request, request.user, next_url):
            return redirect("clinic:2fa-verify")
        raise PermissionDenied
