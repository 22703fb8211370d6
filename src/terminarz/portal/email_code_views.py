"""The patient's e-mail code pages (E2): the code step of the sign-in (allauth login stage
`accounts.email_code.EmailCodeStage`) and turning the code on or off in the account."""

from allauth.account.stages import LoginStageController
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from terminarz.accounts.email_code import (
    APP_CODE,
    EMAIL_CODE,
    PASSWORD_ONLY,
    STAGE_KEY,
    drop_app_code,
    drop_email_code,
    email_device,
    has_totp,
    login_method,
)
from terminarz.accounts.forms import CurrentPasswordForm
from terminarz.factors.forms import CodeForm
from terminarz.factors.models import EmailDevice
from terminarz.factors.services import send_email_code

from .account_views import patient_view


@require_http_methods(["GET", "POST"])
def login_code(request):
    stage = LoginStageController.enter(request, STAGE_KEY)
    if stage is None:
        return redirect("account_login")
    device = email_device(stage.login.user)
    if device is None:
        return stage.exit()
    error = None
    if request.POST.get("action") == "resend":
        error = send_email_code(device, for_patient=True)
        if error is None:
            messages.success(request, gettext("Wysłaliśmy nowy kod."))
    form = CodeForm(request.POST if request.POST.get("action") == "verify" else None, device=device)
    if form.is_valid():
        return stage.exit()
    return render(
        request, "accounts/login_code.html", {"form": form, "error": error}, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@patient_view
def email_code_settings(request):
    """Turn the e-mail code on (after confirming one) or off."""
    user = request.user
    current = email_device(user)
    pending = EmailDevice.objects.filter(user=user, confirmed=False).first()
    action = request.POST.get("action")
    error = None
    form = None
    if action == "start":
        EmailDevice.objects.filter(user=user, confirmed=False).delete()
        pending = EmailDevice.objects.create(user=user, name="e-mail", confirmed=False, email=user.email)
        error = send_email_code(pending, for_patient=True)
    elif action == "confirm" and pending is not None:
        form = CodeForm(request.POST, device=pending)
        if form.is_valid():
            with transaction.atomic():
                EmailDevice.objects.filter(user=user).exclude(pk=pending.pk).delete()
                pending.confirmed = True
                pending.save(update_fields=["confirmed"])
                drop_app_code(user)  # one method at a time: the e-mail code replaces the app
            messages.success(request, gettext("Logujesz się teraz hasłem i kodem e-mail."))
            return redirect("account-login-method")
    elif action == "disable":
        # Going down to the password alone asks for the password ("Metoda logowania").
        return redirect("account-login-method")
    return render(
        request,
        "accounts/email_code.html",
        {
            "current": current,
            "pending": pending if current is None or action in ("start", "confirm") else None,
            "form": form or (CodeForm(device=pending) if pending else None),
            "error": error,
            "has_totp": has_totp(user),
        },
        status=422 if (form is not None and form.errors) or error else 200,
    )


class PasswordForm(CurrentPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Obecne hasło")
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


@require_http_methods(["GET", "POST"])
@patient_view
@ratelimit(key="user", rate="5/15m", method="POST", block=False)
def login_method_page(request):
    """E3 "Zmiana metody logowania": the password alone, the password and an e-mail code, or the
    password and a code from an authenticator app. Going down to the password alone asks for
    the password; the e-mail code is confirmed with a code sent to the address; the app is set
    up on allauth's page (scanning its QR code)."""
    user = request.user
    # The password is checked here outside the sign-in (and its lockout): a few tries at most.
    limited = request.method == "POST" and getattr(request, "limited", False)
    form = PasswordForm(None if limited else request.POST or None, user=user)
    if request.method == "POST" and not limited and form.is_valid():
        with transaction.atomic():
            drop_app_code(user)
            drop_email_code(user)
        messages.success(request, gettext("Logujesz się teraz samym hasłem."))
        return redirect("account-login-method")
    current = login_method(user)
    methods = [
        (PASSWORD_ONLY, _("Tylko hasło"), _("Najprostsze, ale najmniej bezpieczne.")),
        (EMAIL_CODE, _("Hasło i kod e-mail"), _("Po haśle wpiszesz kod, który wyślemy na Twój adres e-mail.")),
        (
            APP_CODE,
            _("Hasło i kod z aplikacji"),
            _("Po haśle wpiszesz kod z aplikacji uwierzytelniającej w telefonie (np. Google Authenticator)."),
        ),
    ]
    return render(
        request,
        "accounts/login_method.html",
        {
            "current": current,
            "methods": methods,
            "form": form,
            "error": gettext("Zbyt wiele prób. Spróbuj ponownie za kwadrans.") if limited else "",
        },
        status=429 if limited else 422 if form.errors else 200,
    )
