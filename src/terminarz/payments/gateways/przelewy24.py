"""Przelewy24 REST API v1 (H8).

The protocol, as published in Przelewy24's REST API documentation (developers.przelewy24.pl):

- Every call uses HTTP Basic authentication: user = posId, password = the API key ("secretId",
  the key for reports from the merchant panel).
- `POST /api/v1/transaction/register` with a JSON body registers a transaction and answers
  `{"data": {"token": ...}, "responseCode": 0}`; the payer is sent to `/trnRequest/{token}`.
- After a successful payment (only then: failed payments are not notified) P24 POSTs a JSON
  notification to `urlStatus` and repeats it later until the payment is verified.
- `PUT /api/v1/transaction/verify` confirms the payment; without it the money is not settled.
- `GET /api/v1/transaction/by/sessionId/{sessionId}` reads a transaction;
  `POST /api/v1/transaction/refund` starts refunds (answer 201) and P24 later POSTs a refund
  notification to the refund's `urlStatus`; `GET /api/v1/testAccess` checks the credentials.
- Amounts are integers in grosze (1.23 PLN = 123).
- Every `sign` is the SHA-384 hex digest of a compact JSON object (no spaces, slashes and
  non-ASCII characters unescaped – PHP's JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES)
  of fixed fields in a fixed order, the CRC key last. The field lists differ per message.

A local stand-in speaking the same protocol: `manage.py przelewy24_standin`
(payments/standins/przelewy24.py)."""

import hashlib
import hmac
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
from django.conf import settings

from .base import (
    Answer,
    GatewayError,
    Notice,
    NoticeStatus,
    NotificationRejected,
    RefundStarted,
    Started,
    StartRequest,
)

CURRENCY = "PLN"
# The languages we offer that P24's payment page speaks; anything else gets English.
LANGUAGES = {"pl", "en"}
REFUND_DESCRIPTION = "Zwrot płatności"  # shown in the transfer details, at most 35 characters
REQUEST_ID_MAX = 45  # transaction/refund: requestId
REFUNDS_UUID_MAX = 35  # transaction/refund: refundsUuid
# Refund notification `status`: 0 – completed, 1 – rejected.
REFUND_COMPLETED, REFUND_REJECTED = 0, 1


# --- money ------------------------------------------------------------------------------------


def to_grosze(amount: Decimal) -> int:
    """PLN as a Decimal -> integer grosze, exactly (no float on the way)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"amount {amount} is not a number")
    grosze = amount * 100
    if grosze != grosze.to_integral_value():
        raise ValueError(f"amount {amount} is not a whole number of grosze")
    return int(grosze)


def from_grosze(grosze: int) -> Decimal:
    """Integer grosze -> PLN as a Decimal with two places (12345 -> Decimal("123.45"))."""
    if type(grosze) is not int:
        raise TypeError(f"grosze must be an int, not {type(grosze).__name__}")
    return Decimal(grosze).scaleb(-2)


# --- signs ------------------------------------------------------------------------------------


def _sign(fields: list[tuple[str, Any]]) -> str:
    """SHA-384 hex of the compact JSON object of `fields` in the given order. Python's json
    never escapes "/" and, with ensure_ascii=False, leaves non-ASCII characters as they are –
    the same text PHP writes with JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES."""
    text = json.dumps(dict(fields), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def register_sign(*, session_id: str, merchant_id: int, amount: int, currency: str, crc: str) -> str:
    """`sign` of transaction/register:
    {"sessionId":str,"merchantId":int,"amount":int,"currency":str,"crc":str}."""
    return _sign(
        [
            ("sessionId", session_id),
            ("merchantId", merchant_id),
            ("amount", amount),
            ("currency", currency),
            ("crc", crc),
        ]
    )


def notification_sign(
    *,
    merchant_id: int,
    pos_id: int,
    session_id: str,
    amount: int,
    origin_amount: int,
    currency: str,
    order_id: int,
    method_id: int,
    statement: str,
    crc: str,
) -> str:
    """`sign` of the transaction notification sent to urlStatus:
    {"merchantId":int,"posId":int,"sessionId":str,"amount":int,"originAmount":int,
    "currency":str,"orderId":int,"methodId":int,"statement":str,"crc":str}."""
    return _sign(
        [
            ("merchantId", merchant_id),
            ("posId", pos_id),
            ("sessionId", session_id),
            ("amount", amount),
            ("originAmount", origin_amount),
            ("currency", currency),
            ("orderId", order_id),
            ("methodId", method_id),
            ("statement", statement),
            ("crc", crc),
        ]
    )


def verify_sign(*, session_id: str, order_id: int, amount: int, currency: str, crc: str) -> str:
    """`sign` of transaction/verify:
    {"sessionId":str,"orderId":int,"amount":int,"currency":str,"crc":str}."""
    return _sign(
        [("sessionId", session_id), ("orderId", order_id), ("amount", amount), ("currency", currency), ("crc", crc)]
    )


def refund_notification_sign(
    *,
    order_id: int,
    session_id: str,
    refunds_uuid: str,
    merchant_id: int,
    amount: int,
    currency: str,
    status: int,
    crc: str,
) -> str:
    """`sign` of the refund notification sent to the refund's urlStatus:
    {"orderId":int,"sessionId":str,"refundsUuid":str,"merchantId":int,"amount":int,
    "currency":str,"status":int,"crc":str} (requestId and timestamp are not signed)."""
    return _sign(
        [
            ("orderId", order_id),
            ("sessionId", session_id),
            ("refundsUuid", refunds_uuid),
            ("merchantId", merchant_id),
            ("amount", amount),
            ("currency", currency),
            ("status", status),
            ("crc", crc),
        ]
    )


def refunds_uuid_for(request_id: str) -> str:
    """Our refundsUuid (at most 35 characters) for a refund request id: the id itself when it
    fits, else a digest of it – the same for every retry of one request."""
    if len(request_id) <= REFUNDS_UUID_MAX:
        return request_id
    return hashlib.sha256(request_id.encode()).hexdigest()[:32]


# --- notification parsing helpers -------------------------------------------------------------

PAYMENT_FIELDS = {
    "merchantId": int,
    "posId": int,
    "sessionId": str,
    "amount": int,
    "originAmount": int,
    "currency": str,
    "orderId": int,
    "methodId": int,
    "statement": str,
    "sign": str,
}
REFUND_FIELDS = {
    "orderId": int,
    "sessionId": str,
    "merchantId": int,
    "requestId": str,
    "refundsUuid": str,
    "amount": int,
    "currency": str,
    "timestamp": int,
    "status": int,
    "sign": str,
}
_INTEGER = re.compile(r"-?\d{1,19}")


def _read_body(body: bytes, content_type: str) -> dict:
    """The notification as a dict. P24 sends JSON; a form-encoded body is read too (integer
    fields arrive as digit strings there). Floats are never produced: a JSON number with a
    fraction becomes a Decimal and fails the integer checks."""
    media = (content_type or "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
        if media == "application/x-www-form-urlencoded":
            form: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
            for name, kind in {**PAYMENT_FIELDS, **REFUND_FIELDS}.items():
                value = form.get(name)
                if kind is int and isinstance(value, str) and _INTEGER.fullmatch(value):
                    form[name] = int(value)
            return form
        data = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NotificationRejected("malformed", f"unreadable body: {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise NotificationRejected("malformed", "the body is not a JSON object")
    return data


def _same_sign(expected: str, given: str) -> bool:
    """Constant-time comparison of hex digests (bytes, so a non-ASCII sign is just unequal)."""
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace"))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _check_fields(data: dict, fields: dict[str, type]) -> None:
    for name, kind in fields.items():
        value = data.get(name)
        # bool is an int subclass; type() keeps True out of an integer field.
        if type(value) is not kind:
            raise NotificationRejected("malformed", f"field {name} missing or not {kind.__name__}")


# --- the adapter ------------------------------------------------------------------------------


class Przelewy24:
    """Przelewy24 REST API v1 behind `base.Gateway`."""

    name = "przelewy24"

    def __init__(self, *, merchant_id: int, pos_id: int, api_key: str, crc: str, base_url: str, timeout: float = 10.0):
        self.merchant_id = int(merchant_id)
        self.pos_id = int(pos_id)
        self.api_key = api_key
        self.crc = crc
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> "Przelewy24":
        return cls(
            merchant_id=int(settings.P24_MERCHANT_ID),
            pos_id=int(settings.P24_POS_ID),
            api_key=settings.P24_API_KEY,
            crc=settings.P24_CRC,
            base_url=settings.P24_BASE_URL,
            timeout=float(getattr(settings, "PAYMENT_GATEWAY_TIMEOUT", 10)),
        )

    # -- HTTP --

    def _call(self, method: str, path: str, body: dict | None = None) -> httpx.Response:
        try:
            return httpx.request(
                method,
                self.base_url + path,
                json=body,
                auth=(str(self.pos_id), self.api_key),
                headers={"Accept": "application/json"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise GatewayError(f"Przelewy24 unreachable: {type(exc).__name__}") from exc

    @staticmethod
    def _error(response: httpx.Response, what: str) -> GatewayError:
        """A GatewayError for an unwanted answer: 4xx other than 429 do not get better by
        retrying (bad data, wrong credentials); 429 and 5xx may."""
        try:
            detail = response.json().get("error", "")
        except (ValueError, AttributeError):
            detail = ""
        if not isinstance(detail, str):
            detail = json.dumps(detail, ensure_ascii=False)
        retry = response.status_code == 429 or response.status_code >= 500
        return GatewayError(f"Przelewy24 {what}: HTTP {response.status_code} {detail}"[:300].strip(), retry=retry)

    @staticmethod
    def _json(response: httpx.Response, what: str) -> dict:
        try:
            data = response.json()
        except ValueError as exc:
            raise GatewayError(f"Przelewy24 {what}: HTTP {response.status_code} without JSON") from exc
        if not isinstance(data, dict):
            raise GatewayError(f"Przelewy24 {what}: unexpected answer")
        return data

    # -- Gateway --

    def start(self, request: StartRequest) -> Started:
        amount = to_grosze(request.amount)
        body = {
            "merchantId": self.merchant_id,
            "posId": self.pos_id,
            "sessionId": request.session_id,
            "amount": amount,
            "currency": CURRENCY,
            "description": request.description[:1024],
            "email": request.email,
            "country": "PL",
            "language": request.language if request.language in LANGUAGES else "en",
            "urlReturn": request.return_url,
            "urlStatus": request.notify_url,
            "sign": register_sign(
                session_id=request.session_id,
                merchant_id=self.merchant_id,
                amount=amount,
                currency=CURRENCY,
                crc=self.crc,
            ),
        }
        response = self._call("POST", "/api/v1/transaction/register", body)
        if response.status_code != 200:
            raise self._error(response, "transaction/register")
        data = self._json(response, "transaction/register").get("data")
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise GatewayError("Przelewy24 transaction/register: no token in the answer")
        return Started(redirect_url=f"{self.base_url}/trnRequest/{quote(token, safe='')}", reference=token)

    def parse_notification(self, body: bytes, content_type: str) -> list[Notice]:
        data = _read_body(body, content_type)
        if "refundsUuid" in data or "requestId" in data:
            return [self._refund_notice(data)]
        return [self._payment_notice(data)]

    def _payment_notice(self, data: dict) -> Notice:
        _check_fields(data, PAYMENT_FIELDS)
        if data["merchantId"] != self.merchant_id or data["posId"] != self.pos_id:
            raise NotificationRejected("wrong_merchant", "merchantId/posId of another account")
        expected = notification_sign(
            merchant_id=data["merchantId"],
            pos_id=data["posId"],
            session_id=data["sessionId"],
            amount=data["amount"],
            origin_amount=data["originAmount"],
            currency=data["currency"],
            order_id=data["orderId"],
            method_id=data["methodId"],
            statement=data["statement"],
            crc=self.crc,
        )
        if not _same_sign(expected, data["sign"]):
            raise NotificationRejected("bad_signature")
        return Notice(
            session_id=data["sessionId"],
            amount=from_grosze(data["amount"]),
            currency=data["currency"],
            status=NoticeStatus.PAID,
            reference=str(data["orderId"]),
            extra={"orderId": data["orderId"], "methodId": data["methodId"], "statement": data["statement"]},
        )

    def _refund_notice(self, data: dict) -> Notice:
        _check_fields(data, REFUND_FIELDS)
        if data["merchantId"] != self.merchant_id:
            raise NotificationRejected("wrong_merchant", "merchantId of another account")
        if data["status"] not in (REFUND_COMPLETED, REFUND_REJECTED):
            raise NotificationRejected("malformed", "unknown refund status")
        expected = refund_notification_sign(
            order_id=data["orderId"],
            session_id=data["sessionId"],
            refunds_uuid=data["refundsUuid"],
            merchant_id=data["merchantId"],
            amount=data["amount"],
            currency=data["currency"],
            status=data["status"],
            crc=self.crc,
        )
        if not _same_sign(expected, data["sign"]):
            raise NotificationRejected("bad_signature")
        return Notice(
            session_id=data["sessionId"],
            amount=from_grosze(data["amount"]),
            currency=data["currency"],
            status=NoticeStatus.REFUNDED if data["status"] == REFUND_COMPLETED else NoticeStatus.FAILED,
            reference=str(data["orderId"]),
            extra={"requestId": data["requestId"], "refundsUuid": data["refundsUuid"]},
        )

    def answer(self, notices: list[Notice], accepted: list[bool]) -> Answer:
        """Always HTTP 200 "OK". P24 only looks at the status code, and a notification our
        service deliberately ignores (a replay, an unknown session) must not be sent again
        and again. A payment notification stops coming back only after transaction/verify,
        which `confirm` makes for accepted notices. (A rejected notification never gets here:
        parse_notification raises and the caller answers it.)"""
        return Answer(status=200, content_type="text/plain; charset=utf-8", body=b"OK")

    def confirm(self, notice: Notice) -> bool:
        """transaction/verify for a PAID notice: True when P24 answers 200 with status
        "success", False when it refuses the data (400 and other 4xx: wrong amount, session or
        orderId). Wrong credentials (401/403) and 429 raise GatewayError like network errors
        and 5xx, because they say nothing about the payment. Other notices need no call."""
        if notice.status != NoticeStatus.PAID:
            return True
        order_id = notice.extra.get("orderId", notice.reference)
        try:
            order_id = int(order_id)
        except (TypeError, ValueError) as exc:
            raise GatewayError("Przelewy24 transaction/verify: the notice has no orderId", retry=False) from exc
        amount = to_grosze(notice.amount)
        body = {
            "merchantId": self.merchant_id,
            "posId": self.pos_id,
            "sessionId": notice.session_id,
            "amount": amount,
            "currency": notice.currency,
            "orderId": order_id,
            "sign": verify_sign(
                session_id=notice.session_id, order_id=order_id, amount=amount, currency=notice.currency, crc=self.crc
            ),
        }
        response = self._call("PUT", "/api/v1/transaction/verify", body)
        if response.status_code in (401, 403, 429) or response.status_code >= 500:
            raise self._error(response, "transaction/verify")
        if response.status_code != 200:
            return False
        data = self._json(response, "transaction/verify").get("data")
        return isinstance(data, dict) and data.get("status") == "success"

    def refund(
        self, *, session_id: str, reference: str, amount: Decimal, request_id: str, notify_url: str
    ) -> RefundStarted:
        """transaction/refund of one transaction (`reference` is its P24 orderId). P24 answers
        201 and notifies notify_url when the refund is carried out, so the refund is never done
        yet here. A repeated request (same request_id after a lost answer) is answered
        "Request already exists": the refund is under way, not an error."""
        if len(request_id) > REQUEST_ID_MAX:
            raise GatewayError(f"refund request id longer than {REQUEST_ID_MAX} characters", retry=False)
        try:
            order_id = int(reference)
        except ValueError as exc:
            raise GatewayError("Przelewy24 refund needs the orderId of a paid transaction", retry=False) from exc
        refunds_uuid = refunds_uuid_for(request_id)
        body = {
            "requestId": request_id,
            "refunds": [
                {
                    "orderId": order_id,
                    "sessionId": session_id,
                    "amount": to_grosze(amount),
                    "description": REFUND_DESCRIPTION,
                }
            ],
            "refundsUuid": refunds_uuid,
            "urlStatus": notify_url,
        }
        response = self._call("POST", "/api/v1/transaction/refund", body)
        if response.status_code == 400:
            try:
                detail = response.json().get("error")
            except (ValueError, AttributeError):
                detail = None
            if isinstance(detail, str) and "already exists" in detail.lower():
                return RefundStarted(reference=refunds_uuid, done=False)
        if response.status_code not in (200, 201):
            raise self._error(response, "transaction/refund")
        items = self._json(response, "transaction/refund").get("data")
        if isinstance(items, list) and any(isinstance(i, dict) and i.get("status") is False for i in items):
            messages = "; ".join(str(i.get("message", "")) for i in items if isinstance(i, dict))
            raise GatewayError(f"Przelewy24 refused the refund: {messages}"[:300], retry=False)
        return RefundStarted(reference=refunds_uuid, done=False)

    # -- extra calls --

    def transaction_by_session(self, session_id: str) -> dict:
        """transaction/by/sessionId: the `data` object (status 0 no payment, 1 advance payment
        – paid, not verified, 2 payment made, 3 payment returned; amount, orderId, …), or {}
        when P24 knows no such transaction (404)."""
        response = self._call("GET", f"/api/v1/transaction/by/sessionId/{quote(session_id, safe='')}")
        if response.status_code == 404:
            return {}
        if response.status_code != 200:
            raise self._error(response, "transaction/by/sessionId")
        data = self._json(response, "transaction/by/sessionId").get("data")
        return data if isinstance(data, dict) else {}

    def test_access(self) -> bool:
        """testAccess: True when P24 accepts our credentials, False on 401/403."""
        response = self._call("GET", "/api/v1/testAccess")
        if response.status_code in (401, 403):
            return False
        if response.status_code != 200:
            raise self._error(response, "testAccess")
        return self._json(response, "testAccess").get("data") is True
