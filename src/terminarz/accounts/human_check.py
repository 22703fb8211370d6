"""Human check on abuse (E2, seed 004): an ALTCHA proof of work, self-hosted.

The page carries a challenge signed with ALTCHA_HMAC_KEY; the browser finds the secret number
by hashing (a few hundred milliseconds, no image puzzle, no external service) and sends the
solution with the form. Each solution is accepted once (its challenge is remembered until it
expires).

Shown always on patient sign-up; on patient sign-in only after ALTCHA_LOGIN_FAILURE_LIMIT
failures within ALTCHA_LOGIN_FAILURE_WINDOW seconds from one IP address or for one e-mail.
The counters live in the cache under keyed hashes: no address or e-mail in cache keys or logs.
"""

import base64
import datetime as dt
import json
import logging
from typing import Any, NoReturn

import altcha
from allauth.account.adapter import get_adapter
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_altcha.conf import get_setting

logger = logging.getLogger(__name__)

LABEL = _("Nie jestem robotem")
# Texts of the widget (ALTCHA's `strings`); the footer link to altcha.org is hidden. Lazy: each
# page gets them in its language (`widget_strings`, plain text for the JSON attribute).
STRINGS = {
    "ariaLinkLabel": _("Strona ALTCHA"),
    "enterCode": _("Wpisz kod"),
    "enterCodeAria": _("Wpisz kod, który słyszysz. Naciśnij spację, aby odtworzyć nagranie."),
    "error": _("Weryfikacja nie powiodła się. Spróbuj ponownie."),
    "expired": _("Weryfikacja wygasła. Zaznacz pole ponownie."),
    "footer": "",
    "getAudioChallenge": _("Odtwórz wyzwanie dźwiękowe"),
    "label": LABEL,
    "loading": _("Ładowanie…"),
    "reload": _("Odśwież"),
    "verify": _("Zweryfikuj"),
    "verificationRequired": _("Wymagana weryfikacja."),
    "verified": _("Zweryfikowano"),
    "verifying": _("Weryfikacja…"),
    "waitAlert": _("Trwa weryfikacja… Poczekaj chwilę."),
}
FIELD_NAME = "altcha"
_USED_PREFIX = "human-check:used:"
_FAIL_PREFIX = "human-check:fail:"


def widget_strings() -> dict[str, str]:
    """The widget's texts in the active language, as plain strings (JSON)."""
    return {key: str(text) for key, text in STRINGS.items()}


def new_challenge(max_number: int | None = None) -> altcha.Challenge:
    """A challenge signed with our key, valid for ALTCHA_CHALLENGE_EXPIRE milliseconds."""
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=settings.ALTCHA_CHALLENGE_EXPIRE)
    return altcha.create_challenge(
        altcha.ChallengeOptions(
            hmac_key=settings.ALTCHA_HMAC_KEY,
            max_number=max_number or settings.ALTCHA_MAX_NUMBER,
            expires=expires,
        )
    )


class HumanCheckWidget(forms.Widget):
    """The <altcha-widget> element with its own challenge; renders no value (a solution is
    single use, so a form shown again needs a new one)."""

    template_name = "accounts/human_check_widget.html"
    input_type = "human-check"  # not "hidden": the field is shown with its label and errors

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        context = super().get_context(name, None, attrs)
        challenge = new_challenge()
        context["widget"].update(
            {
                "js_url": get_setting("ALTCHA_JS_URL"),  # our static file
                "challenge_json": json.dumps(challenge.to_dict()),
                "strings_json": json.dumps(widget_strings(), ensure_ascii=False),
                "max_number": challenge.max_number,
                "label": str(LABEL),
            }
        )
        return context

    def value_from_datadict(self, data, files, name: str):
        return data.get(name)


class HumanCheckField(forms.Field):
    widget = HumanCheckWidget
    default_error_messages = {
        "required": _("Zaznacz pole „Nie jestem robotem” i poczekaj, aż pojawi się „Zweryfikowano”."),
        "invalid": _("Weryfikacja nie powiodła się. Zaznacz pole „Nie jestem robotem” ponownie."),
        "expired": _("Weryfikacja wygasła. Zaznacz pole „Nie jestem robotem” ponownie."),
        "replay": _("Ta weryfikacja została już użyta. Zaznacz pole „Nie jestem robotem” ponownie."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Weryfikacja"))
        kwargs.setdefault(
            "help_text",
            _("Przeglądarka wykona krótkie obliczenie, które utrudnia zakładanie kont i zgadywanie haseł przez boty."),
        )
        super().__init__(**kwargs)

    def validate(self, value) -> None:
        super().validate(value)
        try:
            payload = json.loads(base64.b64decode(value, validate=True).decode())
            challenge = payload["challenge"]
            expires = altcha.extract_params(payload).get("expires")
        except (ValueError, TypeError, KeyError, AttributeError):
            self._refuse("invalid", "malformed")
        if not expires:  # our challenges always carry their expiry
            self._refuse("invalid", "no expiry")
        try:
            verified, error = altcha.verify_solution(payload, settings.ALTCHA_HMAC_KEY, check_expires=True)
        except (ValueError, TypeError):
            verified, error = False, "malformed"
        if not verified:
            self._refuse("expired" if error and "expired" in error else "invalid", error or "bad signature")
        # Single use: the first request to store the challenge wins (cache.add is atomic).
        timeout = settings.ALTCHA_CHALLENGE_EXPIRE // 1000
        if not cache.add(_USED_PREFIX + str(challenge), True, timeout=timeout):
            self._refuse("replay", "already used")

    def _refuse(self, code: str, reason: str) -> NoReturn:
        logger.info("human check refused: %s", reason)
        raise forms.ValidationError(self.error_messages[code], code=code)


def _key(kind: str, value: str) -> str:
    digest = salted_hmac("terminarz.accounts.human_check." + kind, value, algorithm="sha256").hexdigest()
    return f"{_FAIL_PREFIX}{kind}:{digest[:40]}"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _failure_keys(request, email: str | None) -> list[str]:
    keys = []
    if request is not None:
        try:
            keys.append(_key("ip", get_adapter(request).get_client_ip(request)))
        except PermissionDenied:
            pass
    if email and email.strip():
        keys.append(_key("account", normalize_email(email)))
    return keys


def login_needs_check(request, email: str | None) -> bool:
    limit = settings.ALTCHA_LOGIN_FAILURE_LIMIT
    return any((cache.get(key) or 0) >= limit for key in _failure_keys(request, email))


def record_login_failure(request, email: str | None) -> None:
    window = settings.ALTCHA_LOGIN_FAILURE_WINDOW
    for key in _failure_keys(request, email):
        # The window starts at the first failure; incr keeps the expiry (locmem, Redis).
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, timeout=window)


def clear_account_failures(email: str) -> None:
    """After a correct password the account's counter starts again (the IP's does not)."""
    cache.delete(_key("account", normalize_email(email)))
