"""SMS channel (I1) behind one adapter.

`smsapi`: an SMSAPI-style REST gateway – POST {SMS_API_URL}/sms.do with a bearer token, form
fields to/message/from/idx/check_idx/format=json; the answer is JSON
{"count": n, "list": [{"id", "number", "status", "points"}]} or {"error": code, "message": text}.
`idx` carries our idempotency key and `check_idx=1` asks the gateway to refuse a second send
with the same key, so a retry after a lost answer never sends twice.
`sink`: no gateway; the message is only recorded (demo, tests).

A local stand-in speaking the same protocol: `manage.py sms_standin` (smsapi_standin.py)."""

import re
from dataclasses import dataclass

import httpx
from django.conf import settings


class SmsError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass
class SmsResult:
    external_id: str
    status: str


POLISH_TO_GSM = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–„”", 'acelnoszzACELNOSZZ-""')


def to_gsm(text: str) -> str:
    """Polish letters without diacritics: GSM-7 fits 160 characters per SMS, Unicode only 70."""
    return text.translate(POLISH_TO_GSM)


def normalize_phone(phone: str) -> str | None:
    """A Polish mobile number as 48XXXXXXXXX (None when it cannot be one)."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0048"):
        digits = digits[2:]
    if len(digits) == 9:
        digits = "48" + digits
    if len(digits) == 11 and digits.startswith("48"):
        return digits
    return None


def send_sms(*, to: str, text: str, idempotency_key: str) -> SmsResult:
    backend = settings.SMS_BACKEND
    if backend == "sink":
        return SmsResult(external_id=f"sink-{idempotency_key}"[:100], status="SENT")
    if backend == "smsapi":
        return _smsapi(to=to, text=text, idempotency_key=idempotency_key)
    raise SmsError(f"unknown SMS backend {backend!r}", permanent=True)


def _smsapi(*, to: str, text: str, idempotency_key: str) -> SmsResult:
    data = {
        "to": to,
        "message": text,
        "from": settings.SMS_SENDER,
        "format": "json",
        "encoding": "utf-8",
        "idx": idempotency_key[:255],
        "check_idx": "1",
    }
    if settings.SMS_NOTIFY_URL:
        data["notify_url"] = settings.SMS_NOTIFY_URL
    try:
        response = httpx.post(
            settings.SMS_API_URL.rstrip("/") + "/sms.do",
            data=data,
            headers={"Authorization": f"Bearer {settings.SMS_API_TOKEN}"},
            timeout=settings.SMS_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise SmsError(f"gateway unreachable: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise SmsError(f"gateway error HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as exc:
        raise SmsError(f"gateway answered HTTP {response.status_code} without JSON") from exc
    if "error" in body:
        code = body.get("error")
        # Authorisation and bad-number errors do not get better by retrying.
        raise SmsError(f"gateway error {code}: {body.get('message', '')}"[:300], permanent=response.status_code < 500)
    items = body.get("list") or []
    if not items:
        raise SmsError("gateway answered without a message id")
    return SmsResult(external_id=str(items[0].get("id", ""))[:100], status=str(items[0].get("status", "QUEUE")))
