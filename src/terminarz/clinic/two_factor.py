"""Two-factor sign-in for staff (L1), on django-otp devices.

A staff member may turn on a second factor – an authenticator app (TOTP) or a code sent by
e-mail – and a provider may require one from all its staff. Once a factor is on, every
sign-in asks for a code. The password step (LoginView) marks the session as waiting for the
code; `clinic_view` lets nobody through until the code is given (the one decision for every
entry point is `factor_policy.py`).

E-mail codes go through the outbox like every other e-mail, so the demo mailbox shows them
and a failing SMTP server is retried; the queued code is encrypted in the message's context.
The devices are the project's own (`terminarz.factors`): the app key is stored encrypted and
an e-mail code only as a keyed hash, so a database dump alone cannot produce a code."""

import io
import secrets
from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp.models import Device

from terminarz.core.audit import record_audit
from terminarz.core.crypto import PREFIX, decrypt, encrypt
from terminarz.factors.models import EmailDevice, TOTPDevice
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import queue_email
from terminarz.providers.models import Membership

PENDING_KEY = "clinic_2fa_pending"
NEXT_KEY = "clinic_2fa_next"
METHOD_LABELS: dict[type[TOTPDevice] | type[EmailDevice], str] = {
    TOTPDevice: "aplikacja uwierzytelniająca",
    EmailDevice: "kod e-mail",
}


def confirmed_device(user) -> Device | None:
    for model in (TOTPDevice, EmailDevice):
        device = model.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            return device
    return None


def method_label(device: Device | None) -> str:
    return METHOD_LABELS.get(type(device), "") if device else ""


def required_by(user) -> list[str]:
    """Names of the user's providers that require a second factor."""
    return list(
        Membership.objects.filter(user=user, provider__is_active=True, provider__require_staff_2fa=True)
        .order_by("provider__name")
        .values_list("provider__name", flat=True)
    )


def start_after_password(request, user, next_url: str) -> bool:
    """Called after a correct password: True when a code must be asked for now."""
    if confirmed_device(user) is None:
        return False
    request.session[PENDING_KEY] = True
    request.session[NEXT_KEY] = next_url
    return True


def send_email_code(device: EmailDevice, *, for_patient: bool = False) -> str | None:
    """Generate a code and queue it for the device's address. Returns an error text when a
    code was sent too recently (cooldown). Staff and patients get differently worded e-mails."""
    allowed, data = device.generate_is_allowed()
    if not allowed:
        return "Kod został wysłany przed chwilą. Poczekaj minutę i spróbuj ponownie."
    with transaction.atomic():
        device.cooldown_set(commit=False)
        code = device.generate_token(valid_secs=settings.OTP_EMAIL_TOKEN_VALIDITY, commit=True)
        queue_email(
            provider=None,
            kind="patient_login_code" if for_patient else "staff_login_code",
            recipient=device.email or device.user.email,
            template="accounts/email/login_code" if for_patient else "clinic/email/login_code",
            context={"code": encrypt(code), "minutes": settings.OTP_EMAIL_TOKEN_VALIDITY // 60},
            idempotency_key=f"staff-2fa:{device.pk}:{secrets.token_hex(8)}",
        )
    return None


@register_context("patient_login_code")
@register_context("staff_login_code")
def login_code_context(stored: dict) -> dict:
    code = stored["code"]
    return {"code": decrypt(code) if code.startswith(PREFIX) else code, "minutes": stored["minutes"]}


def qr_svg(data: str) -> str:
    out = io.BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Kod",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages={"required": "Wpisz kod."},
    )

    def __init__(self, *args, device: Device | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        assert self.device is not None
        allowed, data = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError("Zbyt wiele błędnych kodów. Odczekaj chwilę i spróbuj ponownie.")
        if not code.isdigit() or not self.device.verify_token(code):
            raise forms.ValidationError("Nieprawidłowy lub nieaktualny kod. Sprawdź go i spróbuj ponownie.")
        return code


def _signed_in(view):
    """Staff signed in with a password (the code may still be owed): these pages are the way
    to give it."""

    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "clinic:login")
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
    return redirect(next_url or reverse("clinic:today"))


def _audit(user, action: str, summary: str) -> None:
    for provider_id in Membership.objects.filter(user=user).values_list("provider_id", flat=True):
        record_audit(provider_id=provider_id, action=action, target=user, summary=summary, actor=user)


@require_http_methods(["GET", "POST"])
@_signed_in
def verify(request):
    """The second step of signing in."""
    if request.user.is_verified():
        return redirect("clinic:today")
    device = confirmed_device(request.user)
    if device is None:  # the factor was reset meanwhile
        request.session.pop(PENDING_KEY, None)
        return redirect("clinic:today")
    error = None
    resend = request.POST.get("action") == "resend"
    if isinstance(device, EmailDevice) and (resend or (request.method == "GET" and not _code_valid(device))):
        error = send_email_code(device)
        if error is None and request.method == "POST":
            messages.success(request, "Wysłaliśmy nowy kod.")
            return redirect("clinic:2fa-verify")
    form = CodeForm(request.POST if request.POST.get("action") == "verify" else None, device=device)
    if form.is_valid():
        return _finish(request, device)
    return render(
        request,
        "clinic/two_factor_verify.html",
        {"form": form, "device": device, "is_email": isinstance(device, EmailDevice), "error": error},
        status=422 if form.errors else 200,
    )


def _code_valid(device: EmailDevice) -> bool:
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
    form = None
    error = None

    if action == "start-totp":
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        pending_totp = TOTPDevice.objects.create(user=user, name="aplikacja", confirmed=False)
        EmailDevice.objects.filter(user=user, confirmed=False).delete()
        pending_email = None
    elif action == "start-email":
        if not user.email:
            error = "Twoje konto nie ma adresu e-mail. Poproś administratora placówki o jego uzupełnienie."
        else:
            EmailDevice.objects.filter(user=user, confirmed=False).delete()
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            pending_totp = None
            pending_email = EmailDevice.objects.create(user=user, name="e-mail", confirmed=False, email=user.email)
            error = send_email_code(pending_email)
    elif action in ("confirm-totp", "confirm-email"):
        device = pending_totp if action == "confirm-totp" else pending_email
        if device is None:
            return redirect("clinic:2fa")
        form = CodeForm(request.POST, device=device)
        if form.is_valid():
            with transaction.atomic():
                for model in (TOTPDevice, EmailDevice):
                    model.objects.filter(user=user).exclude(
                        pk=device.pk if isinstance(device, model) else None
                    ).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                _audit(user, "staff.2fa_on", f"Włączono logowanie dwuskładnikowe ({method_label(device)})")
            django_otp.login(request, device)
            request.session.pop(PENDING_KEY, None)
            messages.success(
                request, "Logowanie dwuskładnikowe jest włączone. Kod będzie potrzebny przy każdym logowaniu."
            )
            next_url = request.session.pop(NEXT_KEY, "")
            return redirect(
                next_url if url_has_allowed_host_and_scheme(next_url, {request.get_host()}) else "clinic:2fa"
            )
    elif action == "disable" and current is not None:
        if requiring:
            error = f"Nie można wyłączyć: wymaga tego {', '.join(requiring)}."
        else:
            with transaction.atomic():
                for model in (TOTPDevice, EmailDevice):
                    model.objects.filter(user=user).delete()
                _audit(user, "staff.2fa_off", "Wyłączono logowanie dwuskładnikowe")
            messages.success(request, "Logowanie dwuskładnikowe jest wyłączone.")
            return redirect("clinic:2fa")

    pending = pending_totp or pending_email
    context = {
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
        context["qr"] = qr_svg(pending.config_url)
        context["secret"] = _b32(pending)
    status = 422 if (form is not None and form.errors) or error else 200
    return render(request, "clinic/two_factor.html", context, status=status)


def _b32(device: TOTPDevice) -> str:
    raw = b32encode(device.bin_key).decode()
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def reset_for(user) -> bool:
    """Remove a staff member's factors (a provider admin does this for a lost phone)."""
    removed = 0
    for model in (TOTPDevice, EmailDevice):
        removed += model.objects.filter(user=user).delete()[0]
    return removed > 0
