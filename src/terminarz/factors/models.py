"""Second sign-in factors (L1 staff, E2 patients) stored so that a database dump alone cannot
produce a code.

django-otp's own plugins keep the TOTP key as plain hex (otp_totp) and the e-mail code as
plain digits (otp_email): whoever reads the tables can compute or read every code. These two
devices are drop-in replacements built on django-otp's `Device` and its throttling, cooldown
and timestamp mixins (so `django_otp.login`, `is_verified()` and the middleware work as
before), with two differences:

- `TOTPDevice.key` is an `EncryptedTextField` (Fernet with the project's data key, rotation
  through MultiFernet): the hex key exists in memory only, for the QR code and verification.
- `EmailDevice` keeps only a keyed hash (HMAC-SHA256 with a key derived from the data key) of
  the current code, bound to the device; the plain code leaves `generate_token()` once, for
  the e-mail. A six-digit code under a plain hash would fall to a million tries; under HMAC it
  cannot be found without the key. The device's e-mail address is encrypted like all
  personal data (L2).

Migration 0002 moved the rows of the old plugin tables here (encrypting them) and emptied
those tables; the plugins are no longer installed."""

import time
from base64 import b32encode
from binascii import unhexlify
from datetime import timedelta
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import CooldownMixin, Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex, random_number_token

from terminarz.core.crypto import EncryptedTextField, secret_hash, secret_hash_matches


def new_totp_key() -> str:
    return random_hex(20)


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (RFC 6238, SHA-1, as the apps expect); fields as django-otp's."""

    # As django-otp's Device.user, without a reverse accessor (found through the model's manager;
    # django-otp's base is untyped, so a reverse manager could not be typed).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The user that this device belongs to.",
    )

    key = EncryptedTextField(default=new_totp_key, help_text="Hex-encoded secret key, stored encrypted.")
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "aplikacja uwierzytelniająca"
        verbose_name_plural = "aplikacje uwierzytelniające"

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def verify_token(self, token) -> bool:
        verify_allowed, _ = self.verify_is_allowed()
        if not verify_allowed:
            return False
        try:
            value = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = totp.verify(value, self.tolerance, self.last_t + 1)
            if verified:
                self.last_t = totp.t()
                if getattr(settings, "OTP_TOTP_SYNC", True):
                    self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    @property
    def config_url(self) -> str:
        """otpauth:// URL for the QR code (Key Uri Format), with the issuer from OTP_TOTP_ISSUER."""
        label = str(self.user.get_username())
        params = urlencode(
            {"secret": b32encode(self.bin_key), "algorithm": "SHA1", "digits": self.digits, "period": self.step}
        )
        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "") or "").replace(":", "")
        if issuer:
            label = f"{issuer}:{label}"
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"


class SentCodeDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, Device):
    """A code sent to the person (by e-mail or SMS, through the outbox): only its keyed hash is
    kept, it works once and until `valid_until`; sending has a cooldown, guessing a throttle."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The user that this device belongs to.",
    )
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    valid_until = models.DateTimeField(default=timezone.now)

    purpose = "code"

    class Meta(Device.Meta):
        abstract = True

    def _purpose(self) -> str:
        return f"{self.purpose}:{self.pk}"

    def generate_token(self, length: int = 6, valid_secs: int = 300, commit: bool = True) -> str:
        """A new code: returned once (for the message), only its keyed hash is kept."""
        if self.pk is None:
            self.save()
        code = random_number_token(length)
        self.token_hash = secret_hash(self._purpose(), code)
        self.valid_until = timezone.now() + timedelta(seconds=valid_secs)
        if commit:
            self.save()
        return code

    @property
    def has_valid_code(self) -> bool:
        return bool(self.token_hash) and self.valid_until > timezone.now()

    def verify_token(self, token) -> bool:
        verify_allowed, _ = self.verify_is_allowed()
        if not verify_allowed:
            return False
        now = timezone.now()
        if secret_hash_matches(self._purpose(), token, self.token_hash) and now < self.valid_until:
            self.token_hash = ""  # a code works once
            self.valid_until = now
            self.cooldown_reset(commit=False)
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment(commit=True)
        return False


class EmailDevice(SentCodeDevice):
    """A code sent by e-mail (through the outbox, see factors.services.send_email_code)."""

    email = EncryptedTextField(blank=True, help_text="Address the codes go to (the account's if empty).")

    purpose = "email-code"

    class Meta(Device.Meta):
        verbose_name = "kod e-mail"
        verbose_name_plural = "kody e-mail"

    def get_cooldown_duration(self) -> int:
        return getattr(settings, "OTP_EMAIL_COOLDOWN_DURATION", 60)

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_EMAIL_THROTTLE_FACTOR", 1)


class SmsDevice(SentCodeDevice):
    """L1 (003 "kod SMS na numer telefonu przypisany do użytkownika"): a code sent by SMS to the
    staff member's phone (through the outbox, `factors.services.send_sms_code`); the number is
    encrypted like all personal data."""

    phone = EncryptedTextField(help_text="The number the codes go to (international form, digits only).")

    purpose = "sms-code"

    class Meta(Device.Meta):
        verbose_name = "kod SMS"
        verbose_name_plural = "kody SMS"

    def get_cooldown_duration(self) -> int:
        return getattr(settings, "OTP_SMS_COOLDOWN_DURATION", 60)

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_SMS_THROTTLE_FACTOR", 1)
