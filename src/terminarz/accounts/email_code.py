"""Optional e-mail code as the patient's second sign-in factor (E2), next to allauth's TOTP:
an allauth login stage asks for a code sent to the account's e-mail (`factors.EmailDevice`, a
django-otp device keeping only a keyed hash of the code; the same mechanism as the staff's
e-mail factor)."""

from allauth.account.stages import LoginStage, LoginStageController
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from terminarz.clinic.two_factor import CodeForm, send_email_code
from terminarz.factors.models import EmailDevice

from .views import patient_view

STAGE_KEY = "terminarz_email_code"


def email_device(user) -> EmailDevice | None:
    return EmailDevice.objects.filter(user=user, confirmed=True).first()


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class EmailCodeStage(LoginStage):
    key = STAGE_KEY
    urlname = "account-login-code"

    def handle(self):
        user = self.login.user
        if user is None or has_totp(user):  # the app code (allauth.mfa) is asked instead
            return None, True
        device = email_device(user)
        if device is None:
            return None, True
        send_email_code(device, for_patient=True)
        return headed_redirect_response("account-login-code"), True


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
            messages.success(request, "Wysłaliśmy nowy kod.")
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
            messages.success(request, "Kod e-mail przy logowaniu jest włączony.")
            return redirect("account-email-code")
    elif action == "disable":
        EmailDevice.objects.filter(user=user).delete()
        messages.success(request, "Kod e-mail przy logowaniu jest wyłączony.")
        return redirect("account-email-code")
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
