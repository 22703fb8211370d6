"""Przelewy24 REST API v1: the adapter against the local stand-in over real HTTP.

No database: the adapter and the stand-in know nothing of visits."""

import hashlib
import json
import threading
import time
from dataclasses import replace
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import httpx
import pytest

from terminarz.payments.gateways.base import GatewayError, NoticeStatus, NotificationRejected, StartRequest
from terminarz.payments.gateways.przelewy24 import (
    Przelewy24,
    from_grosze,
    notification_sign,
    refund_notification_sign,
    refunds_uuid_for,
    register_sign,
    to_grosze,
    verify_sign,
)
from terminarz.payments.standins.przelewy24 import (
    DEMO_API_KEY,
    DEMO_CRC,
    DEMO_MERCHANT_ID,
    DEMO_POS_ID,
    serve,
)

EMAIL = "jan.kowalski@example.com"
TEST_BANNER = "Bramka testowa Przelewy24 – żadne pieniądze nie są pobierane"


# --- fixtures ---------------------------------------------------------------------------------


class Receiver:
    """A tiny HTTP server standing in for our notification endpoint: records every POST and
    answers the statuses queued in `answers` (then 200)."""

    def __init__(self):
        self.received: list[dict] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received.append(
                        {"path": self.path, "content_type": self.headers.get("Content-Type", ""), "body": body}
                    )
                    status = receiver.answers.pop(0) if receiver.answers else 200
                payload = b"OK" if status == 200 else b"error"
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def standin():
    server, state = serve()
    state.retry_delays = [0.05, 0.1, 0.2]
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway(standin):
    return Przelewy24(
        merchant_id=DEMO_MERCHANT_ID,
        pos_id=DEMO_POS_ID,
        api_key=DEMO_API_KEY,
        crc=DEMO_CRC,
        base_url=standin.base_url + "/",
        timeout=5,
    )


def start(gateway, receiver, session_id="sess-1", amount=Decimal("123.45"), language="pl"):
    return gateway.start(
        StartRequest(
            session_id=session_id,
            amount=amount,
            description="Wizyta: Poradnia kardiologiczna, 20.11.2026 10:00",
            email=EMAIL,
            return_url="http://127.0.0.1:9/platnosc/powrot/",
            notify_url=receiver.url + "/hooks/p24/",
            language=language,
        )
    )


def paid_notice(gateway, standin, receiver, **kwargs):
    """Register, click "Zapłać", and parse the notification that arrived."""
    started = start(gateway, receiver, **kwargs)
    standin.pay(started.reference, wait=True)
    [notice] = gateway.parse_notification(receiver.received[-1]["body"], receiver.received[-1]["content_type"])
    return started, notice


def rejected(gateway, body: bytes, content_type="application/json") -> str:
    with pytest.raises(NotificationRejected) as info:
        gateway.parse_notification(body, content_type)
    return info.value.code


def resigned(payload: dict, crc=DEMO_CRC) -> dict:
    """A notification payload with a correct sign for its (changed) fields."""
    fields = dict(payload)
    fields["sign"] = notification_sign(
        merchant_id=fields["merchantId"],
        pos_id=fields["posId"],
        session_id=fields["sessionId"],
        amount=fields["amount"],
        origin_amount=fields["originAmount"],
        currency=fields["currency"],
        order_id=fields["orderId"],
        method_id=fields["methodId"],
        statement=fields["statement"],
        crc=crc,
    )
    return fields


# --- the whole way ----------------------------------------------------------------------------


def test_register_pay_notify_verify(gateway, standin, receiver):
    started = start(gateway, receiver)
    token = started.reference
    assert started.redirect_url == f"{standin.base_url}/trnRequest/{token}"
    assert token in standin.transactions

    [call] = [c for c in standin.received if c["path"] == "/api/v1/transaction/register"]
    body = json.loads(call["raw"])  # plain json: a fraction would come back as a float
    assert body["amount"] == 12345 and type(body["amount"]) is int
    assert body["merchantId"] == DEMO_MERCHANT_ID and body["posId"] == DEMO_POS_ID
    assert (body["currency"], body["country"], body["language"]) == ("PLN", "PL", "pl")
    assert body["urlStatus"] == receiver.url + "/hooks/p24/"
    assert body["sign"] == register_sign(
        session_id="sess-1", merchant_id=DEMO_MERCHANT_ID, amount=12345, currency="PLN", crc=DEMO_CRC
    )

    page = httpx.get(started.redirect_url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "123,45 zł" in page.text
    assert ">Zapłać</button>" in page.text and ">Odrzuć</button>" in page.text
    assert TEST_BANNER in page.text
    assert 'name="viewport"' in page.text
    assert "Poradnia kardiologiczna" in page.text
    assert gateway.transaction_by_session("sess-1")["status"] == 0

    clicked = httpx.post(started.redirect_url, data={"token": token, "action": "pay"})
    assert clicked.status_code == 303
    assert clicked.headers["location"] == "http://127.0.0.1:9/platnosc/powrot/"
    standin.wait_for_notifications()

    [delivery] = receiver.received
    assert delivery["path"] == "/hooks/p24/"
    assert delivery["content_type"] == "application/json"
    [notice] = gateway.parse_notification(delivery["body"], delivery["content_type"])
    order_id = standin.transactions[token]["orderId"]
    assert notice.session_id == "sess-1"
    assert notice.amount == Decimal("123.45") and isinstance(notice.amount, Decimal)
    assert (notice.currency, notice.status, notice.reference) == ("PLN", NoticeStatus.PAID, str(order_id))
    assert notice.extra["orderId"] == order_id and type(notice.extra["orderId"]) is int
    assert set(notice.extra) == {"orderId", "methodId", "statement"}

    answer = gateway.answer([notice], [True])
    assert (answer.status, answer.body) == (200, b"OK")

    assert gateway.transaction_by_session("sess-1")["status"] == 1  # paid, not verified yet
    assert gateway.confirm(notice) is True
    assert standin.transactions[token]["verified"] is True
    data = gateway.transaction_by_session("sess-1")
    assert (data["status"], data["amount"], data["orderId"], data["sessionId"]) == (2, 12345, order_id, "sess-1")

    # The paid page says so and offers no second payment.
    again = httpx.get(started.redirect_url)
    assert "opłacona" in again.text and ">Zapłać</button>" not in again.text


def test_reject_only_sends_the_payer_back(gateway, standin, receiver):
    started = start(gateway, receiver)
    clicked = httpx.post(started.redirect_url, data={"token": started.reference, "action": "reject"})
    assert clicked.status_code == 303
    assert clicked.headers["location"] == "http://127.0.0.1:9/platnosc/powrot/"
    standin.wait_for_notifications()
    assert receiver.received == [] and standin.notifications == []
    assert gateway.transaction_by_session("sess-1")["status"] == 0


def test_payment_form_must_carry_its_token(gateway, standin, receiver):
    started = start(gateway, receiver)
    assert httpx.post(started.redirect_url, data={"action": "pay"}).status_code == 400
    assert httpx.post(started.redirect_url, data={"token": "other", "action": "pay"}).status_code == 400
    assert httpx.get(f"{standin.base_url}/trnRequest/NO-SUCH-TOKEN").status_code == 404
    assert standin.transactions[started.reference]["orderId"] is None


def test_unknown_session_reads_as_empty(gateway):
    assert gateway.transaction_by_session("nie-ma/takiej") == {}


# --- notifications that must not count ---------------------------------------------------------


def test_bad_signature(gateway, standin, receiver):
    started, _ = paid_notice(gateway, standin, receiver)
    genuine = json.loads(receiver.received[-1]["body"])

    assert rejected(gateway, json.dumps({**genuine, "amount": 1}).encode()) == "bad_signature"
    assert rejected(gateway, json.dumps({**genuine, "sign": "0" * 96}).encode()) == "bad_signature"
    assert rejected(gateway, json.dumps({**genuine, "sign": "żółw"}).encode()) == "bad_signature"
    # Signed with another CRC key.
    assert rejected(gateway, json.dumps(resigned(genuine, crc="other-crc")).encode()) == "bad_signature"
    # The untouched body, re-signed with our key, passes.
    assert gateway.parse_notification(json.dumps(resigned(genuine)).encode(), "application/json")


def test_wrong_merchant(gateway, standin, receiver):
    paid_notice(gateway, standin, receiver)
    genuine = json.loads(receiver.received[-1]["body"])
    other = resigned({**genuine, "merchantId": 999999})
    assert rejected(gateway, json.dumps(other).encode()) == "wrong_merchant"
    assert rejected(gateway, json.dumps(resigned({**genuine, "posId": 5})).encode()) == "wrong_merchant"


def test_malformed(gateway, standin, receiver):
    paid_notice(gateway, standin, receiver)
    genuine = json.loads(receiver.received[-1]["body"])
    assert rejected(gateway, b"not json") == "malformed"
    assert rejected(gateway, b"\xff\xfe") == "malformed"
    assert rejected(gateway, b"[1, 2]") == "malformed"
    assert rejected(gateway, b"{}") == "malformed"
    without_order = {k: v for k, v in genuine.items() if k != "orderId"}
    assert rejected(gateway, json.dumps(without_order).encode()) == "malformed"
    # Amounts are integers in grosze: a fraction (a float in other languages) is not one.
    assert rejected(gateway, json.dumps({**genuine, "amount": 123.45}).encode()) == "malformed"
    assert rejected(gateway, json.dumps({**genuine, "amount": "12345"}).encode()) == "malformed"
    assert rejected(gateway, json.dumps({**genuine, "methodId": True}).encode()) == "malformed"
    assert rejected(gateway, b'{"amount": NaN}') == "malformed"


def test_form_encoded_notification_is_read_too(gateway, standin, receiver):
    _, notice = paid_notice(gateway, standin, receiver)
    genuine = json.loads(receiver.received[-1]["body"])
    [again] = gateway.parse_notification(urlencode(genuine).encode(), "application/x-www-form-urlencoded")
    assert again == notice


# --- verify -----------------------------------------------------------------------------------


def test_verify_with_wrong_data_is_refused(gateway, standin, receiver):
    _, notice = paid_notice(gateway, standin, receiver)
    assert gateway.confirm(replace(notice, amount=Decimal("123.44"))) is False
    assert gateway.confirm(replace(notice, extra={**notice.extra, "orderId": 1})) is False
    assert gateway.confirm(replace(notice, session_id="sess-2")) is False
    assert not any(t["verified"] for t in standin.transactions.values())
    assert gateway.confirm(notice) is True
    assert gateway.confirm(notice) is True  # verifying twice is harmless


def test_wrong_credentials(standin, receiver):
    wrong = Przelewy24(
        merchant_id=DEMO_MERCHANT_ID, pos_id=DEMO_POS_ID, api_key="wrong", crc=DEMO_CRC, base_url=standin.base_url
    )
    assert wrong.test_access() is False
    with pytest.raises(GatewayError) as info:
        start(wrong, receiver)
    assert info.value.retry is False and "401" in str(info.value)


def test_test_access_and_unreachable_gateway(gateway):
    assert gateway.test_access() is True
    closed = Przelewy24(merchant_id=1, pos_id=1, api_key="k", crc="c", base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(GatewayError) as info:
        closed.test_access()
    assert info.value.retry is True


def test_wrong_crc_is_refused_at_registration(standin, receiver):
    wrong = Przelewy24(
        merchant_id=DEMO_MERCHANT_ID, pos_id=DEMO_POS_ID, api_key=DEMO_API_KEY, crc="wrong", base_url=standin.base_url
    )
    with pytest.raises(GatewayError) as info:
        start(wrong, receiver)
    assert info.value.retry is False and "400" in str(info.value)


# --- delivery and replays ---------------------------------------------------------------------


def test_unacknowledged_notification_is_retried(gateway, standin, receiver):
    receiver.answers = [500]
    started = start(gateway, receiver)
    standin.pay(started.reference, wait=True)
    assert [(a["url"], a["status"]) for a in standin.notifications] == [(receiver.url + "/hooks/p24/", 500)] + [
        (receiver.url + "/hooks/p24/", 200)
    ]
    first, second = receiver.received
    assert first["body"] == second["body"]
    assert gateway.parse_notification(second["body"], second["content_type"])[0].status == NoticeStatus.PAID


def test_lost_notification_is_retried(gateway, standin, receiver):
    standin.fail_next_notifications = 1
    started = start(gateway, receiver)
    standin.pay(started.reference, wait=True)
    assert [a["status"] for a in standin.notifications] == [None, 200]
    assert len(receiver.received) == 1


def test_retries_end(gateway, standin, receiver):
    receiver.answers = [500] * 10
    started = start(gateway, receiver)
    standin.pay(started.reference, wait=True)
    assert [a["status"] for a in standin.notifications] == [500] * (1 + len(standin.retry_delays))


def test_resend_last_replays_the_same_bytes(gateway, standin, receiver):
    _, notice = paid_notice(gateway, standin, receiver)
    standin.resend_last(wait=True)
    first, replay = receiver.received
    assert first["body"] == replay["body"]
    assert gateway.parse_notification(replay["body"], replay["content_type"]) == [notice]
    assert standin.last_notification() == json.loads(first["body"])


def test_like_the_real_gateway_notifications_repeat_until_verified(gateway, standin, receiver):
    standin.resend_until_verified = True
    standin.retry_delays = [0.05, 0.3, 0.3, 0.3]
    started = start(gateway, receiver)
    thread = standin.pay(started.reference)
    deadline = time.monotonic() + 5
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(receiver.received) >= 2  # acknowledged with 200, and still sent again
    [notice] = gateway.parse_notification(receiver.received[0]["body"], "application/json")
    assert gateway.confirm(notice) is True
    sent_before_verify = len(receiver.received)
    thread.join(5)
    assert len(receiver.received) <= sent_before_verify + 1  # at most one already under way
    assert len(receiver.received) < 1 + len(standin.retry_delays)  # the schedule did not run out


# --- refunds ----------------------------------------------------------------------------------


def test_refund(gateway, standin, receiver):
    started, notice = paid_notice(gateway, standin, receiver)
    assert gateway.confirm(notice)

    result = gateway.refund(
        session_id="sess-1",
        reference=notice.reference,
        amount=Decimal("23.45"),
        request_id="refund-1",
        notify_url=receiver.url + "/hooks/p24/refund/",
    )
    assert (result.reference, result.done) == ("refund-1", False)
    [call] = [c for c in standin.received if c["path"] == "/api/v1/transaction/refund"]
    body = json.loads(call["raw"])
    assert body["requestId"] == "refund-1" and body["refundsUuid"] == "refund-1"
    assert body["urlStatus"] == receiver.url + "/hooks/p24/refund/"
    [item] = body["refunds"]
    assert item["orderId"] == int(notice.reference) and item["sessionId"] == "sess-1"
    assert item["amount"] == 2345 and type(item["amount"]) is int
    assert item["description"]

    standin.wait_for_notifications()
    delivery = receiver.received[-1]
    assert delivery["path"] == "/hooks/p24/refund/"
    [refunded] = gateway.parse_notification(delivery["body"], delivery["content_type"])
    assert refunded.status == NoticeStatus.REFUNDED
    assert (refunded.session_id, refunded.amount, refunded.currency) == ("sess-1", Decimal("23.45"), "PLN")
    assert refunded.reference == notice.reference
    assert refunded.extra == {"requestId": "refund-1", "refundsUuid": "refund-1"}
    assert gateway.transaction_by_session("sess-1")["status"] == 2  # partly refunded

    # The same request again (a retry after a lost answer): already under way, no second refund.
    again = gateway.refund(
        session_id="sess-1",
        reference=notice.reference,
        amount=Decimal("23.45"),
        request_id="refund-1",
        notify_url=receiver.url + "/hooks/p24/refund/",
    )
    assert again.reference == "refund-1"
    assert standin.transactions[started.reference]["refunded"] == 2345

    with pytest.raises(GatewayError) as info:
        gateway.refund(
            session_id="sess-1",
            reference=notice.reference,
            amount=Decimal("100.01"),
            request_id="refund-2",
            notify_url=receiver.url + "/r/",
        )
    assert info.value.retry is False and "exceeds" in str(info.value)

    gateway.refund(
        session_id="sess-1",
        reference=notice.reference,
        amount=Decimal("100.00"),
        request_id="refund-3",
        notify_url=receiver.url + "/r/",
    )
    assert gateway.transaction_by_session("sess-1")["status"] == 3  # returned


def test_rejected_refund_is_notified_as_failed(gateway, standin, receiver):
    _, notice = paid_notice(gateway, standin, receiver)
    gateway.confirm(notice)
    standin.reject_next_refunds = 1
    gateway.refund(
        session_id="sess-1",
        reference=notice.reference,
        amount=Decimal("1.00"),
        request_id="r-1",
        notify_url=receiver.url + "/r/",
    )
    standin.wait_for_notifications()
    [failed] = gateway.parse_notification(receiver.received[-1]["body"], "application/json")
    assert failed.status == NoticeStatus.FAILED


def test_refund_notification_checks(gateway, standin, receiver):
    _, notice = paid_notice(gateway, standin, receiver)
    gateway.confirm(notice)
    gateway.refund(
        session_id="sess-1",
        reference=notice.reference,
        amount=Decimal("1.00"),
        request_id="r-1",
        notify_url=receiver.url + "/r/",
    )
    standin.wait_for_notifications()
    genuine = json.loads(receiver.received[-1]["body"])
    assert rejected(gateway, json.dumps({**genuine, "amount": 12345}).encode()) == "bad_signature"
    assert rejected(gateway, json.dumps({**genuine, "merchantId": 7}).encode()) == "wrong_merchant"
    assert rejected(gateway, json.dumps({**genuine, "status": "0"}).encode()) == "malformed"
    # requestId and timestamp are not signed.
    assert gateway.parse_notification(json.dumps({**genuine, "timestamp": 1}).encode(), "application/json")


def test_refund_of_an_unverified_payment_is_refused(gateway, standin, receiver):
    _, notice = paid_notice(gateway, standin, receiver)
    with pytest.raises(GatewayError) as info:
        gateway.refund(
            session_id="sess-1",
            reference=notice.reference,
            amount=Decimal("1.00"),
            request_id="r-1",
            notify_url=receiver.url + "/r/",
        )
    assert info.value.retry is False and "wrong status" in str(info.value)


def test_long_refund_request_ids_get_a_short_refunds_uuid():
    long_id = "x" * 40
    assert refunds_uuid_for(long_id) == refunds_uuid_for(long_id)
    assert len(refunds_uuid_for(long_id)) == 32
    assert refunds_uuid_for("short") == "short"


# --- signs, worked out by hand ----------------------------------------------------------------


def sha384(text: str) -> str:
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def test_register_sign():
    expected = sha384('{"sessionId":"wizyta/2026/ąę","merchantId":100001,"amount":12345,"currency":"PLN","crc":"abc"}')
    assert (
        register_sign(session_id="wizyta/2026/ąę", merchant_id=100001, amount=12345, currency="PLN", crc="abc")
        == expected
    )


def test_verify_sign():
    expected = sha384('{"sessionId":"s-1","orderId":300000001,"amount":30,"currency":"PLN","crc":"k/ł"}')
    assert verify_sign(session_id="s-1", order_id=300000001, amount=30, currency="PLN", crc="k/ł") == expected


def test_notification_sign():
    expected = sha384(
        '{"merchantId":11,"posId":12,"sessionId":"s-1","amount":1250,"originAmount":1250,"currency":"PLN",'
        '"orderId":42,"methodId":25,"statement":"p24-A1B-C2D-E3F","crc":"abc"}'
    )
    assert (
        notification_sign(
            merchant_id=11,
            pos_id=12,
            session_id="s-1",
            amount=1250,
            origin_amount=1250,
            currency="PLN",
            order_id=42,
            method_id=25,
            statement="p24-A1B-C2D-E3F",
            crc="abc",
        )
        == expected
    )


def test_refund_notification_sign():
    expected = sha384(
        '{"orderId":42,"sessionId":"s-1","refundsUuid":"r-1","merchantId":11,"amount":500,"currency":"PLN",'
        '"status":0,"crc":"abc"}'
    )
    assert (
        refund_notification_sign(
            order_id=42,
            session_id="s-1",
            refunds_uuid="r-1",
            merchant_id=11,
            amount=500,
            currency="PLN",
            status=0,
            crc="abc",
        )
        == expected
    )


# --- money ------------------------------------------------------------------------------------


def test_amounts_are_exact():
    assert to_grosze(Decimal("123.45")) == 12345
    assert from_grosze(12345) == Decimal("123.45") and str(from_grosze(12345)) == "123.45"
    thirty = to_grosze(Decimal("0.10") + Decimal("0.20"))
    assert thirty == 30 and type(thirty) is int
    assert str(from_grosze(30)) == "0.30"
    assert to_grosze(Decimal("5")) == 500
    with pytest.raises(TypeError):
        to_grosze(0.1 + 0.2)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_grosze(Decimal("1.005"))
    with pytest.raises(ValueError):
        to_grosze(Decimal("NaN"))
    with pytest.raises(TypeError):
        from_grosze(12.5)  # type: ignore[arg-type]


def test_decimal_sum_goes_through_as_integer_grosze(gateway, standin, receiver):
    started, notice = paid_notice(gateway, standin, receiver, amount=Decimal("0.10") + Decimal("0.20"))
    register = json.loads(next(c["raw"] for c in standin.received if c["path"] == "/api/v1/transaction/register"))
    assert register["amount"] == 30 and type(register["amount"]) is int
    notification = json.loads(receiver.received[-1]["body"])
    assert all(not isinstance(v, float) for v in notification.values())
    assert notice.amount == Decimal("0.30") and str(notice.amount) == "0.30"
    assert "0,30 zł" in httpx.get(started.redirect_url).text
    assert gateway.confirm(notice) is True


# --- languages and logs -----------------------------------------------------------------------


@pytest.mark.parametrize(("ours", "sent"), [("pl", "pl"), ("en", "en"), ("uk", "en"), ("de", "en")])
def test_language(gateway, standin, receiver, ours, sent):
    start(gateway, receiver, language=ours)
    [call] = [c for c in standin.received if c["path"] == "/api/v1/transaction/register"]
    assert call["body"]["language"] == sent


def test_logs_never_show_email_addresses(gateway, standin, receiver):
    started, notice = paid_notice(gateway, standin, receiver)
    gateway.confirm(notice)
    httpx.get(f"{standin.base_url}/trnRequest/{started.reference}?email={EMAIL}")
    assert standin.log_lines
    assert not any("@" in line for line in standin.log_lines)
