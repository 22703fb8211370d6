"""The patient's e-mail code pages (E2): the code step of the sign-in (allauth login stage
`accounts.email_code.EmailCodeStage`) and turning the code on or off in the account."""

from allauth.account.stages import LoginStageController
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from terminarz.accounts.email_code import STAGE_KEY, email_device, has_totp
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
            messages.success(request, gettext("Kod e-mail przy logowaniu jest włączony."))
            return redirect("account-email-code")
    elif action == "disable":
        EmailDevice.objects.filter(user=user).delete()
        messages.success(request, gettext("Kod e-mail przy logowaniu jest wyłączony."))
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
