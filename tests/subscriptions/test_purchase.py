"""A4 "Kup" end to end over real HTTP: the admin orders 3 schedules, confirms the invoice data,
pays at the Przelewy24 stand-in, the stand-in notifies our endpoint, we verify with it, the
order is paid once (a replay changes nothing), and "Włącz" starts 12 months that replace the
demo. A forged or wrong-amount notification never pays an order."""

import json

import httpx
import pytest
from django.urls import reverse

from terminarz.core import clock
from terminarz.subscriptions import services
from terminarz.subscriptions.models import PlatformInvoice, Subscription
from tests.clinic.test_access import make_user
from tests.factories import make_provider
from tests.payments.conftest import p24  # noqa: F401  (the stand-in fixture)
from tests.payments.test_gateway_flow import _forged

pytestmark = pytest.mark.django_db(transaction=True)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def office(client):
    provider = make_provider(subscribed=False)
    provider.nip = "6762461659"
    provider.email = "recepcja@example.com"
    provider.save()
    admin = make_user("kierownik", provider, "admin")
    client.force_login(admin)
    services.enable_demo(provider, quantity=1, actor=admin)
    return {"provider": provider, "admin": admin}


def test_buying_twelve_months_through_the_gateway(client, office, p24):  # noqa: F811
    ordered = client.post(reverse("clinic:subscription"), {"action": "buy", "buy-quantity": "3"})
    order = Subscription.objects.get(provider=office["provider"], status="ordered")
    url = reverse("clinic:subscription-order", args=[order.pk])
    assert (ordered["Location"], order.amount) == (url, services.price_per_schedule() * 3)
    page = client.get(url).content.decode()
    assert "Czy dla zamówienia ma zostać wystawiona faktura?" in page and "6762461659" in page
    too_early = client.post(url, {"action": "pay"}, follow=True)
    assert [str(m) for m in too_early.context["messages"]] == ["Najpierw zdecyduj, czy wystawić fakturę."]
    bad = client.post(
        url, {"action": "invoice-update", "name": "X", "nip": "123", "street": "a", "postal_code": "1", "city": "b"}
    )
    assert sorted(bad.context["invoice_form"].errors) == ["nip", "postal_code"]
    client.post(
        url,
        {
            "action": "invoice-update",
            "name": "Przychodnia Sp. z o.o.",
            "nip": "676-246-16-59",
            "street": "ul. Długa 1",
            "postal_code": "31-000",
            "city": "Kraków",
        },
    )
    order.refresh_from_db()
    assert (order.invoice, order.invoice_data["name"], order.invoice_data["nip"]) == (
        True,
        "Przychodnia Sp. z o.o.",
        "6762461659",
    )
    started = client.post(url, {"action": "pay"})
    assert started.status_code == 302
    gateway_page = httpx.get(started["Location"])
    assert gateway_page.status_code == 200
    p24.pay(token_of(started["Location"]), wait=True)
    order.refresh_from_db()
    assert (order.status, order.paid_at is not None) == ("paid", True)
    p24.resend_last(wait=True)
    assert p24.notifications[-1]["status"] == 200
    # The invoice chosen for the order is issued with the payment, once (the replay adds none).
    assert list(PlatformInvoice.objects.values_list("subscription_id", "number")) == [
        (order.pk, f"FV/AB/{clock.local_today().year}/00001")
    ]
    back = client.get(reverse("clinic:subscription-return", args=[order.pk]), follow=True)
    assert [str(m) for m in back.context["messages"]] == ["Płatność zaksięgowana. Włącz usługę."]
    on = client.post(url, {"action": "activate"}, follow=True)
    assert [str(m) for m in on.context["messages"]] == [
        "Abonament włączony na 12 miesięcy. Rejestracja on-line działa."
    ]
    statuses = dict(Subscription.objects.filter(provider=office["provider"]).values_list("kind", "status"))
    assert statuses == {"demo": "expired", "full": "active"}
    order.refresh_from_db()
    today = clock.local_today()
    assert (order.valid_from, order.valid_to) == (today, today.replace(year=today.year + 1))


def test_a_forged_or_wrong_amount_notification_pays_nothing(client, office, p24):  # noqa: F811
    order = services.order(office["provider"], quantity=2, actor=office["admin"])
    services.choose_invoice(order, wanted=False)
    services.start_payment(order, email="kierownik@example.com")
    order.refresh_from_db()
    url = reverse("subscription-notify", args=["przelewy24"])
    forged = _forged(p24, order.session_id, amount=int(order.amount * 100), crc="nie-ten-klucz")
    assert client.post(url, json.dumps(forged), content_type="application/json").status_code == 400
    cheap = _forged(p24, order.session_id, amount=100)  # signed right, but 1 zł for the order
    client.post(url, json.dumps(cheap), content_type="application/json")
    order.refresh_from_db()
    assert (order.status, order.paid_at) == ("ordered", None)
    assert (
        client.post(
            reverse("subscription-notify", args=["nieznany"]), "{}", content_type="application/json"
        ).status_code
        == 404
    )
    with pytest.raises(services.SubscriptionError) as unpaid:
        services.activate(order, actor=office["admin"])
    assert unpaid.value.message == "Usługę można włączyć po zaksięgowaniu płatności."


def test_paying_through_an_earlier_link_of_the_order_still_counts(client, office, p24):  # noqa: F811
    order = services.order(office["provider"], quantity=2, actor=office["admin"])
    services.choose_invoice(order, wanted=False)
    first = services.start_payment(order, email="kierownik@example.com").redirect_url
    order.refresh_from_db()
    services.start_payment(order, email="kierownik@example.com")  # "Zrealizuj płatność" pressed again
    p24.pay(token_of(first), wait=True)
    order.refresh_from_db()
    assert order.status == "paid"
