"""A local stand-in for Przelewy24 REST API v1 (the protocol described in
payments/gateways/przelewy24.py), for the demo and tests: real HTTP, Basic auth, the same JSON
bodies, signs and status codes, a payment page with "Zapłać" / "Odrzuć", signed notifications
to urlStatus with retries. Everything is kept in memory; no money moves.

The signs are computed here independently of the adapter (tests check both against values
worked out by hand), so a mistake on one side does not hide behind the same mistake on the other.

Run: manage.py przelewy24_standin --port 8031 (demo credentials below)."""

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from ._page import page

DEMO_MERCHANT_ID = 100001
DEMO_POS_ID = 100001
DEMO_API_KEY = "demo-p24-api-key"
DEMO_CRC = "demo-p24-crc"

LANGUAGES = {"bg", "cs", "de", "en", "es", "fr", "hr", "hu", "it", "nl", "pl", "pt", "se", "sk", "ro"}
METHOD_ID = 25  # the payment method every stand-in payment "uses"
NOTIFY_TIMEOUT = 5.0
EMAIL = re.compile(r"[^\s/@?&=]+@[^\s/@?&=]+")

# transaction/by/sessionId statuses
NO_PAYMENT, ADVANCE_PAYMENT, PAYMENT_MADE, PAYMENT_RETURNED = 0, 1, 2, 3


def sign(fields: list[tuple[str, Any]]) -> str:
    """SHA-384 hex of the compact JSON object of `fields` (in this order, unescaped "/" and
    non-ASCII characters)."""
    text = json.dumps(dict(fields), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def format_pln(grosze: int) -> str:
    """1250 -> "12,50 zł"; 123450 -> "1 234,50 zł"."""
    whole = f"{grosze // 100:,}".replace(",", " ")
    return f"{whole},{grosze % 100:02d} zł"


def _now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _field(body: dict, name: str, kind: type, max_length: int | None = None, *, required: bool = True) -> Any:
    value = body.get(name)
    if value is None and not required:
        return None
    if type(value) is not kind:  # bool is not an int here, a JSON fraction (Decimal) is not either
        raise BadRequest(f"Invalid input data: {name}")
    if max_length is not None and isinstance(value, str) and len(value) > max_length:
        raise BadRequest(f"Invalid input data: {name} too long")
    return value


class StandIn:
    """The stand-in's state. Tests read `transactions` (by token), `refunds` (by requestId),
    `notifications` (every delivery attempt: url, status – None when nothing answered –, kind,
    body) and `received` (API calls: method, path, body), and steer it with
    `fail_next_notifications` (the next N delivery attempts are lost before reaching the
    receiver), `retry_delays`, `reject_next_refunds`, `pay()` and `resend_last()`."""

    def __init__(
        self, *, merchant_id: int, pos_id: int, api_key: str, crc: str, merchant_name: str = "Sprzedawca testowy"
    ):
        self.merchant_id = merchant_id
        self.pos_id = pos_id
        self.api_key = api_key
        self.crc = crc
        self.merchant_name = merchant_name
        self.base_url = ""
        self.transactions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.notifications: list[dict] = []
        self.received: list[dict] = []
        self.log_lines: list[str] = []
        self.on_log: Callable[[str], None] | None = None
        self.fail_next_notifications = 0
        self.reject_next_refunds = 0  # the next N refunds are notified as rejected (status 1)
        # Waits between delivery attempts of one notification; the real gateway waits minutes
        # (3, 5, 15, 30, 60, 150, 450).
        self.retry_delays: list[float] = [0.2, 0.5, 1, 2, 5]
        # False: a notification answered with HTTP 200 is not sent again. True: like the real
        # gateway, a payment notification keeps coming until transaction/verify.
        self.resend_until_verified = False
        self.lock = threading.RLock()
        self.threads: list[threading.Thread] = []
        self._order_ids = itertools.count(300000001)
        self._last: tuple[str, bytes, str, str] | None = None  # url, payload, kind, token

    # -- logging (never e-mail addresses) --

    def log(self, line: str) -> None:
        line = EMAIL.sub("[e-mail]", line)
        with self.lock:
            self.log_lines.append(line)
        if self.on_log:
            self.on_log(line)

    # -- auth --

    def authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user.encode(), str(self.pos_id).encode()) and hmac.compare_digest(
            password.encode(), self.api_key.encode()
        )

    # -- API --

    def register(self, body: dict) -> tuple[int, dict]:
        merchant_id = _field(body, "merchantId", int)
        pos_id = _field(body, "posId", int)
        session_id = _field(body, "sessionId", str, 100)
        amount = _field(body, "amount", int)
        currency = _field(body, "currency", str, 3)
        description = _field(body, "description", str, 1024)
        email = _field(body, "email", str, 50)
        country = _field(body, "country", str, 2)
        language = _field(body, "language", str, 2)
        url_return = _field(body, "urlReturn", str, 250)
        url_status = _field(body, "urlStatus", str, 250, required=False)
        given_sign = _field(body, "sign", str, 100)
        if merchant_id != self.merchant_id or pos_id != self.pos_id:
            raise BadRequest("Invalid input data: merchantId/posId")
        if not session_id or amount <= 0 or currency != currency.upper() or len(currency) != 3:
            raise BadRequest("Invalid input data: sessionId/amount/currency")
        if "@" not in email or language not in LANGUAGES or len(country) != 2:
            raise BadRequest("Invalid input data: email/language/country")
        for url in (url_return, url_status):
            if url is not None and urlsplit(url).scheme not in ("http", "https"):
                raise BadRequest("Invalid input data: url")
        expected = sign(
            [
                ("sessionId", session_id),
                ("merchantId", merchant_id),
                ("amount", amount),
                ("currency", currency),
                ("crc", self.crc),
            ]
        )
        if not hmac.compare_digest(expected.encode(), given_sign.lower().encode("utf-8", "replace")):
            raise BadRequest("Incorrect sign")
        hexes = secrets.token_hex(16).upper()
        token = f"{hexes[:10]}-{hexes[10:16]}-{hexes[16:22]}-{hexes[22:]}"
        with self.lock:
            self.transactions[token] = {
                "token": token,
                "merchantId": merchant_id,
                "posId": pos_id,
                "sessionId": session_id,
                "amount": amount,
                "currency": currency,
                "description": description,
                "email": email,
                "country": country,
                "language": language,
                "urlReturn": url_return,
                "urlStatus": url_status,
                "date": _now(),
                "orderId": None,
                "methodId": None,
                "statement": "",
                "dateOfTransaction": "",
                "verified": False,
                "rejected": False,
                "refunded": 0,
            }
        self.log(f"transaction/register {token} {format_pln(amount)}")
        return 200, {"data": {"token": token}, "responseCode": 0}

    def verify(self, body: dict) -> tuple[int, dict]:
        merchant_id = _field(body, "merchantId", int)
        pos_id = _field(body, "posId", int)
        session_id = _field(body, "sessionId", str, 100)
        amount = _field(body, "amount", int)
        currency = _field(body, "currency", str, 3)
        order_id = _field(body, "orderId", int)
        given_sign = _field(body, "sign", str, 100)
        if merchant_id != self.merchant_id or pos_id != self.pos_id:
            raise BadRequest("Invalid input data: merchantId/posId")
        expected = sign(
            [
                ("sessionId", session_id),
                ("orderId", order_id),
                ("amount", amount),
                ("currency", currency),
                ("crc", self.crc),
            ]
        )
        if not hmac.compare_digest(expected.encode(), given_sign.lower().encode("utf-8", "replace")):
            raise BadRequest("Incorrect sign")
        with self.lock:
            found = [t for t in self.transactions.values() if t["sessionId"] == session_id and t["orderId"] == order_id]
            if not found:
                raise BadRequest("Transaction not found")
            transaction = found[-1]
            if transaction["amount"] != amount or transaction["currency"] != currency:
                raise BadRequest("Invalid input data: amount/currency")
            transaction["verified"] = True
        self.log(f"transaction/verify {transaction['token']} orderId {order_id}")
        return 200, {"data": {"status": "success"}, "responseCode": 0}

    def by_session(self, session_id: str) -> tuple[int, dict]:
        with self.lock:
            found = [t for t in self.transactions.values() if t["sessionId"] == session_id]
            if not found:
                return 404, {"error": "Transaction not found", "responseCode": 0}
            t = found[-1]
            return 200, {"data": self.describe(t), "responseCode": 0}

    def describe(self, t: dict) -> dict:
        if t["orderId"] is None:
            status = NO_PAYMENT
        elif t["refunded"] >= t["amount"]:
            status = PAYMENT_RETURNED
        elif t["verified"]:
            status = PAYMENT_MADE
        else:
            status = ADVANCE_PAYMENT
        return {
            "statement": t["statement"],
            "orderId": t["orderId"] or 0,
            "sessionId": t["sessionId"],
            "status": status,
            "amount": t["amount"],
            "currency": t["currency"],
            "date": t["date"],
            "dateOfTransaction": t["dateOfTransaction"],
            "clientEmail": t["email"],
            "accountMD5": "",
            "paymentMethod": t["methodId"] or 0,
            "description": t["description"],
            "clientName": "",
            "clientAddress": "",
            "clientCity": "",
            "clientPostcode": "",
            "batchId": 0,
            "fee": "0",
        }

    def refund(self, body: dict) -> tuple[int, dict]:
        try:
            request_id = _field(body, "requestId", str, 45)
            refunds_uuid = _field(body, "refundsUuid", str, 35)
            url_status = _field(body, "urlStatus", str, None, required=False)
            items = body.get("refunds")
            if not request_id or not refunds_uuid or not isinstance(items, list) or not items:
                raise BadRequest("")
            for item in items:
                if not isinstance(item, dict):
                    raise BadRequest("")
                _field(item, "orderId", int)
                _field(item, "sessionId", str, 100)
                _field(item, "description", str, 35, required=False)
                if _field(item, "amount", int) <= 0:
                    raise BadRequest("")
        except BadRequest as exc:
            raise BadRequest("Invalid input parameters") from exc
        with self.lock:
            if request_id in self.refunds:
                raise BadRequest("Request already exists")
            answers, problems, targets = [], [], []
            pending: dict[str, int] = {}
            for item in items:
                found = [
                    t
                    for t in self.transactions.values()
                    if t["orderId"] == item["orderId"] and t["sessionId"] == item["sessionId"]
                ]
                message = "success"
                if not found:
                    message = "Transaction not found"
                elif not found[0]["verified"]:
                    message = "Transaction in wrong status - cannot refund"
                else:
                    t = found[0]
                    available = t["amount"] - t["refunded"] - pending.get(t["token"], 0)
                    if item["amount"] > available:
                        message = "The amount of refund exceeds available amount for the transaction"
                    else:
                        pending[t["token"]] = pending.get(t["token"], 0) + item["amount"]
                        targets.append((t, item))
                answer = {
                    "orderId": item["orderId"],
                    "sessionId": item["sessionId"],
                    "amount": item["amount"],
                    "description": item.get("description") or "",
                    "status": message == "success",
                    "message": message,
                }
                answers.append(answer)
                if message != "success":
                    problems.append(answer)
            if problems:
                return 409, {"error": answers, "code": 409}
            record = {"requestId": request_id, "refundsUuid": refunds_uuid, "urlStatus": url_status, "refunds": []}
            self.refunds[request_id] = record
            outcomes = []
            for t, item in targets:
                status = 0  # completed
                if self.reject_next_refunds:
                    self.reject_next_refunds -= 1
                    status = 1  # rejected: the money stays with the merchant
                else:
                    t["refunded"] += item["amount"]
                record["refunds"].append({**item, "status": status})
                outcomes.append((t, item, status))
        self.log(f"transaction/refund {request_id} ({len(outcomes)})")
        if url_status:
            for t, item, status in outcomes:
                self._notify_refund(url_status, t, item, request_id, refunds_uuid, status)
        return 201, {"data": answers, "responseCode": 0}

    # -- the payer's side --

    def pay(self, token: str, *, wait: bool = False) -> threading.Thread | None:
        """What the "Zapłać" button does: mark the transaction paid (once), give it an orderId
        and send the signed notification to urlStatus in a background thread, which is returned
        (None when there is nothing to send). wait=True returns after the delivery ended."""
        with self.lock:
            t = self.transactions[token]
            if t["orderId"] is not None:
                return None
            order_id = next(self._order_ids)
            t.update(
                orderId=order_id,
                methodId=METHOD_ID,
                statement=f"p24-{token[:3]}-{token[11:14]}-{order_id % 1000:03d}",
                dateOfTransaction=_now(),
                rejected=False,
            )
            payload = {
                "merchantId": self.merchant_id,
                "posId": self.pos_id,
                "sessionId": t["sessionId"],
                "amount": t["amount"],
                "originAmount": t["amount"],
                "currency": t["currency"],
                "orderId": order_id,
                "methodId": METHOD_ID,
                "statement": t["statement"],
            }
            payload["sign"] = sign([*payload.items(), ("crc", self.crc)])
            url = t["urlStatus"]
        self.log(f"payment {token} orderId {order_id}")
        if not url:
            return None
        thread = self._send(url, json.dumps(payload, ensure_ascii=False).encode(), "transaction", token)
        if wait:
            thread.join()
        return thread

    def reject(self, token: str) -> None:
        """What "Odrzuć" does: nothing to notify (P24 notifies successful payments only)."""
        with self.lock:
            t = self.transactions[token]
            if t["orderId"] is None:
                t["rejected"] = True
        self.log(f"rejected {token}")

    def resend_last(self, *, wait: bool = False) -> threading.Thread:
        """Send the last notification again, byte for byte (a replay)."""
        with self.lock:
            if self._last is None:
                raise RuntimeError("no notification sent yet")
            url, payload, kind, token = self._last
        thread = self._send(url, payload, kind, token)
        if wait:
            thread.join()
        return thread

    def last_notification(self) -> dict | None:
        with self.lock:
            return json.loads(self._last[1]) if self._last else None

    def wait_for_notifications(self, timeout: float = 15.0) -> None:
        """Join every delivery thread started so far."""
        deadline = time.monotonic() + timeout
        for thread in list(self.threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- notifications --

    def _notify_refund(self, url: str, t: dict, item: dict, request_id: str, refunds_uuid: str, status: int) -> None:
        payload = {
            "orderId": item["orderId"],
            "sessionId": item["sessionId"],
            "merchantId": self.merchant_id,
            "requestId": request_id,
            "refundsUuid": refunds_uuid,
            "amount": item["amount"],
            "currency": t["currency"],
            "timestamp": int(time.time()),
            "status": status,
        }
        payload["sign"] = sign(
            [
                ("orderId", payload["orderId"]),
                ("sessionId", payload["sessionId"]),
                ("refundsUuid", refunds_uuid),
                ("merchantId", self.merchant_id),
                ("amount", payload["amount"]),
                ("currency", payload["currency"]),
                ("status", status),
                ("crc", self.crc),
            ]
        )
        self._send(url, json.dumps(payload, ensure_ascii=False).encode(), "refund", t["token"])

    def _send(self, url: str, payload: bytes, kind: str, token: str) -> threading.Thread:
        with self.lock:
            self._last = (url, payload, kind, token)
        thread = threading.Thread(target=self._deliver, args=(url, payload, kind, token), daemon=True)
        with self.lock:
            self.threads.append(thread)
        thread.start()
        return thread

    def _verified(self, token: str) -> bool:
        with self.lock:
            return bool(self.transactions.get(token, {}).get("verified"))

    def _deliver(self, url: str, payload: bytes, kind: str, token: str) -> None:
        for delay in [0.0, *self.retry_delays]:
            if delay:
                time.sleep(delay)
                if kind == "transaction" and self._verified(token):
                    return  # a verified payment is not notified again
            status = self._attempt(url, payload, kind)
            if status == 200 and not (self.resend_until_verified and kind == "transaction"):
                return

    def _attempt(self, url: str, payload: bytes, kind: str) -> int | None:
        record: dict[str, Any] = {"url": url, "kind": kind, "body": json.loads(payload), "at": time.time()}
        with self.lock:
            lost = self.fail_next_notifications > 0
            if lost:
                self.fail_next_notifications -= 1
        if lost:
            record.update(status=None, error="simulated failure")
        else:
            try:
                response = httpx.post(
                    url, content=payload, headers={"Content-Type": "application/json"}, timeout=NOTIFY_TIMEOUT
                )
                record.update(status=response.status_code, error="")
            except httpx.HTTPError as exc:
                record.update(status=None, error=type(exc).__name__)
        with self.lock:
            self.notifications.append(record)
        self.log(f"notification ({kind}) -> {urlsplit(url).path} HTTP {record['status'] or record['error']}")
        return record["status"]

    # -- the payment page --

    def page(self, token: str) -> tuple[int, str]:
        with self.lock:
            t = self.transactions.get(token)
            if t is None:
                return 404, _page(
                    "Nieznana transakcja",
                    "<p>Nie ma transakcji o tym numerze albo jej czas minął. Wróć do sklepu i spróbuj ponownie.</p>",
                )
            t = dict(t)
        e = html.escape
        details = (
            "<dl>"
            f"<dt>Odbiorca płatności</dt><dd>{e(self.merchant_name)} (nr {self.merchant_id})</dd>"
            f"<dt>Tytuł</dt><dd>{e(t['description'])}</dd>"
            f'<dt>Kwota</dt><dd class="amount">{e(format_pln(t["amount"]))}</dd>'
            "</dl>"
        )
        if t["orderId"] is not None:
            body = (
                details + '<p class="done" role="status">Transakcja została opłacona.</p>'
                f'<p><a class="back" href="{e(t["urlReturn"])}">Wróć do serwisu</a></p>'
            )
        else:
            action = f"/trnRequest/{e(token)}"
            body = (
                details + f'<form method="post" action="{action}">'
                f'<input type="hidden" name="token" value="{e(token)}">'
                '<button class="pay" type="submit" name="action" value="pay">Zapłać</button>'
                '<button class="reject" type="submit" name="action" value="reject">Odrzuć</button>'
                "</form>"
            )
        return 200, _page("Płatność", body)


def _page(title: str, body: str) -> str:
    return page("Przelewy24", title, body, background="#f3f4f6", pay="#b0102b", focus="#1d4ed8", link="#1d4ed8")


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    merchant_id: int = DEMO_MERCHANT_ID,
    pos_id: int = DEMO_POS_ID,
    api_key: str = DEMO_API_KEY,
    crc: str = DEMO_CRC,
) -> tuple[ThreadingHTTPServer, StandIn]:
    """Start the stand-in in a daemon thread; port=0 picks a free one (see state.base_url)."""
    state = StandIn(merchant_id=merchant_id, pos_id=pos_id, api_key=api_key, crc=crc)

    class Handler(BaseHTTPRequestHandler):
        server_version = "P24StandIn/1.0"

        def do_GET(self):  # noqa: N802 (http.server API)
            path = urlsplit(self.path).path
            if path.startswith("/trnRequest/"):
                status, page = state.page(unquote(path.removeprefix("/trnRequest/")))
                self._html(status, page)
            elif path == "/api/v1/testAccess":
                self._api(lambda body: (200, {"data": True, "error": ""}), with_body=False)
            elif path.startswith("/api/v1/transaction/by/sessionId/"):
                session_id = unquote(path.removeprefix("/api/v1/transaction/by/sessionId/"))
                self._api(lambda body: state.by_session(session_id), with_body=False)
            else:
                self._json(404, {"error": "Not found", "code": 404})

        def do_POST(self):  # noqa: N802
            path = urlsplit(self.path).path
            if path.startswith("/trnRequest/"):
                self._payer_choice(unquote(path.removeprefix("/trnRequest/")))
            elif path == "/api/v1/transaction/register":
                self._api(state.register)
            elif path == "/api/v1/transaction/refund":
                self._api(state.refund)
            else:
                self._json(404, {"error": "Not found", "code": 404})

        def do_PUT(self):  # noqa: N802
            if urlsplit(self.path).path == "/api/v1/transaction/verify":
                self._api(state.verify)
            else:
                self._json(404, {"error": "Not found", "code": 404})

        def _read(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def _api(self, handler: Callable[[dict], tuple[int, dict]], *, with_body: bool = True) -> None:
            raw = self._read()
            body: Any = {}
            if with_body:
                try:
                    body = json.loads(raw.decode("utf-8"), parse_float=Decimal)
                except (UnicodeDecodeError, ValueError):
                    body = None
            with state.lock:
                state.received.append(
                    {"method": self.command, "path": urlsplit(self.path).path, "body": body, "raw": raw}
                )
            if not state.authorized(self.headers.get("Authorization")):
                self._json(401, {"error": "Incorrect authentication", "code": 401})
                return
            if not isinstance(body, dict):
                self._json(400, {"error": "Invalid input data", "code": 400})
                return
            try:
                status, answer = handler(body)
            except BadRequest as exc:
                status, answer = exc.status, {"error": str(exc), "code": exc.status}
            self._json(status, answer)

        def _payer_choice(self, token: str) -> None:
            form = parse_qs(self._read().decode("utf-8", "replace"))
            if token not in state.transactions:
                self._html(*state.page(token))
                return
            if form.get("token", [""])[0] != token:
                self._html(400, _page("Błędne żądanie", "<p>Formularz nie dotyczy tej transakcji.</p>"))
                return
            action = form.get("action", [""])[0]
            if action == "pay":
                state.pay(token)
            elif action == "reject":
                state.reject(token)
            else:
                self._html(400, _page("Błędne żądanie", "<p>Wybierz „Zapłać” albo „Odrzuć”.</p>"))
                return
            self.send_response(303)
            self.send_header("Location", state.transactions[token]["urlReturn"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _json(self, status: int, body: dict) -> None:
            self._send(status, "application/json", json.dumps(body, ensure_ascii=False).encode())

        def _html(self, status: int, page: str) -> None:
            self._send(status, "text/html; charset=utf-8", page.encode())

        def _send(self, status: int, content_type: str, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            if content_type.startswith("text/html"):
                self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
                self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # the request line only, e-mail addresses masked
            state.log(f"{self.address_string()} {format % args}")

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    state.base_url = f"http://{host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server, state
