"""Autopay online payments: the adapter against the local stand-in over real HTTP.

No database: the adapter and the stand-in know nothing of visits. No floats: money is Decimal
or the protocol's "12.50" strings."""

import base64
import hashlib
import re
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from terminarz.payments.gateways.autopay import (
    Autopay,
    confirmation_hash,
    format_amount,
    itn_hash,
    message_id_for,
    parse_xml,
    refund_hash,
    return_hash,
    start_hash,
)
from terminarz.payments.gateways.base import GatewayError, NoticeStatus, NotificationRejected, StartRequest
from terminarz.payments.standins.autopay import DEMO_SERVICE_ID, DEMO_SHARED_KEY, build_itn, serve

EMAIL = "jan.kowalski@example.com"
TEST_BANNER = "Bramka testowa Autopay – żadne pieniądze nie są pobierane"
RETURN_URL = "http://127.0.0.1:9/platnosc/powrot/?p=7"
FORM = "application/x-www-form-urlencoded"


# --- fixtures ---------------------------------------------------------------------------------


class Receiver:
    """A tiny HTTP server standing in for our ITN endpoint: parses each ITN with the adapter
    and answers with `answer(...)` (HTTP 400 for a rejected one). `behaviour` queues what the next requests get:
    "notconfirmed" (a correct answer refusing the transactions) or an HTTP status (500);
    after that every notice is accepted."""

    def __init__(self, gateway: Autopay):
        self.gateway = gateway
        self.received: list[dict] = []
        self.notices: list = []
        self.rejected: list[str] = []
        self.behaviour: list = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                content_type = self.headers.get("Content-Type", "")
                with receiver.lock:
                    receiver.received.append({"path": self.path, "content_type": content_type, "body": body})
                    behaviour = receiver.behaviour.pop(0) if receiver.behaviour else "confirm"
                if behaviour == 500:
                    self._send(500, "text/plain", b"error")
                    return
                try:
                    notices = receiver.gateway.parse_notification(body, content_type)
                except NotificationRejected as exc:
                    with receiver.lock:
                        receiver.rejected.append(exc.code)
                    self._send(400, "text/plain", exc.code.encode())
                    return
                with receiver.lock:
                    receiver.notices += notices
                answer = receiver.gateway.answer(notices, [behaviour == "confirm"] * len(notices))
                self._send(answer.status, answer.content_type, answer.body)

            def _send(self, status, content_type, payload):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/autopay/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def standin():
    server, state = serve()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway(standin):
    return Autopay(service_id=DEMO_SERVICE_ID, shared_key=DEMO_SHARED_KEY, base_url=standin.base_url + "/", timeout=5)


@pytest.fixture
def receiver(gateway, standin):
    r = Receiver(gateway)
    standin.itn_url = r.url
    yield r
    r.server.shutdown()
    r.server.server_close()


def start(gateway, session_id="S1a2b3c", amount=Decimal("12.50"), language="pl"):
    return gateway.start(
        StartRequest(
            session_id=session_id,
            amount=amount,
            description="Wizyta: Poradnia kardiologiczna, 20.11.2026 10:00",
            email=EMAIL,
            return_url=RETURN_URL,
            notify_url="http://127.0.0.1:9/not-used-by-autopay/",
            language=language,
        )
    )


def open_page(started) -> tuple[str, dict[str, str]]:
    """POST the start form (as the patient's browser does); the page and its form's hidden fields."""
    response = httpx.post(started.redirect_url, data=started.form, timeout=5)
    assert response.status_code == 200, response.text
    page = response.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    return page, hidden


def choose(standin, hidden: dict[str, str], action: str) -> httpx.Response:
    return httpx.post(f"{standin.base_url}/payment/decision", data={**hidden, "action": action}, timeout=5)


def itn_body(document: bytes) -> bytes:
    return urlencode({"transactions": base64.b64encode(document).decode()}).encode()


def transaction(**changes) -> dict:
    t = {
        "order_id": "S1a2b3c",
        "remote_id": "T77",
        "amount_text": "12.50",
        "currency": "PLN",
        "gateway_id": "106",
        "payment_date": "20261120100000",
        "status": "SUCCESS",
        "status_details": "AUTHORIZED",
    }
    t.update(changes)
    return t


# --- hashes against values worked out by hand ---------------------------------------------------


def test_start_hash_by_hand():
    params = {
        "ServiceID": "100001",
        "OrderID": "S1a2b3c",
        "Amount": "12.50",
        "Description": "Wizyta",
        "Currency": "PLN",
        "CustomerEmail": "a@b.pl",
        "Language": "PL",
        "ReturnURL": "https://x.pl/r",
    }
    expected = hashlib.sha256(b"100001|S1a2b3c|12.50|Wizyta|PLN|a@b.pl|PL|https://x.pl/r|klucz").hexdigest()
    assert start_hash(params, "klucz") == expected
    # Absent and empty parameters are left out together with their separator.
    short = hashlib.sha256(b"100001|S1a2b3c|12.50|klucz").hexdigest()
    assert (
        start_hash({"ServiceID": "100001", "OrderID": "S1a2b3c", "Amount": "12.50", "Description": ""}, "klucz")
        == short
    )
    with pytest.raises(ValueError):
        start_hash({**params, "Unknown": "1"}, "klucz")


def test_itn_and_confirmation_hash_by_hand():
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?><transactionList><serviceID>100001</serviceID>'
        b"<transactions><transaction><orderID>S9</orderID><remoteID>R5</remoteID><amount>7.05</amount>"
        b"<currency>PLN</currency><gatewayID>106</gatewayID><paymentDate>20261120093000</paymentDate>"
        b"<paymentStatus>FAILURE</paymentStatus><paymentStatusDetails>REJECTED</paymentStatusDetails>"
        b"</transaction></transactions><hash>x</hash></transactionList>"
    )
    expected = hashlib.sha256(b"100001|S9|R5|7.05|PLN|106|20261120093000|FAILURE|REJECTED|klucz").hexdigest()
    assert itn_hash(parse_xml(document), "klucz") == expected
    # The stand-in builds the same document with the same hash, independently.
    built = parse_xml(
        build_itn(
            "100001",
            "klucz",
            transaction(
                order_id="S9",
                remote_id="R5",
                amount_text="7.05",
                payment_date="20261120093000",
                status="FAILURE",
                status_details="REJECTED",
            ),
        )
    )
    assert built.findtext("hash") == expected
    assert confirmation_hash("100001", [("S9", "CONFIRMED")], "klucz") == (
        hashlib.sha256(b"100001|S9|CONFIRMED|klucz").hexdigest()
    )
    assert return_hash("100001", "S9", "klucz") == hashlib.sha256(b"100001|S9|klucz").hexdigest()
    assert (
        refund_hash(
            service_id="100001", message_id="m" * 32, remote_id="R5", amount="5.00", currency="PLN", shared_key="klucz"
        )
        == hashlib.sha256(("100001|" + "m" * 32 + "|R5|5.00|PLN|klucz").encode()).hexdigest()
    )


def test_amounts_are_exact_decimals():
    assert format_amount(Decimal("12.5")) == "12.50"
    assert format_amount(Decimal("1234")) == "1234.00"
    with pytest.raises(ValueError):
        format_amount(Decimal("1.005"))
    with pytest.raises(TypeError):
        format_amount(12)


# --- start ------------------------------------------------------------------------------------


def test_start_form_carries_the_documented_parameters(gateway, standin):
    started = start(gateway)
    assert started.reference == "S1a2b3c"
    assert started.redirect_url == standin.base_url + "/payment"
    query = started.form
    assert query["ServiceID"] == DEMO_SERVICE_ID
    assert query["OrderID"] == "S1a2b3c"
    assert query["Amount"] == "12.50"
    assert "CustomerEmail" not in query  # the patient's address stays out of the start
    assert query["Currency"] == "PLN"
    assert query["Language"] == "PL"
    assert query["ReturnURL"] == RETURN_URL
    assert query["Description"] == "Wizyta: Poradnia kardiologiczna, 20.11.2026 10:00"
    assert query["Hash"] == start_hash({k: v for k, v in query.items() if k != "Hash"}, DEMO_SHARED_KEY)


def test_start_refuses_unusable_order_ids_and_amounts(gateway):
    with pytest.raises(GatewayError) as too_long:
        start(gateway, session_id="x" * 33)
    assert too_long.value.retry is False
    with pytest.raises(GatewayError):
        start(gateway, amount=Decimal("0.00"))


def test_standin_accepts_the_start_as_a_link_too(gateway, standin):
    query = urlencode(start(gateway).form)
    response = httpx.get(standin.base_url + "/payment?" + query, timeout=5)
    assert response.status_code == 200
    assert "12,50 zł" in response.text
    assert standin.transactions["S1a2b3c"]["amount"] == Decimal("12.50")


def test_standin_rejects_a_tampered_start(gateway, standin):
    started = start(gateway)
    response = httpx.post(started.redirect_url, data={**started.form, "Amount": "1.50"}, timeout=5)
    assert response.status_code == 400
    assert "Hash" in response.text
    assert standin.transactions == {}


# --- payment, ITN and its answer ----------------------------------------------------------------


def test_payment_page_pay_itn_confirmed(gateway, standin, receiver):
    started = start(gateway)
    page, hidden = open_page(started)
    assert "12,50 zł" in page
    assert ">Zapłać</button>" in page and ">Odrzuć</button>" in page
    assert TEST_BANNER in page
    assert 'name="viewport"' in page
    assert EMAIL not in page

    response = choose(standin, hidden, "pay")
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/platnosc/powrot/"
    back = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert back["p"] == "7"
    assert back["ServiceID"] == DEMO_SERVICE_ID and back["OrderID"] == "S1a2b3c"
    assert back["Hash"] == return_hash(DEMO_SERVICE_ID, "S1a2b3c", DEMO_SHARED_KEY)

    assert len(receiver.received) == 1
    assert receiver.received[0]["content_type"].startswith(FORM)
    (notice,) = receiver.notices
    remote_id = standin.transactions["S1a2b3c"]["remote_id"]
    assert notice.session_id == "S1a2b3c"
    assert notice.status == NoticeStatus.PAID
    assert notice.amount == Decimal("12.50") and isinstance(notice.amount, Decimal)
    assert notice.currency == "PLN"
    assert notice.reference == remote_id
    assert notice.extra["remoteID"] == remote_id
    assert set(notice.extra) == {"remoteID", "gatewayID", "paymentStatusDetails", "paymentDate"}
    assert gateway.confirm(notice) is True

    assert standin.wait_deliveries(timeout=5)
    assert [(a["status"], a["confirmation"]) for a in standin.itn_attempts] == [(200, "CONFIRMED")]


@pytest.mark.parametrize("first_answer", ["notconfirmed", 500])
def test_unconfirmed_itn_is_sent_again(gateway, standin, receiver, first_answer):
    receiver.behaviour = [first_answer]
    _, hidden = open_page(start(gateway))
    choose(standin, hidden, "pay")
    assert standin.wait_deliveries(timeout=10)
    attempts = [(a["status"], a["confirmation"]) for a in standin.itn_attempts]
    expected_first = (200, "NOTCONFIRMED") if first_answer == "notconfirmed" else (500, None)
    assert attempts == [expected_first, (200, "CONFIRMED")]
    assert len(receiver.received) == 2
    assert receiver.received[0]["body"] == receiver.received[1]["body"]  # the same ITN again


def test_lost_itn_is_sent_again(gateway, standin, receiver):
    standin.fail_next_itn = 1
    _, hidden = open_page(start(gateway))
    choose(standin, hidden, "pay")
    assert standin.wait_deliveries(timeout=10)
    assert [(a["error"], a["confirmation"]) for a in standin.itn_attempts] == [
        ("simulated failure", None),
        ("", "CONFIRMED"),
    ]
    assert len(receiver.received) == 1


def test_reject_gives_failed(gateway, standin, receiver):
    _, hidden = open_page(start(gateway, session_id="S2"))
    response = choose(standin, hidden, "reject")
    assert response.status_code == 303
    (notice,) = receiver.notices
    assert notice.status == NoticeStatus.FAILED
    assert notice.session_id == "S2"
    assert notice.extra["paymentStatusDetails"] == "REJECTED"


def test_resend_last_replays_the_same_itn(gateway, standin, receiver):
    _, hidden = open_page(start(gateway))
    choose(standin, hidden, "pay")
    record = standin.resend_last()
    assert record["confirmation"] == "CONFIRMED"
    assert len(receiver.received) == 2
    assert receiver.received[0]["body"] == receiver.received[1]["body"]


def test_tampered_itn_is_refused_and_sent_again(gateway, standin, receiver):
    standin.tamper_next_itn = 1
    _, hidden = open_page(start(gateway))
    choose(standin, hidden, "pay")
    assert standin.wait_deliveries(timeout=10)
    assert receiver.rejected == ["bad_signature"]
    assert [(a["status"], a["confirmation"]) for a in standin.itn_attempts] == [(400, None), (200, "CONFIRMED")]
    (notice,) = receiver.notices
    assert notice.status == NoticeStatus.PAID


# --- rejected notifications ---------------------------------------------------------------------


def test_tampered_hash_is_bad_signature(gateway):
    document = build_itn(DEMO_SERVICE_ID, DEMO_SHARED_KEY, transaction())
    assert gateway.parse_notification(itn_body(document), FORM)[0].amount == Decimal("12.50")
    tampered = document.replace(b"<amount>12.50</amount>", b"<amount>1.50</amount>")
    with pytest.raises(NotificationRejected) as rejected:
        gateway.parse_notification(itn_body(tampered), FORM)
    assert rejected.value.code == "bad_signature"


def test_wrong_service_is_wrong_merchant(gateway):
    document = build_itn("999999", DEMO_SHARED_KEY, transaction())
    with pytest.raises(NotificationRejected) as rejected:
        gateway.parse_notification(itn_body(document), FORM)
    assert rejected.value.code == "wrong_merchant"


@pytest.mark.parametrize(
    "body",
    [
        b"transactions=%%%not-base64",
        b"something=else",
        itn_body(b"<transactionList><serviceID>100001</serviceID>"),  # not well-formed
        itn_body(
            b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><transactionList><serviceID>&a;</serviceID>'
            b"</transactionList>"
        ),
        itn_body(build_itn(DEMO_SERVICE_ID, DEMO_SHARED_KEY, transaction(amount_text="12.5"))),
        itn_body(build_itn(DEMO_SERVICE_ID, DEMO_SHARED_KEY, transaction(status="PAID"))),
    ],
    ids=["bad-base64", "no-transactions", "broken-xml", "doctype", "bad-amount", "unknown-status"],
)
def test_unreadable_itn_is_malformed(gateway, body):
    with pytest.raises(NotificationRejected) as rejected:
        gateway.parse_notification(body, FORM)
    assert rejected.value.code == "malformed"


def test_pending_itn_and_answer_document(gateway):
    document = build_itn(DEMO_SERVICE_ID, DEMO_SHARED_KEY, transaction(status="PENDING", status_details=""))
    (notice,) = gateway.parse_notification(itn_body(document), FORM + "; charset=UTF-8")
    assert notice.status == NoticeStatus.PENDING
    answer = gateway.answer([notice], [False])
    assert answer.status == 200 and answer.content_type == "application/xml"
    root = parse_xml(answer.body)
    assert root.tag == "confirmationList"
    assert root.findtext("serviceID") == DEMO_SERVICE_ID
    assert root.findtext("transactionsConfirmations/transactionConfirmed/orderID") == "S1a2b3c"
    assert root.findtext("transactionsConfirmations/transactionConfirmed/confirmation") == "NOTCONFIRMED"
    assert root.findtext("hash") == hashlib.sha256(b"100001|S1a2b3c|NOTCONFIRMED|demo-autopay-shared-key").hexdigest()


# --- refunds ----------------------------------------------------------------------------------


def paid(gateway, standin, receiver, session_id="S1a2b3c"):
    _, hidden = open_page(start(gateway, session_id=session_id))
    choose(standin, hidden, "pay")
    return receiver.notices[-1]


def test_refund_against_the_standin(gateway, standin, receiver):
    notice = paid(gateway, standin, receiver)
    started = gateway.refund(
        session_id=notice.session_id,
        reference=notice.reference,
        amount=Decimal("5.00"),
        request_id="ref-1",
        notify_url="",
    )
    assert started.done is True
    assert started.reference == message_id_for("ref-1")
    (refund,) = standin.refunds.values()
    assert refund["amount"] == Decimal("5.00") and refund["remote_id"] == notice.reference

    # The same request again is confirmed, not carried out twice.
    again = gateway.refund(
        session_id=notice.session_id,
        reference=notice.reference,
        amount=Decimal("5.00"),
        request_id="ref-1",
        notify_url="",
    )
    assert again.reference == started.reference
    assert len(standin.refunds) == 1

    # More than is left is refused for good.
    with pytest.raises(GatewayError) as too_much:
        gateway.refund(
            session_id=notice.session_id,
            reference=notice.reference,
            amount=Decimal("7.51"),
            request_id="ref-2",
            notify_url="",
        )
    assert too_much.value.retry is False
    assert standin.transactions["S1a2b3c"]["refunded"] == Decimal("5.00")


def test_refund_with_a_wrong_key_or_unknown_transaction_fails(gateway, standin, receiver):
    notice = paid(gateway, standin, receiver)
    wrong = Autopay(service_id=DEMO_SERVICE_ID, shared_key="inny-klucz", base_url=standin.base_url, timeout=5)
    with pytest.raises(GatewayError) as bad_hash:
        wrong.refund(
            session_id="S1a2b3c", reference=notice.reference, amount=Decimal("1.00"), request_id="r", notify_url=""
        )
    assert "INVALID_HASH" in str(bad_hash.value)
    with pytest.raises(GatewayError) as unknown:
        gateway.refund(session_id="S1a2b3c", reference="T0", amount=Decimal("1.00"), request_id="r", notify_url="")
    assert "TRANSACTION_NOT_FOUND" in str(unknown.value)
    assert standin.refunds == {}


def test_refund_of_an_unreachable_gateway_may_be_retried():
    gateway = Autopay(service_id=DEMO_SERVICE_ID, shared_key=DEMO_SHARED_KEY, base_url="http://127.0.0.1:9", timeout=1)
    with pytest.raises(GatewayError) as unreachable:
        gateway.refund(session_id="S1", reference="T1", amount=Decimal("1.00"), request_id="r", notify_url="")
    assert unreachable.value.retry is True


def test_no_email_in_the_standin_log(gateway, standin, receiver):
    _, hidden = open_page(start(gateway))
    choose(standin, hidden, "pay")
    assert standin.log_lines
    leaking = [line for line in standin.log_lines if any(part in line for part in ("@", "%40", "kowalski"))]
    assert leaking == []
