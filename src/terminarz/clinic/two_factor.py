"""Two-factor sign-in pages for staff (L1): the code step after the password, and turning a
factor on or off.

A staff member may turn on a second factor – an authenticator app (TOTP) or a code sent by
e-mail – and a provider may require one from all its staff. Once a factor is on, every
sign-in asks for a code. The password step (LoginView) marks the session as waiting for the
code; `clinic_view` (through `factors.policy`) lets nobody through until the code is given.
The factors themselves and their rules live in `terminarz.factors`."""

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp.models import Device

from terminarz.accounts.guard import is_staff_account
from terminarz.core.audit import record_audit
from terminarz.factors import services
from terminarz.factors.forms import CodeForm
from terminarz.factors.models import EmailDevice, SentCodeDevice, SmsDevice, TOTPDevice
from terminarz.factors.policy import NEXT_KEY, PENDING_KEY, start_after_password
from terminarz.factors.services import confirmed_device, method_label, required_by, send_email_code
from terminarz.notifications.sms import normalize_phone
from terminarz.providers.models import Membership

__all__ = ["NEXT_KEY", "PENDING_KEY", "start_after_password", "setup", "verify"]


def _signed_in(view):
    """Staff signed in with a password (the code may still be owed): these pages are the way
    to give it."""

    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "clinic:login")
        if not is_staff_account(request.user):  # a patient's factors are in the patient account
            raise PermissionDenied("staff only")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.clinic_permission = None  # type: ignore[attr-defined]
    return wrapper


def _finish(request, device: Device):
    django_otp.login(request, device)
    request.session.pop(PENDING_KEY, None)
    next_url = request.session.pop(NEXT_KEY, "") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return redirect(next_url or reverse("clinic:home"))


def _audit(user, action: str, summary: str) -> None:
    for provider_id in Membership.objects.filter(user=user).values_list("provider_id", flat=True):
        record_audit(provider_id=provider_id, action=action, target=user, summary=summary, actor=user)


@require_http_methods(["GET", "POST"])
@_signed_in
def verify(request):
    """The second step of signing in."""
    if request.user.is_verified():
        return redirect("clinic:home")
    device = confirmed_device(request.user)
    if device is None:  # the factor was reset meanwhile
        request.session.pop(PENDING_KEY, None)
        return redirect("clinic:home")
    error = None
    resend = request.POST.get("action") == "resend"
    if isinstance(device, SentCodeDevice) and (resend or (request.method == "GET" and not _code_valid(device))):
        error = services.send_code(device)
        if error is None and request.method == "POST":
            messages.success(request, gettext("Wysłaliśmy nowy kod."))
            return redirect("clinic:2fa-verify")
    form = CodeForm(request.POST if request.POST.get("action") == "verify" else None, device=device)
    if form.is_valid():
        return _finish(request, device)
    return render(
        request,
        "clinic/two_factor_verify.html",
        {
            "form": form,
            "device": device,
            "is_email": isinstance(device, SentCodeDevice),
            "is_sms": isinstance(device, SmsDevice),
            "error": error,
        },
        status=422 if form.errors else 200,
    )


def _code_valid(device: SentCodeDevice) -> bool:
    return device.has_valid_code


@require_http_methods(["GET", "POST"])
@_signed_in
def setup(request):
    """Turn a second factor on (app or e-mail), or off where no provider requires it."""
    user = request.user
    if request.session.get(PENDING_KEY) and not user.is_verified():
        return redirect("clinic:2fa-verify")
    current = confirmed_device(user)
    if current is not None and not user.is_verified():
        # A factor is on but no code was given in this session: give it first.
        request.session[PENDING_KEY] = True
        return redirect("clinic:2fa-verify")
    requiring = required_by(user)
    action = request.POST.get("action", "")
    pending_totp = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    pending_email = EmailDevice.objects.filter(user=user, confirmed=False).first()
    pending_sms = SmsDevice.objects.filter(user=user, confirmed=False).first()
    phone_form = PhoneForm(request.POST if action == "start-sms" else None)
    form = None
    error = None

    if action.startswith("start-"):
        pending_totp = pending_email = pending_sms = None
    if action == "start-totp":
        _drop_pending(user)
        pending_totp = TOTPDevice.objects.create(user=user, name="aplikacja", confirmed=False)
    elif action == "start-email":
        if not user.email:
            error = gettext("Twoje konto nie ma adresu e-mail. Poproś administratora placówki o jego uzupełnienie.")
        else:
            _drop_pending(user)
            pending_email = EmailDevice.objects.create(user=user, name="e-mail", confirmed=False, email=user.email)
            error = send_email_code(pending_email)
    elif action == "start-sms" and phone_form.is_valid():
        # L1: a code by SMS to the number the person gives (confirmed by the first code).
        _drop_pending(user)
        pending_sms = SmsDevice.objects.create(
            user=user, name="SMS", confirmed=False, phone=phone_form.cleaned_data["phone"]
        )
        error = services.send_sms_code(pending_sms)
    elif action in ("confirm-totp", "confirm-email", "confirm-sms"):
        device = {"confirm-totp": pending_totp, "confirm-email": pending_email, "confirm-sms": pending_sms}[action]
        if device is None:
            return redirect("clinic:2fa")
        form = CodeForm(request.POST, device=device)
        if form.is_valid():
            with transaction.atomic():
                for model in services.DEVICE_MODELS:
                    model.objects.filter(user=user).exclude(
                        pk=device.pk if isinstance(device, model) else None
                    ).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                _audit(
                    user,
                    "staff.2fa_on",
                    gettext("Włączono logowanie dwuskładnikowe (%(method)s)") % {"method": method_label(device)},
                )
            django_otp.login(request, device)
            request.session.pop(PENDING_KEY, None)
            messages.success(
                request, gettext("Logowanie dwuskładnikowe jest włączone. Kod będzie potrzebny przy każdym logowaniu.")
            )
            next_url = request.session.pop(NEXT_KEY, "")
            return redirect(
                next_url if url_has_allowed_host_and_scheme(next_url, {request.get_host()}) else "clinic:2fa"
            )
    elif action == "disable" and current is not None:
        if requiring:
            error = gettext("Nie można wyłączyć: wymaga tego %(names)s.") % {"names": ", ".join(requiring)}
        else:
            with transaction.atomic():
                for model in services.DEVICE_MODELS:
                    model.objects.filter(user=user).delete()
                _audit(user, "staff.2fa_off", gettext("Wyłączono logowanie dwuskładnikowe"))
            messages.success(request, gettext("Logowanie dwuskładnikowe jest wyłączone."))
            return redirect("clinic:2fa")

    pending = pending_totp or pending_email or pending_sms
    context = {
        "phone_form": phone_form,
        "pending_is_sms": isinstance(pending, SmsDevice),
        "pending_phone": _masked(pending.phone) if isinstance(pending, SmsDevice) else "",
        "current": current,
        "current_label": method_label(current),
        "requiring": requiring,
        "pending": pending,
        "pending_is_totp": isinstance(pending, TOTPDevice),
        "form": form or (CodeForm(device=pending) if pending else None),
        "error": error,
        "user_email": user.email,
    }
    if isinstance(pending, TOTPDevice):
        context["qr"] = services.qr_svg(pending.config_url)
        context["secret"] = services.b32_secret(pending)
    status = 422 if (form is not None and form.errors) or phone_form.errors or error else 200
    return render(request, "clinic/two_factor.html", context, status=status)


def _drop_pending(user) -> None:
    for model in services.DEVICE_MODELS:
        model.objects.filter(user=user, confirmed=False).delete()


def _masked(phone: str) -> str:
    """The number as the page shows it: the last three digits only."""
    return f"••• ••• {phone[-3:]}" if len(phone) >= 3 else "•••"


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Numer telefonu komórkowego"),
        max_length=20,
        error_messages={"required": _("Podaj numer telefonu.")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self):
        number = normalize_phone(self.cleaned_data["phone"])
        if number is None:
            raise forms.ValidationError(_("Podaj numer telefonu komórkowego, np. 600 100 200."))
        return number
