"""Autopay (formerly Blue Media) online payments (H8).

The protocol, as published in Autopay's documentation of the online payment gateway
(developers.autopay.pl, "Bramka Płatności Online Autopay – dokumentacja"):

- Start of a transaction: the payer's browser is sent to `{gateway}/payment` with the
  parameters ServiceID, OrderID, Amount, Description, GatewayID, Currency, CustomerEmail, …,
  Hash (form POST in the documentation; the gateway reads the same parameters from a GET link,
  which is what we use for a plain redirect). No server-to-server call is needed.
  * OrderID: at most 32 characters (`string{1,32}`); we allow `A-Za-z0-9_-`. The pair
    ServiceID + OrderID identifies a transaction and an OrderID must never be reused. Our
    session ids are short alphanumeric strings, so each attempt is its own OrderID.
  * Amount: "0.00" – a dot, two decimals, at most 14 digits before the dot.
  * Description: optional, short (at most 79 characters, a restricted character set); we
    send a cleaned, shortened copy.
  * Language (hash position 8): PL / EN / … – we send PL or EN.
  * ReturnURL (hash position 45): an optional dynamic return address; the ITN address has no
    start parameter – it is configured per service at Autopay (the local stand-in takes it from
    its configuration, `serve(itn_url=...)`). `StartRequest.notify_url` is therefore not sent.
- Return of the payer: GET on the return address with ServiceID, OrderID and
  Hash = H(ServiceID|OrderID|key). The return page changes nothing; only the ITN does.
- ITN (Instant Transaction Notification): Autopay POSTs a form with one field `transactions`,
  the Base64 of an XML document `transactionList` (serviceID, transactions/transaction with
  orderID, remoteID, amount, currency, gatewayID, paymentDate YYYYMMDDhhmmss, paymentStatus
  PENDING / SUCCESS / FAILURE, paymentStatusDetails, optional extra nodes, and hash). It must
  be answered with HTTP 200 and an XML `confirmationList` (serviceID,
  transactionsConfirmations/transactionConfirmed with orderID and confirmation CONFIRMED /
  NOTCONFIRMED, hash); anything else makes Autopay send the newest status again later.
- Refund: POST (form) `{gateway}/settlementapi/transactionRefund` with ServiceID, MessageID
  (32 alphanumeric characters, repeating it is safe: the refund is not made twice), RemoteID
  (the remoteID from the ITN), Amount (optional: all), Currency (optional), Hash. The answer is
  XML `transactionRefund` (serviceID, messageID[, remoteOutID in older versions], hash) or an
  XML `error` (statusCode, name, description). Refunds are carried out asynchronously (within
  about 30 minutes); Autopay sends no notification for them.

Hashes (section "Bezpieczeństwo transakcji"): the values of the message's fields, in the
documented order, non-empty ones only, joined with "|", then "|" and the shared key; SHA-256
hex (SHA-512 can be agreed per service – not supported here). For XML messages the documented
order is the order of the elements in the document (nested nodes included, the `value`
attribute of product `param`s), the final `hash` element excluded.

A local stand-in speaking the same protocol: `manage.py autopay_standin`
(payments/standins/autopay.py)."""

import base64
import binascii
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs

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

try:  # hardened parser when available; the checks in `parse_xml` hold either way
    from defusedxml.ElementTree import fromstring as _defused_fromstring
except ImportError:  # pragma: no cover - depends on the environment
    _defused_fromstring = None

CURRENCY = "PLN"
SEPARATOR = "|"
START_PATH = "/payment"
REFUND_PATH = "/settlementapi/transactionRefund"

# Start parameters that take part in the hash, in the documented order (positions 1–8, 19, 34,
# 45 of the parameter list). Anything else must not be sent by this adapter.
START_HASH_ORDER = (
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
ORDER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
MESSAGE_ID_RE = re.compile(r"[A-Za-z0-9]{32}")
AMOUNT_RE = re.compile(r"\d{1,14}\.\d{2}")
DESCRIPTION_MAX = 79
# A conservative character set for Description: Latin letters, Polish letters, digits, space
# and . : - ,
_DESCRIPTION_DROP = re.compile(r"[^A-Za-z0-9ĄĆĘŁŃÓŚŹŻąćęłńóśźż .:,\-]+")
LANGUAGES = {"pl": "PL", "en": "EN"}  # anything else (uk) gets English

STATUSES = {"SUCCESS": NoticeStatus.PAID, "FAILURE": NoticeStatus.FAILED, "PENDING": NoticeStatus.PENDING}
CONFIRMED, NOT_CONFIRMED = "CONFIRMED", "NOTCONFIRMED"

MAX_NOTIFICATION_BYTES = 64 * 1024  # the form body of one ITN
MAX_XML_BYTES = 32 * 1024
# Refund errors worth another try with the same MessageID.
RETRYABLE_REFUND_ERRORS = {"TEMPORARY_DISABLED", "OTHER_ERROR"}


# --- money ------------------------------------------------------------------------------------


def format_amount(amount: Decimal) -> str:
    """PLN as a Decimal -> "12.50" (a dot, exactly two decimals); no float on the way."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount {amount} is not a valid sum of money")
    exact = amount.quantize(Decimal("0.01"))
    if exact != amount:
        raise ValueError(f"amount {amount} is not a whole number of grosze")
    return format(exact, "f")


def parse_amount(text: str) -> Decimal:
    """ "12.50" -> Decimal("12.50"); anything but the documented format is a ValueError."""
    if not AMOUNT_RE.fullmatch(text):
        raise ValueError(f"amount {text!r} is not in the format 0.00")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes it
        raise ValueError(f"amount {text!r}") from exc


# --- hashes -----------------------------------------------------------------------------------


def hash_values(values: Iterable[str], shared_key: str) -> str:
    """SHA-256 hex of the non-empty values joined with "|", then "|" and the shared key."""
    text = SEPARATOR.join([value for value in values if value != ""] + [shared_key])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def start_hash(params: Mapping[str, str], shared_key: str) -> str:
    """Hash of a transaction start: ServiceID|OrderID|Amount|Description|GatewayID|Currency|
    CustomerEmail|Language|ValidityTime|LinkValidityTime|ReturnURL|key (absent/empty ones
    left out with their separator). Other parameters are refused (ValueError) so none can be
    sent unhashed by mistake."""
    unknown = set(params) - set(START_HASH_ORDER) - {"Hash"}
    if unknown:
        raise ValueError(f"parameters without a known hash position: {sorted(unknown)}")
    return hash_values((params.get(name, "") for name in START_HASH_ORDER), shared_key)


def return_hash(service_id: str, order_id: str, shared_key: str) -> str:
    """Hash of the payer's return to the shop: ServiceID|OrderID|key."""
    return hash_values([service_id, order_id], shared_key)


def _document_values(root: ET.Element) -> list[str]:
    """The values of an XML message in document order: leaf texts (stripped), product
    `param`s by their `value` attribute, containers by their children; the root's `hash` is
    left out."""
    values: list[str] = []

    def walk(element: ET.Element, top: bool) -> None:
        for child in element:
            if top and child.tag == "hash":
                continue
            if len(child):
                walk(child, False)
            elif child.tag == "param":
                values.append(child.get("value", ""))
            else:
                values.append((child.text or "").strip())

    walk(root, True)
    return values


def document_hash(root: ET.Element, shared_key: str) -> str:
    """Hash of an XML message (ITN, ITN confirmation, refund answer): its values in the order
    of the elements, e.g. for an ITN serviceID|orderID|remoteID|amount|currency|gatewayID|
    paymentDate|paymentStatus|paymentStatusDetails[|extra nodes…]|key."""
    return hash_values(_document_values(root), shared_key)


def itn_hash(root: ET.Element, shared_key: str) -> str:
    """Hash of an ITN `transactionList` (see `document_hash`)."""
    return document_hash(root, shared_key)


def confirmation_hash(service_id: str, confirmations: Sequence[tuple[str, str]], shared_key: str) -> str:
    """Hash of the ITN answer `confirmationList`: serviceID|orderID|confirmation[|orderID|
    confirmation…]|key."""
    values = [service_id]
    for order_id, confirmation in confirmations:
        values += [order_id, confirmation]
    return hash_values(values, shared_key)


def refund_hash(
    *, service_id: str, message_id: str, remote_id: str, amount: str, currency: str, shared_key: str
) -> str:
    """Hash of transactionRefund: ServiceID|MessageID|RemoteID|Amount|Currency|key."""
    return hash_values([service_id, message_id, remote_id, amount, currency], shared_key)


def same_hash(expected: str, given: str) -> bool:
    """Constant-time comparison of hex digests (bytes, so a non-ASCII value is just unequal)."""
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace"))


# --- XML --------------------------------------------------------------------------------------

_ENCODING_DECL = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']+)["']""")


def parse_xml(data: bytes) -> ET.Element:
    """Parse a small XML message safely; ValueError when it is too large, not UTF-8, declares
    a DOCTYPE or entities, or is not well-formed."""
    if len(data) > MAX_XML_BYTES:
        raise ValueError("XML document too large")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("XML document is not UTF-8") from exc
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise ValueError("XML document with a DOCTYPE or entity declaration")
    declared = _ENCODING_DECL.match(text)
    if declared and declared.group(1).strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ValueError("XML document declares an encoding other than UTF-8")
    try:
        if _defused_fromstring is not None:
            return _defused_fromstring(data)
        return ET.fromstring(data)
    except Exception as exc:  # ParseError and defusedxml's refusals
        raise ValueError(f"unreadable XML: {type(exc).__name__}") from exc


def child_text(element: ET.Element, name: str, *, required: bool = True) -> str:
    """The stripped text of the one child `name`; ValueError when it is missing (and
    required), repeated or has children of its own."""
    found = element.findall(name)
    if len(found) > 1:
        raise ValueError(f"element {name} repeated")
    if not found or len(found[0]):
        if required or found:
            raise ValueError(f"element {name} missing")
        return ""
    text = (found[0].text or "").strip()
    if required and not text:
        raise ValueError(f"element {name} empty")
    return text


# The ITN's transaction fields in the documented order: (name, required).
ITN_TRANSACTION_FIELDS = (
    ("orderID", True),
    ("remoteID", True),
    ("amount", True),
    ("currency", True),
    ("gatewayID", False),
    ("paymentDate", True),
    ("paymentStatus", True),
    ("paymentStatusDetails", False),
)


def _leaf(element: ET.Element) -> str:
    if len(element):
        raise ValueError(f"element {element.tag} has children")
    value = (element.text or "").strip()
    if "|" in value:
        raise ValueError(f'element {element.tag} contains "|"')
    return value


def _strict_itn(root: ET.Element) -> tuple[str, list[list[tuple[str, str]]], str]:
    """serviceID, each transaction's (name, value) pairs in order, and the hash of an ITN
    `transactionList` that has exactly the documented shape; ValueError otherwise."""
    if root.tag != "transactionList" or [child.tag for child in root] != ["serviceID", "transactions", "hash"]:
        raise ValueError("transactionList must hold serviceID, transactions and hash, in this order")
    service_id, container, hash_element = list(root)
    transactions: list[list[tuple[str, str]]] = []
    for transaction in container:
        if transaction.tag != "transaction":
            raise ValueError(f"unexpected element {transaction.tag} in transactions")
        children = list(transaction)
        fields: list[tuple[str, str]] = []
        position = 0
        for name, required in ITN_TRANSACTION_FIELDS:
            if position < len(children) and children[position].tag == name:
                value = _leaf(children[position])
                if required and not value:
                    raise ValueError(f"element {name} empty")
                fields.append((name, value))
                position += 1
            elif required:
                raise ValueError(f"element {name} missing or out of order")
        if position != len(children):
            raise ValueError(f"unexpected element {children[position].tag} in transaction")
        transactions.append(fields)
    if not transactions:
        raise ValueError("no transaction")
    return _leaf(service_id), transactions, _leaf(hash_element)


def to_xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def sub(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, name)
    element.text = text
    return element


# --- helpers ----------------------------------------------------------------------------------


def clean_description(text: str) -> str:
    """The description in Autopay's limits: allowed characters only, at most 79 of them."""
    cleaned = " ".join(_DESCRIPTION_DROP.sub(" ", text).split())
    return cleaned[:DESCRIPTION_MAX].strip()


def message_id_for(request_id: str) -> str:
    """Our MessageID (exactly 32 alphanumeric characters) for a refund request id: the id
    itself when it has that form, else a digest of it – the same for every retry of one
    request, so Autopay never refunds twice."""
    if MESSAGE_ID_RE.fullmatch(request_id):
        return request_id
    return hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:32]


def _form_field(body: bytes, content_type: str, name: str) -> str:
    media = (content_type or "").split(";")[0].strip().lower()
    if media and media != "application/x-www-form-urlencoded":
        raise ValueError(f"unexpected content type {media}")
    if len(body) > MAX_NOTIFICATION_BYTES:
        raise ValueError("body too large")
    form = parse_qs(body.decode("ascii"), keep_blank_values=True, strict_parsing=True, max_num_fields=20)
    values = form.get(name, [])
    if len(values) != 1:
        raise ValueError(f"form field {name} missing or repeated")
    return values[0]


def _b64decode(text: str) -> bytes:
    # A "+" sent without URL-encoding arrives as a space; line breaks are allowed in Base64.
    compact = text.replace(" ", "+").replace("\r", "").replace("\n", "")
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("transactions is not Base64") from exc


# --- the adapter ------------------------------------------------------------------------------


class Autopay:
    """Autopay online payments (start link, ITN, transactionRefund) behind `base.Gateway`."""

    name = "autopay"

    def __init__(self, *, service_id: str, shared_key: str, base_url: str, timeout: float = 10.0):
        self.service_id = str(service_id)
        self.shared_key = shared_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> "Autopay":
        return cls(
            service_id=str(settings.AUTOPAY_SERVICE_ID),
            shared_key=settings.AUTOPAY_SHARED_KEY,
            base_url=settings.AUTOPAY_BASE_URL,
            timeout=float(getattr(settings, "PAYMENT_GATEWAY_TIMEOUT", 10)),
        )

    # -- start --

    def start_params(self, request: StartRequest) -> dict[str, str]:
        """The start parameters with their Hash, in the documented order."""
        if not ORDER_ID_RE.fullmatch(request.session_id):
            raise GatewayError("Autopay: session id unusable as OrderID (1-32 of A-Za-z0-9_-)", retry=False)
        try:
            amount = format_amount(request.amount)
        except (TypeError, ValueError) as exc:
            raise GatewayError(f"Autopay: {exc}", retry=False) from exc
        if Decimal(amount) <= 0:
            raise GatewayError("Autopay: the amount must be positive", retry=False)
        params = {
            "ServiceID": self.service_id,
            "OrderID": request.session_id,
            "Amount": amount,
            "Description": clean_description(request.description),
            "Currency": CURRENCY,
            # CustomerEmail is optional: left out, so the patient's address is not in a URL
            # (browser history, the gateway's access logs) and nothing typed by a patient is
            # among the values the start Hash signs.
            "Language": LANGUAGES.get(request.language, "EN"),
            "ReturnURL": request.return_url,
        }
        params = {name: value for name, value in params.items() if value}
        params["Hash"] = start_hash(params, self.shared_key)
        return params

    def start(self, request: StartRequest) -> Started:
        # The documented start is a form POST of the parameters: the patient's browser sends it
        # (the portal renders the form), so nothing of it stays in a URL.
        return Started(
            redirect_url=f"{self.base_url}{START_PATH}", reference=request.session_id, form=self.start_params(request)
        )

    # -- ITN --

    def parse_notification(self, body: bytes, content_type: str) -> list[Notice]:
        """Strict reading: the hash covers only the values joined with "|", not the element
        names, so the document must have exactly the documented elements in the documented
        order and no value may contain "|" – otherwise values signed for another message (a
        start link's Hash, which the payer sees) could be re-arranged into a valid-looking ITN."""
        try:
            root = parse_xml(_b64decode(_form_field(body, content_type, "transactions")))
            service_id, transactions, given_hash = _strict_itn(root)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise NotificationRejected("malformed", f"unreadable ITN: {exc}"[:200]) from exc
        if service_id != self.service_id:
            raise NotificationRejected("wrong_merchant", "serviceID of another service")
        values = [service_id] + [value for fields in transactions for _name, value in fields]
        if not same_hash(hash_values(values, self.shared_key), given_hash):
            raise NotificationRejected("bad_signature")
        try:
            return [self._notice(dict(fields)) for fields in transactions]
        except ValueError as exc:
            raise NotificationRejected("malformed", f"unreadable transaction: {exc}"[:200]) from exc

    @staticmethod
    def _notice(fields: dict[str, str]) -> Notice:
        order_id = fields["orderID"]
        remote_id = fields["remoteID"]
        amount = parse_amount(fields["amount"])
        currency = fields["currency"]
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise ValueError(f"currency {currency!r}")
        payment_date = fields["paymentDate"]
        if not re.fullmatch(r"\d{14}", payment_date):
            raise ValueError("paymentDate is not YYYYMMDDhhmmss")
        payment_status = fields["paymentStatus"]
        if payment_status not in STATUSES:
            raise ValueError(f"paymentStatus {payment_status!r}")
        return Notice(
            session_id=order_id,
            amount=amount,
            currency=currency,
            status=STATUSES[payment_status],
            reference=remote_id,
            extra={
                "remoteID": remote_id,
                "gatewayID": fields.get("gatewayID", ""),
                "paymentStatusDetails": fields.get("paymentStatusDetails", ""),
                "paymentDate": payment_date,
            },
        )

    def answer(self, notices: list[Notice], accepted: list[bool]) -> Answer:
        """HTTP 200 with the hashed `confirmationList`: CONFIRMED for each accepted notice,
        NOTCONFIRMED otherwise (Autopay then sends the status again later)."""
        if len(notices) != len(accepted):
            raise ValueError("one decision per notice")
        pairs = [
            (notice.session_id, CONFIRMED if ok else NOT_CONFIRMED)
            for notice, ok in zip(notices, accepted, strict=True)
        ]
        root = ET.Element("confirmationList")
        sub(root, "serviceID", self.service_id)
        container = ET.SubElement(root, "transactionsConfirmations")
        for order_id, confirmation in pairs:
            item = ET.SubElement(container, "transactionConfirmed")
            sub(item, "orderID", order_id)
            sub(item, "confirmation", confirmation)
        sub(root, "hash", confirmation_hash(self.service_id, pairs, self.shared_key))
        return Answer(status=200, content_type="application/xml", body=to_xml(root))

    def confirm(self, notice: Notice) -> bool:
        """Autopay has no verify call: a SUCCESS in a correctly hashed ITN is final."""
        return True

    # -- refunds --

    def refund(
        self, *, session_id: str, reference: str, amount: Decimal, request_id: str, notify_url: str
    ) -> RefundStarted:
        """transactionRefund for `amount` PLN of the transaction with remoteID `reference`.
        `notify_url` is not used: Autopay sends no refund notification. Done is always False:
        Autopay carries refunds out asynchronously."""
        try:
            amount_text = format_amount(amount)
        except (TypeError, ValueError) as exc:
            raise GatewayError(f"Autopay transactionRefund: {exc}", retry=False) from exc
        if Decimal(amount_text) <= 0:
            raise GatewayError("Autopay transactionRefund: the amount must be positive", retry=False)
        if not reference or len(reference) > 20:
            raise GatewayError("Autopay transactionRefund: no usable RemoteID", retry=False)
        message_id = message_id_for(request_id)
        form = {
            "ServiceID": self.service_id,
            "MessageID": message_id,
            "RemoteID": reference,
            "Amount": amount_text,
            "Currency": CURRENCY,
        }
        form["Hash"] = refund_hash(
            service_id=self.service_id,
            message_id=message_id,
            remote_id=reference,
            amount=amount_text,
            currency=CURRENCY,
            shared_key=self.shared_key,
        )
        try:
            response = httpx.post(self.base_url + REFUND_PATH, data=form, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise GatewayError(f"Autopay unreachable: {type(exc).__name__}") from exc
        # Autopay sends no notification after a refund: an order it accepted (a signed answer,
        # not an error) is carried out by Autopay itself, so from our side it is done.
        return RefundStarted(reference=self._refund_answer(response, message_id), done=True)

    def _refund_answer(self, response: httpx.Response, message_id: str) -> str:
        """The refund's reference (remoteOutID when the answer has one, else our MessageID)
        from a confirmed, correctly hashed answer; GatewayError otherwise."""
        what = "Autopay transactionRefund"
        try:
            root: ET.Element | None = parse_xml(response.content)
        except ValueError:
            root = None
        if root is not None and root.tag == "error":
            name = (root.findtext("name") or "").strip()
            description = (root.findtext("description") or "").strip()
            retry = name in RETRYABLE_REFUND_ERRORS or response.status_code == 429 or response.status_code >= 500
            raise GatewayError(f"{what}: {name} {description}"[:300].strip(), retry=retry)
        if response.status_code != 200:
            retry = response.status_code == 429 or response.status_code >= 500
            raise GatewayError(f"{what}: HTTP {response.status_code}", retry=retry)
        if root is None or root.tag != "transactionRefund":
            raise GatewayError(f"{what}: unexpected answer")
        try:
            service_id = child_text(root, "serviceID")
            answered_id = child_text(root, "messageID")
            given_hash = child_text(root, "hash")
            remote_out_id = child_text(root, "remoteOutID", required=False)
        except ValueError as exc:
            raise GatewayError(f"{what}: incomplete answer ({exc})") from exc
        if service_id != self.service_id or answered_id != message_id:
            raise GatewayError(f"{what}: the answer is about another request")
        if not same_hash(document_hash(root, self.shared_key), given_hash):
            raise GatewayError(f"{what}: wrong hash in the answer")
        return remote_out_id or message_id
