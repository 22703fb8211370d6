"""One interface for the payment gateways (H8).

A gateway adapter speaks one real protocol (Przelewy24 REST API v1, Autopay ITN) and knows
nothing of visits: it starts a transaction, verifies a notification's signature and turns it
into `Notice`s, answers the notification the way its protocol wants, confirms a payment where
the protocol has a verify call, and starts refunds. Everything a gateway cannot know – the
session exists, the amount and currency match, the notification is not a replay – is checked
by `payments.services`, the same way for every gateway.

Money is `Decimal` in PLN; grosze (integers) appear only inside the adapters, at the
protocol boundary."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


class GatewayError(Exception):
    """The gateway could not be reached or refused a call (a retry may help when `retry`)."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.retry = retry


class NotificationRejected(Exception):
    """A notification that must not change anything. `code` is stable and goes to the audit:
    bad_signature, malformed, wrong_merchant."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class StartRequest:
    session_id: str  # our unique id of this attempt (Payment.session_id), at most 100 chars
    amount: Decimal  # PLN, two decimal places
    description: str  # shown by the gateway; no personal data beyond what the patient sees
    email: str  # the payer's e-mail (both protocols require it)
    return_url: str  # where the gateway sends the patient back
    notify_url: str  # where the gateway posts its notification
    language: str = "pl"  # pl / en / uk (a gateway without uk gets en)


@dataclass(frozen=True)
class Started:
    redirect_url: str  # send the patient's browser here
    reference: str  # the gateway's id of the transaction so far (P24 token; Autopay OrderID)
    # When set, the browser goes to `redirect_url` by POSTing these fields (a form the page sends
    # itself): Autopay starts a transaction with a form POST; P24 with a plain redirect.
    form: dict[str, str] = field(default_factory=dict)


class NoticeStatus:
    PAID = "paid"
    FAILED = "failed"  # the gateway says the payment did not happen
    PENDING = "pending"  # still under way at the gateway
    REFUNDED = "refunded"  # a refund was carried out


@dataclass(frozen=True)
class Notice:
    """One verified (signature checked) statement of the gateway about one transaction."""

    session_id: str
    amount: Decimal  # PLN
    currency: str
    status: str  # a NoticeStatus value
    reference: str  # the gateway's transaction id (P24 orderId, Autopay remoteID)
    # Protocol fields needed by `confirm` (e.g. P24 orderId for verify) and kept in the audit;
    # never personal data.
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What to send back to the gateway's notification request."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class RefundStarted:
    reference: str  # the gateway's id of the refund (or our request id when it gives none)
    done: bool  # True when the gateway says the money is returned already


class Gateway(Protocol):
    name: str  # "przelewy24" / "autopay"

    def start(self, request: StartRequest) -> Started:
        """Register the transaction (where the protocol has such a call) and say where to send
        the patient. Raises GatewayError."""
        ...

    def parse_notification(self, body: bytes, content_type: str) -> list[Notice]:
        """Verify the signature and read the notification. Raises NotificationRejected."""
        ...

    def answer(self, notices: list[Notice], accepted: list[bool]) -> Answer:
        """The protocol's answer to a notification, after the service decided about each
        notice (`accepted[i]` for `notices[i]`)."""
        ...

    def confirm(self, notice: Notice) -> bool:
        """Make a PAID notice final where the protocol needs it (P24 `transaction/verify`);
        True when the gateway confirmed. Autopay needs no call: True."""
        ...

    def refund(
        self, *, session_id: str, reference: str, amount: Decimal, request_id: str, notify_url: str
    ) -> RefundStarted:
        """Return `amount` PLN of a paid transaction. Raises GatewayError."""
        ...
