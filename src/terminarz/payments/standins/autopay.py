"""A local stand-in for Autopay online payments (the protocol described in
payments/gateways/autopay.py), for the demo and tests: real HTTP, the same parameters, XML
documents and SHA-256 hashes, a payment page with "Zapłać" / "Odrzuć", ITNs to the configured
ITN address with retries until they are CONFIRMED, and transactionRefund. Everything is kept
in memory; no money moves.

What the real gateway takes from the service's configuration at Autopay – the ITN address and
the default return address – the stand-in takes from `serve(itn_url=..., return_url=...)`; a
`ReturnURL` start parameter overrides the return address, as at Autopay.

The hashes are computed here independently of the adapter, field by field (tests check both
against values worked out by hand), so a mistake on one side does not hide behind the same
mistake on the other. Autopay sends no notification after a refund (refunds are carried out
asynchronously), so neither does the stand-in.

Run: manage.py autopay_standin --port 8032 --itn-url URL --return-url URL (demo credentials
below)."""

import base64
import datetime as dt
import hashlib
import hmac
import html
import itertools
import re
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx

from ._page import page

DEMO_SERVICE_ID = "100001"
DEMO_SHARED_KEY = "demo-autopay-shared-key"

GATEWAY_ID = "106"  # the payment channel every stand-in payment "uses" (a test transfer)
ITN_TIMEOUT = 5.0
MAX_BODY = 64 * 1024
MAX_XML = 32 * 1024
EMAIL = re.compile(r"[^\s/@?&=]+(@|%40)[^\s/@?&=]+")

ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
AMOUNT = re.compile(r"\d{1,14}\.\d{2}")
MESSAGE_ID = re.compile(r"[A-Za-z0-9]{32}")
# Start parameters the stand-in knows, in the order of their hash positions.
START_FIELDS = (
    "ServiceID",
    "OrderID",
    "Amount",
    "Description",
    "GatewayID",
    "Currency",
    "CustomerEmail",
    "Language",
    "ValidityTime",
    "LinkValidityTime",
    "ReturnURL",
)
REFUND_FIELDS = ("ServiceID", "MessageID", "RemoteID", "Amount", "Currency")
LANGUAGES = {"PL", "EN", "DE", "CS", "ES", "FR", "IT"}


def sha256_hash(values: list[str], key: str) -> str:
    """SHA-256 hex of the non-empty values joined with "|", then "|" and the key."""
    return hashlib.sha256("|".join([v for v in values if v] + [key]).encode("utf-8")).hexdigest()


def format_pln(amount: Decimal) -> str:
    """Decimal("12.50") -> "12,50 zł"; Decimal("1234.50") -> "1 234,50 zł"."""
    whole, _, fraction = format(amount.quantize(Decimal("0.01")), "f").partition(".")
    return f"{int(whole):,}".replace(",", " ") + f",{fraction} zł"


def _payment_date() -> str:
    """Now in Polish time as YYYYMMDDhhmmss."""
    try:
        from zoneinfo import ZoneInfo

        now = dt.datetime.now(ZoneInfo("Europe/Warsaw"))
    except Exception:  # pragma: no cover - no time zone data
        now = dt.datetime.now()
    return now.strftime("%Y%m%d%H%M%S")


def build_itn(service_id: str, shared_key: str, t: Mapping[str, Any]) -> bytes:
    """The ITN document `transactionList` for transaction `t`, hashed
    serviceID|orderID|remoteID|amount|currency|gatewayID|paymentDate|paymentStatus|
    paymentStatusDetails|key."""
    fields = [
        ("orderID", t["order_id"]),
        ("remoteID", t["remote_id"]),
        ("amount", t["amount_text"]),
        ("currency", t["currency"]),
        ("gatewayID", t["gateway_id"]),
        ("paymentDate", t["payment_date"]),
        ("paymentStatus", t["status"]),
        ("paymentStatusDetails", t["status_details"]),
    ]
    root = ET.Element("transactionList")
    ET.SubElement(root, "serviceID").text = service_id
    transaction = ET.SubElement(ET.SubElement(root, "transactions"), "transaction")
    for name, value in fields:
        ET.SubElement(transaction, name).text = value
    ET.SubElement(root, "hash").text = sha256_hash([service_id, *(value for _, value in fields)], shared_key)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _safe_xml(data: bytes) -> ET.Element:
    """Parse a small XML answer: no DOCTYPE/entities, UTF-8, size-limited (ValueError)."""
    if len(data) > MAX_XML:
        raise ValueError("too large")
    text = data.decode("utf-8")
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise ValueError("DOCTYPE or ENTITY")
    try:
        return ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise ValueError("not well-formed") from exc


class BadRequest(Exception):
    pass


class RefundError(Exception):
    def __init__(self, code: int, name: str, description: str):
        super().__init__(description)
        self.code, self.name, self.description = code, name, description


class StandIn:
    """The stand-in's state. Tests read `transactions` (by OrderID), `refunds` (by MessageID)
    and `itn_attempts` (every ITN delivery attempt: order_id, url, status – the HTTP status,
    None when nothing answered –, confirmation read back – CONFIRMED / NOTCONFIRMED / None –,
    error), and steer it with `fail_next_itn` (the next N attempts are lost before reaching the
    receiver), `tamper_next_itn` (the next N attempts carry a wrong hash), `retry_delays`,
    `pay()` and `resend_last()`."""

    def __init__(
        self,
        *,
        service_id: str,
        shared_key: str,
        itn_url: str | None = None,
        return_url: str | None = None,
        merchant_name: str = "Sprzedawca testowy",
    ):
        self.service_id = service_id
        self.shared_key = shared_key
        self.itn_url = itn_url
        self.return_url = return_url
        self.merchant_name = merchant_name
        self.base_url = ""
        self.transactions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.itn_attempts: list[dict] = []
        self.log_lines: list[str] = []
        self.on_log: Callable[[str], None] | None = None
        self.fail_next_itn = 0
        self.tamper_next_itn = 0
        # Waits between attempts of one ITN; the real gateway waits much longer.
        self.retry_delays: list[float] = [0.2, 0.5, 1, 2, 5]
        self.lock = threading.RLock()
        self.threads: list[threading.Thread] = []
        self.stopped = threading.Event()
        self._remote_ids = itertools.count(1000001)
        self._last: tuple[str, bytes] | None = None  # order id, ITN document
        self._generation: dict[str, int] = {}  # per order: the newest ITN's number

    # -- logging (never e-mail addresses) --

    def log(self, line: str) -> None:
        line = EMAIL.sub("[e-mail]", line)
        with self.lock:
            self.log_lines.append(line)
        if self.on_log:
            self.on_log(line)

    # -- start of a transaction --

    def start(self, params: dict[str, str]) -> dict:
        """Check a start (parameters and Hash) and register the transaction; BadRequest with a
        Polish message otherwise. Opening the same start again shows the same transaction."""
        unknown = set(params) - set(START_FIELDS) - {"Hash"}
        if unknown:
            raise BadRequest(f"Nieobsługiwane parametry: {', '.join(sorted(unknown))}.")
        for name in ("ServiceID", "OrderID", "Amount", "Hash"):
            if not params.get(name):
                raise BadRequest(f"Brak wymaganego parametru {name}.")
        if params["ServiceID"] != self.service_id:
            raise BadRequest("Nieznany serwis (ServiceID).")
        expected = sha256_hash([params.get(name, "") for name in START_FIELDS], self.shared_key)
        if not hmac.compare_digest(expected.encode(), params["Hash"].lower().encode("utf-8", "replace")):
            raise BadRequest("Nieprawidłowa wartość Hash.")
        order_id, amount_text = params["OrderID"], params["Amount"]
        if not ORDER_ID.fullmatch(order_id):
            raise BadRequest("Nieprawidłowy OrderID (1–32 znaki: litery, cyfry, - i _).")
        if not AMOUNT.fullmatch(amount_text) or Decimal(amount_text) <= 0:
            raise BadRequest("Nieprawidłowa kwota (format 0.00, większa od zera).")
        if params.get("Currency", "PLN") != "PLN":
            raise BadRequest("Bramka testowa obsługuje tylko PLN.")
        if len(params.get("Description", "")) > 79:
            raise BadRequest("Opis (Description) jest dłuższy niż 79 znaków.")
        if params.get("Language") and params["Language"] not in LANGUAGES:
            raise BadRequest("Nieobsługiwany język (Language).")
        return_url = params.get("ReturnURL", "")
        if return_url and urlsplit(return_url).scheme not in ("http", "https"):
            raise BadRequest("Nieprawidłowy adres powrotu (ReturnURL).")
        with self.lock:
            existing = self.transactions.get(order_id)
            if existing is not None:
                if existing["params"] != params:
                    raise BadRequest("Ten OrderID został już użyty w innej transakcji.")
                return existing
            t = {
                "order_id": order_id,
                "remote_id": f"T{next(self._remote_ids)}",
                "amount": Decimal(amount_text),
                "amount_text": amount_text,
                "currency": "PLN",
                "description": params.get("Description", ""),
                "customer_email": params.get("CustomerEmail", ""),
                "return_url": return_url or self.return_url or "",
                "gateway_id": GATEWAY_ID,
                "payment_date": "",
                "status": "PENDING",
                "status_details": "",
                "refunded": Decimal("0.00"),
                "token": secrets.token_urlsafe(16),
                "params": dict(params),
            }
            self.transactions[order_id] = t
        self.log(f"start {order_id} {amount_text} PLN remoteID {t['remote_id']}")
        return t

    # -- the payer's side --

    def pay(self, order_id: str, success: bool = True) -> dict | None:
        """What "Zapłać" (success) / "Odrzuć" (not success) does: settle the transaction (once)
        and send its ITN – the first attempt right away (its record is returned), further
        attempts in a background thread until one is CONFIRMED."""
        with self.lock:
            t = self.transactions[order_id]
            if t["status"] != "PENDING":
                return None
            t.update(
                status="SUCCESS" if success else "FAILURE",
                status_details="AUTHORIZED" if success else "REJECTED",
                payment_date=_payment_date(),
            )
        self.log(f"{'payment' if success else 'rejected'} {order_id}")
        return self._send(order_id)

    def resend_last(self) -> dict:
        """Send the last ITN again, byte for byte (a replay): one attempt, its record returned."""
        with self.lock:
            if self._last is None:
                raise RuntimeError("no ITN sent yet")
            order_id, document = self._last
        return self._attempt(order_id, document)

    def wait_deliveries(self, timeout: float = 15.0) -> bool:
        """Join every retry thread started so far; True when all have ended."""
        deadline = time.monotonic() + timeout
        for thread in list(self.threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self.threads)

    def confirmed(self, order_id: str) -> bool:
        with self.lock:
            return any(a["order_id"] == order_id and a["confirmation"] == "CONFIRMED" for a in self.itn_attempts)

    # -- ITN --

    def _send(self, order_id: str, document: bytes | None = None) -> dict:
        with self.lock:
            if document is None:
                document = build_itn(self.service_id, self.shared_key, self.transactions[order_id])
            self._last = (order_id, document)
            generation = self._generation[order_id] = self._generation.get(order_id, 0) + 1
        record = self._attempt(order_id, document)
        if record["confirmation"] != "CONFIRMED" and self.itn_url:
            thread = threading.Thread(target=self._retry, args=(order_id, document, generation), daemon=True)
            with self.lock:
                self.threads.append(thread)
            thread.start()
        return record

    def _retry(self, order_id: str, document: bytes, generation: int) -> None:
        for delay in self.retry_delays:
            if self.stopped.wait(float(delay)):
                return
            with self.lock:
                if self._generation.get(order_id) != generation:
                    return  # a newer status of this transaction is being sent
            if self._attempt(order_id, document)["confirmation"] == "CONFIRMED":
                return

    def _attempt(self, order_id: str, document: bytes) -> dict:
        url = self.itn_url or ""
        record: dict[str, Any] = {
            "order_id": order_id,
            "url": url,
            "status": None,
            "confirmation": None,
            "error": "",
            "at": time.time(),
        }
        with self.lock:
            lost = self.fail_next_itn > 0
            if lost:
                self.fail_next_itn -= 1
            tampered = not lost and self.tamper_next_itn > 0
            if tampered:
                self.tamper_next_itn -= 1
                document = build_itn(self.service_id, self.shared_key + "?", self.transactions[order_id])
        record["document"] = document
        if not url:
            record["error"] = "no ITN address configured"
        elif lost:
            record["error"] = "simulated failure"
        else:
            try:
                response = httpx.post(
                    url, data={"transactions": base64.b64encode(document).decode("ascii")}, timeout=ITN_TIMEOUT
                )
                record["status"] = response.status_code
                if response.status_code == 200:
                    record["confirmation"], record["error"] = self._read_confirmation(response.content, order_id)
                else:
                    record["error"] = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                record["error"] = type(exc).__name__
        with self.lock:
            self.itn_attempts.append(record)
        self.log(
            f"ITN {order_id} -> {urlsplit(url).path or '-'} HTTP {record['status'] or '-'} "
            f"{record['confirmation'] or record['error']}"
        )
        return record

    def _read_confirmation(self, content: bytes, order_id: str) -> tuple[str | None, str]:
        """The confirmation of `order_id` in a `confirmationList` answer whose serviceID and
        hash (serviceID|orderID|confirmation|…|key) are right; (None, why) otherwise."""
        try:
            root = _safe_xml(content)
        except (UnicodeDecodeError, ValueError) as exc:
            return None, f"unreadable answer: {exc}"
        if root.tag != "confirmationList":
            return None, f"unexpected answer <{root.tag}>"
        values = [(root.findtext("serviceID") or "").strip()]
        found = None
        for item in root.findall("transactionsConfirmations/transactionConfirmed"):
            item_order = (item.findtext("orderID") or "").strip()
            confirmation = (item.findtext("confirmation") or "").strip()
            values += [item_order, confirmation]
            if item_order == order_id:
                found = confirmation
        if values[0] != self.service_id:
            return None, "wrong serviceID in the answer"
        given = (root.findtext("hash") or "").strip().lower()
        if not hmac.compare_digest(sha256_hash(values, self.shared_key).encode(), given.encode("utf-8", "replace")):
            return None, "wrong hash in the answer"
        if found not in ("CONFIRMED", "NOTCONFIRMED"):
            return None, "the transaction is not confirmed in the answer"
        return found, ""

    # -- refunds --

    def refund(self, form: dict[str, str]) -> bytes:
        """transactionRefund: the hashed XML confirmation, or raises RefundError."""
        for name in ("ServiceID", "MessageID", "RemoteID", "Hash"):
            if not form.get(name):
                raise RefundError(2, "INVALID_FORMAT", f"Missing parameter {name}")
        if form["ServiceID"] != self.service_id:
            raise RefundError(-3, "SERVICE_NOT_FOUND", "Service not found")
        expected = sha256_hash([form.get(name, "") for name in REFUND_FIELDS], self.shared_key)
        if not hmac.compare_digest(expected.encode(), form["Hash"].lower().encode("utf-8", "replace")):
            raise RefundError(7, "INVALID_HASH", "Invalid hash")
        message_id = form["MessageID"]
        if not MESSAGE_ID.fullmatch(message_id):
            raise RefundError(2, "INVALID_FORMAT", "MessageID must be 32 alphanumeric characters")
        amount_text = form.get("Amount", "")
        if amount_text and (not AMOUNT.fullmatch(amount_text) or Decimal(amount_text) <= 0):
            raise RefundError(2, "INVALID_FORMAT", "Amount must be in the format 0.00")
        if form.get("Currency", "PLN") != "PLN":
            raise RefundError(49, "VALIDATION_FAILED", "Unsupported currency")
        with self.lock:
            if message_id in self.refunds:  # a repeated MessageID is confirmed, not carried out again
                return self._refund_answer(message_id)
            t = next((t for t in self.transactions.values() if t["remote_id"] == form["RemoteID"]), None)
            if t is None:
                raise RefundError(-10, "TRANSACTION_NOT_FOUND", "Transaction not found")
            if t["status"] != "SUCCESS":
                raise RefundError(54, "TRANSACTION_NOT_IN_REFUNDABLE_STATUS", "Transaction is not paid")
            left = t["amount"] - t["refunded"]
            amount = Decimal(amount_text) if amount_text else left
            if left <= 0:
                raise RefundError(54, "TRANSACTION_NOT_IN_REFUNDABLE_STATUS", "Transaction already refunded")
            if amount > left:
                raise RefundError(55, "BALANCE_ERROR", f"Amount {amount} exceeds what is left ({left})")
            t["refunded"] += amount
            self.refunds[message_id] = {
                "message_id": message_id,
                "remote_id": t["remote_id"],
                "order_id": t["order_id"],
                "amount": amount,
                "currency": "PLN",
                "at": time.time(),
            }
        self.log(f"refund {message_id} of {t['order_id']}: {amount} PLN")
        return self._refund_answer(message_id)

    def _refund_answer(self, message_id: str) -> bytes:
        root = ET.Element("transactionRefund")
        ET.SubElement(root, "serviceID").text = self.service_id
        ET.SubElement(root, "messageID").text = message_id
        ET.SubElement(root, "hash").text = sha256_hash([self.service_id, message_id], self.shared_key)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    # -- pages --

    def page(self, t: dict) -> str:
        e = html.escape
        details = (
            "<dl>"
            f"<dt>Odbiorca płatności</dt><dd>{e(self.merchant_name)} (serwis nr {e(self.service_id)})</dd>"
            + (f"<dt>Tytuł</dt><dd>{e(t['description'])}</dd>" if t["description"] else "")
            + f'<dt>Kwota</dt><dd class="amount">{e(format_pln(t["amount"]))}</dd>'
            "</dl>"
        )
        if t["status"] != "PENDING":
            state = "opłacona" if t["status"] == "SUCCESS" else "odrzucona"
            body = details + f'<p class="done" role="status">Transakcja została {state}.</p>'
            if t["return_url"]:
                body += f'<p><a href="{e(self.return_link(t))}">Wróć do serwisu</a></p>'
            return _page("Płatność", body)
        return _page(
            "Płatność",
            details + '<form method="post" action="/payment/decision">'
            f'<input type="hidden" name="OrderID" value="{e(t["order_id"])}">'
            f'<input type="hidden" name="token" value="{e(t["token"])}">'
            '<button class="pay" type="submit" name="action" value="pay">Zapłać</button>'
            '<button class="reject" type="submit" name="action" value="reject">Odrzuć</button>'
            "</form>",
        )

    def return_link(self, t: dict) -> str:
        """The return address with ServiceID, OrderID and Hash (ServiceID|OrderID|key)."""
        query = urlencode(
            {
                "ServiceID": self.service_id,
                "OrderID": t["order_id"],
                "Hash": sha256_hash([self.service_id, t["order_id"]], self.shared_key),
            }
        )
        parts = urlsplit(t["return_url"])
        return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))


def _page(title: str, body: str) -> str:
    return page("Autopay", title, body, background="#eef2f7", pay="#0b4ea2", focus="#b45309", link="#0b4ea2")


def _error_page(message: str) -> str:
    return _page(
        "Błąd transakcji", f'<p class="error">{html.escape(message)}</p><p>Wróć do serwisu i spróbuj ponownie.</p>'
    )


def _single(query: dict[str, list[str]]) -> dict[str, str]:
    """One value per parameter (BadRequest when repeated); empty ones count as absent."""
    if any(len(values) > 1 for values in query.values()):
        raise BadRequest("Powtórzony parametr.")
    return {name: values[0] for name, values in query.items() if values[0] != ""}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: StandIn

    def shutdown(self) -> None:
        self.state.stopped.set()
        super().shutdown()


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    service_id: str = DEMO_SERVICE_ID,
    shared_key: str = DEMO_SHARED_KEY,
    itn_url: str | None = None,
    return_url: str | None = None,
) -> tuple[ThreadingHTTPServer, StandIn]:
    """Start the stand-in in a daemon thread; port=0 picks a free one (see state.base_url)."""
    state = StandIn(service_id=service_id, shared_key=shared_key, itn_url=itn_url, return_url=return_url)

    class Handler(BaseHTTPRequestHandler):
        server_version = "AutopayStandIn/1.0"

        def do_GET(self):  # noqa: N802 (http.server API)
            parts = urlsplit(self.path)
            if parts.path == "/payment":
                self._start(parse_qs(parts.query, keep_blank_values=True))
            else:
                self._html(404, _page("Nie znaleziono", "<p>Nie ma takiej strony.</p>"))

        def do_POST(self):  # noqa: N802
            path = urlsplit(self.path).path
            try:
                form = parse_qs(self._read().decode("utf-8"), keep_blank_values=True, max_num_fields=100)
            except (UnicodeDecodeError, ValueError):
                self._html(400, _error_page("Nieczytelne żądanie."))
                return
            if path == "/payment":
                self._start(form)
            elif path == "/payment/decision":
                self._decision(form)
            elif path == "/settlementapi/transactionRefund":
                self._refund(form)
            else:
                self._html(404, _page("Nie znaleziono", "<p>Nie ma takiej strony.</p>"))

        def _read(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise ValueError("body too large")
            return self.rfile.read(length) if length > 0 else b""

        def _start(self, query: dict[str, list[str]]) -> None:
            try:
                t = state.start(_single(query))
            except BadRequest as exc:
                self._html(400, _error_page(str(exc)))
                return
            self._html(200, state.page(t))

        def _decision(self, form: dict[str, list[str]]) -> None:
            order_id = form.get("OrderID", [""])[0]
            t = state.transactions.get(order_id)
            if t is None or not hmac.compare_digest(form.get("token", [""])[0].encode(), t["token"].encode()):
                self._html(400, _error_page("Formularz nie dotyczy żadnej transakcji."))
                return
            action = form.get("action", [""])[0]
            if action not in ("pay", "reject"):
                self._html(400, _error_page("Wybierz „Zapłać” albo „Odrzuć”."))
                return
            state.pay(order_id, success=action == "pay")
            if not t["return_url"]:
                self._html(200, state.page(t))
                return
            self.send_response(303)
            self.send_header("Location", state.return_link(t))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _refund(self, form: dict[str, list[str]]) -> None:
            try:
                answer = state.refund(_single(form))
            except BadRequest:
                answer = _error_xml(2, "INVALID_FORMAT", "Repeated parameter")
            except RefundError as exc:
                answer = _error_xml(exc.code, exc.name, exc.description)
            self._send(200, "application/xml; charset=utf-8", answer)

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

        def log_message(self, format, *args):  # method, path and status only: queries carry e-mail addresses
            command = getattr(self, "command", None) or "-"
            path = urlsplit(getattr(self, "path", "") or "").path or "-"
            outcome = args[1] if format == '"%s" %s %s' and len(args) > 1 else "error"
            state.log(f"{self.address_string()} {command} {path} -> {outcome}")

    server = _Server((host, port), Handler)
    server.state = state
    state.base_url = f"http://{host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server, state


def _error_xml(code: int, name: str, description: str) -> bytes:
    root = ET.Element("error")
    ET.SubElement(root, "statusCode").text = str(code)
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "description").text = description
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
