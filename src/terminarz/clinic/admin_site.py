"""The platform's Django admin: signed in through the back-office sign-in, so the same
lockout applies, and let in only when `factor_policy` says the second factor is settled (L1).

Nothing here shows a person's second factor: no device admin (`terminarz.factors`, django-otp
plugins) nor allauth's authenticator admin is registered on this site (factors are set up by
their owner and reset by a provider admin in the back-office), and outbox messages are listed
without their payload or text (sign-in codes travel in them until delivery; both are also
encrypted at rest)."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy

from terminarz.factors import policy as factor_policy

# Models whose admin pages would show a factor secret, a QR code or recovery codes.
HIDDEN_MODELS = (
    "factors.TOTPDevice",
    "factors.EmailDevice",
    "factors.SmsDevice",
    "otp_totp.TOTPDevice",
    "otp_email.EmailDevice",
    "otp_static.StaticDevice",
    "mfa.Authenticator",
)


class TerminarzAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Terminarz – administracja")

    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        decision, _ = factor_policy.need(request, entry=factor_policy.ADMIN)
        return decision is factor_policy.Need.NOTHING

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index")
        if not request.user.is_authenticated:
            return redirect_to_login(next_url, reverse("clinic:login"))
        if request.user.is_active and request.user.is_staff:
            gate = factor_policy.gate(request, entry=factor_policy.ADMIN, next_url=next_url)
            if gate is not None:
                return gate
        raise PermissionDenied

    def unregister_factor_models(self) -> None:
        for registered in list(self._registry):
            if registered._meta.label in HIDDEN_MODELS:
                self.unregister(registered)
