"""Second sign-in factors (L1 staff, E2 patients): which factor a user has, sending an e-mail
code through the outbox, the QR code of an authenticator app, resetting a lost factor.

The back-office (clinic) and the patient pages (portal) call these; the decision whether a
request may go on without a code is `factors.policy` for staff."""

import io
import secrets
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django_otp.models import Device

from terminarz.core import clock
from terminarz.core.crypto import PREFIX, decrypt, encrypt, secret_hash
from terminarz.core.tenancy import system_scope
from terminarz.notifications.registry import register_context
from terminarz.notifications.services import queue_email, queue_sms
from terminarz.providers.models import Membership

from .models import EmailDevice, SentCodeDevice, SmsDevice, TOTPDevice

METHOD_LABELS: dict[type[Device], str] = {
    TOTPDevice: "aplikacja uwierzytelniająca",
    EmailDevice: "kod e-mail",
    SmsDevice: "kod SMS",
}
DEVICE_MODELS: tuple[type[Device], ...] = (TOTPDevice, EmailDevice, SmsDevice)
# L1: an SMS costs money and reaches a phone: at most this many codes an hour to one device.
SMS_CODES_PER_HOUR = 5


def confirmed_device(user) -> Device | None:
    for model in DEVICE_MODELS:
        device = model.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            return device
    return None


def method_label(device: Device | None) -> str:
    return METHOD_LABELS.get(type(device), "") if device else ""


def required_by(user) -> list[str]:
    """Names of the user's providers that require a second factor, and of the insurers the
    user works for at their desk (always required there; reached by the relation's name)."""
    providers = Membership.objects.filter(
        user=user, provider__is_active=True, provider__require_staff_2fa=True
    ).values_list("provider__name", flat=True)
    insurers = user.insurer_memberships.filter(is_active=True, insurer__is_active=True).values_list(
        "insurer__name", flat=True
    )
    return sorted(set(providers.union(insurers)))  # one query


def send_email_code(device: EmailDevice, *, for_patient: bool = False) -> str | None:
    """Generate a code and queue it for the device's address. Returns an error text when a
    code was sent too recently (cooldown). Staff and patients get differently worded e-mails."""
    allowed, data = device.generate_is_allowed()
    if not allowed:
        return "Kod został wysłany przed chwilą. Poczekaj minutę i spróbuj ponownie."
    # The code is the person's, not a provider's (provider=None): queued in the system scope,
    # also from the pre-membership sign-in pages, which have no tenant scope (core.tenancy).
    with transaction.atomic(), system_scope():
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


def send_sms_code(device: SmsDevice) -> str | None:
    """L1: a staff member's code by SMS (outbox, SMSAPI). Refused within the cooldown and past
    `SMS_CODES_PER_HOUR` an hour; returns the refusal's text."""
    allowed, _data = device.generate_is_allowed()
    if not allowed:
        return "Kod został wysłany przed chwilą. Poczekaj minutę i spróbuj ponownie."
    # Counted per person and per number (a new device, or another account, starts nothing anew).
    hour = f"{clock.now():%Y%m%d%H}"
    keys = (f"sms-2fa:user:{device.user_id}:{hour}", f"sms-2fa:number:{secret_hash('sms-2fa', device.phone)}:{hour}")
    for key in keys:
        cache.add(key, 0, 3600)
    if max(cache.incr(key) for key in keys) > SMS_CODES_PER_HOUR:
        return "Wysłaliśmy już kilka kodów SMS w tej godzinie. Spróbuj później albo poproś administratora o pomoc."
    with transaction.atomic(), system_scope():
        device.cooldown_set(commit=False)
        code = device.generate_token(valid_secs=settings.OTP_EMAIL_TOKEN_VALIDITY, commit=True)
        queued = queue_sms(
            provider=None,
            kind="staff_login_code",
            phone=device.phone,
            template="clinic/email/login_code",
            context={"code": encrypt(code), "minutes": settings.OTP_EMAIL_TOKEN_VALIDITY // 60},
            idempotency_key=f"staff-2fa-sms:{device.pk}:{secrets.token_hex(8)}",
        )
        if queued is None:
            return "Na ten numer nie możemy wysłać SMS-a. Sprawdź numer telefonu."
    return None


def send_code(device: SentCodeDevice) -> str | None:
    """Send a new code to a device that gets its codes sent (e-mail or SMS)."""
    if isinstance(device, SmsDevice):
        return send_sms_code(device)
    assert isinstance(device, EmailDevice)
    return send_email_code(device)


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


def b32_secret(device: TOTPDevice) -> str:
    raw = b32encode(device.bin_key).decode()
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def reset_for(user) -> bool:
    """Remove a staff member's factors (a provider admin does this for a lost phone)."""
    removed = 0
    for model in DEVICE_MODELS:
        removed += model.objects.filter(user=user).delete()[0]
    return removed > 0
